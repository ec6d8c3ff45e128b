import { build } from 'esbuild';
import { shared } from '../esbuild.options.mjs';
const fn = process.argv[2] ?? 'batch';
const r = await build({ ...shared, entryPoints: [`functions/${fn}.ts`], outfile: '/tmp/m/index.mjs', minify: true, external: ['@aws-sdk/*'], metafile: true, write: false, sourcemap: false });
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).filter(([f]) => !f.includes('node_modules')).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
console.log('total', out.bytes);
for (const [f, v] of rows.slice(0, 60)) console.log(String(v.bytesInOutput).padStart(6), f);
