import { build } from 'esbuild';
import { shared } from '/work/main/esbuild.options.mjs';
const r = await build({ ...shared, entryPoints: ['/work/main/functions/batch.ts'], outfile: '/tmp/meta-out/index.mjs', minify: true, external: ['@aws-sdk/*'], metafile: true, write: false, sourcemap: false });
const out = Object.values(r.metafile.outputs)[0];
const by = {};
for (const [file, v] of Object.entries(out.inputs)) {
  const key = file.includes('node_modules') ? file.split('node_modules/')[1].split('/').slice(0, file.includes('node_modules/@') ? 2 : 1).join('/') : file.split('/').slice(0, 3).join('/');
  by[key] = (by[key] ?? 0) + v.bytesInOutput;
}
console.log('total', out.bytes);
for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(String(v).padStart(7), k);
