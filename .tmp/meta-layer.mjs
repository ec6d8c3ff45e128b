import { build } from 'esbuild';
import { shared } from '../esbuild.options.mjs';
const withoutNodeUtil = { name: 'x', setup(b) { b.onResolve({ filter: /^(node:)?util$/ }, () => ({ path: 'util', namespace: 'u' })); b.onLoad({ filter: /.*/, namespace: 'u' }, () => ({ contents: 'export const inspect = (v) => JSON.stringify(v);', loader: 'js' })); } };
const apart = { name: 'y', setup(b) { b.onResolve({ filter: /\/export-module\.ts$/ }, () => ({ path: './otel-export.mjs', external: true })); } };
const r = await build({ ...shared, minify: true, sourcemap: false, banner: {}, entryPoints: ['layers/otel/init.ts'], outfile: '/tmp/l/otel-init.mjs', plugins: [withoutNodeUtil, apart], metafile: true, write: false });
const out = Object.values(r.metafile.outputs)[0];
const by = {};
for (const [file, v] of Object.entries(out.inputs)) {
  const key = file.includes('node_modules') ? file.split('node_modules/').pop().split('/').slice(0, 3).join('/') : file;
  by[key] = (by[key] ?? 0) + v.bytesInOutput;
}
console.log('total', out.bytes);
for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(String(v).padStart(7), k);
