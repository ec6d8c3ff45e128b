// Builds everything a clean clone needs, into dist/:
//   dist/lib/<entry>.mjs + dist/types/      the library entry points (perkamo-lambda/core, /sdk, /lambda, /emulator)
//   dist/functions/<name>/index.mjs          one minified bundle per Lambda function, exporting `handler`
//   dist/bin/<name>.mjs                      the command-line tools: src/emulator/cli.ts and dev/cli/*.ts
//   dist/harness/index.mjs                   the loopback Lambda harness (dev/harness), for the benchmark
//   dist/harness/aws-events.mjs              its SQS record builder alone, for the benchmark's workers
//   dist/layers/otel/                        the OpenTelemetry layer's exact content: otel-init.mjs, otel-export.mjs, perkamo-otel-handler
//                                            (`--layer-only` builds just the layer)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, copyFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { shared } from './esbuild.options.mjs';

const require = createRequire(import.meta.url);
const onlyFunctions = process.argv.includes('--functions-only');

const libraries = {
  core: 'src/core/index.ts',
  sdk: 'src/sdk/index.ts',
  lambda: 'src/lambda/index.ts',
  emulator: 'src/emulator/index.ts',
};
// The function list is src/lambda/functions/index.ts (one place for the build, the local stack and the deploy checks).
const functions = await functionNames();

const kb = async (file) => `${((await stat(file)).size / 1024).toFixed(1).padStart(7)} KB`;
const started = Date.now();

await buildLayer();
if (process.argv.includes('--layer-only')) {
  console.log(`built in ${Date.now() - started} ms`);
  process.exit(0);
}

if (!onlyFunctions) {
  await rm('dist/lib', { recursive: true, force: true });
  await rm('dist/types', { recursive: true, force: true });
  for (const [name, entry] of Object.entries(libraries)) {
    const outfile = `dist/lib/${name}.mjs`;
    // Library consumers install our dependencies themselves: keep them external.
    await build({ ...shared, entryPoints: [entry], outfile, packages: 'external' });
    console.log(`  ${outfile.padEnd(36)} ${await kb(outfile)}`);
  }
  const tools = { emulator: 'src/emulator/cli.ts' };
  if (existsSync('dev/cli')) {
    for (const file of readdirSync('dev/cli')) if (file.endsWith('.ts')) tools[file.slice(0, -3)] = `dev/cli/${file}`;
  }
  for (const [name, entry] of Object.entries(tools)) {
    await build({ ...shared, entryPoints: [entry], outfile: `dist/bin/${name}.mjs`, packages: 'external' });
  }
  // The loopback Lambda harness (test and benchmark infrastructure), for the plain-JS benchmark.
  await build({ ...shared, entryPoints: ['dev/harness/index.ts'], outfile: 'dist/harness/index.mjs', packages: 'external' });
  // The SQS record builder alone, for the benchmark's workers: the whole harness adds MB to the peak RSS they measure.
  await build({ ...shared, entryPoints: ['dev/harness/aws-events.ts'], outfile: 'dist/harness/aws-events.mjs', packages: 'external' });
}

await rm('dist/functions', { recursive: true, force: true });
for (const name of functions) {
  const outfile = `dist/functions/${name}/index.mjs`;
  await build({
    ...shared,
    entryPoints: [`functions/${name}.ts`],
    outfile,
    minify: true,
    // The Lambda Node.js runtime ships AWS SDK v3.
    external: ['@aws-sdk/*'],
  });
  // For `serverless invoke local`, which loads a handler with require() (index.js, then index.cjs):
  // Node ≥ 20.19 / 22.12 require an ES module. Left out of the deployed zips (serverless.yml).
  await writeFile(`dist/functions/${name}/index.cjs`, "module.exports = require('./index.mjs');\n");
  console.log(`  ${outfile.padEnd(36)} ${await kb(outfile)}`);
}

if (!onlyFunctions) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
  console.log(`  ${'dist/types/'.padEnd(36)} declarations`);
}
console.log(`built in ${Date.now() - started} ms`);

// The OpenTelemetry layer: dist/layers/otel/ holds exactly what lands in /opt — otel-init.mjs
// (@opentelemetry/api included, no source map: keeps the layer small and its content exact),
// otel-export.mjs (what the first export imports) and the perkamo-otel-handler wrapper script, executable.
async function buildLayer() {
  // @opentelemetry/core imports Node's `util` only for `inspect` in diag warnings, which the layer never
  // enables (it sets no diag logger). None of that code is in the bundles today; should it come back,
  // loading `util` would cost the cold start about 2 ms. Hand it a stand-in.
  const withoutNodeUtil = {
    name: 'otel-layer-without-node-util',
    setup(b) {
      b.onResolve({ filter: /^(node:)?util$/ }, (args) =>
        args.importer.includes('@opentelemetry') ? { path: 'util', namespace: 'otel-layer-util' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'otel-layer-util' }, () => ({
        contents: 'export const inspect = (value) => JSON.stringify(value);',
        loader: 'js',
      }));
    },
  };
  const dir = 'dist/layers/otel';
  await rm(dir, { recursive: true, force: true });
  // What only an export needs (the exporters, their encoders, limits and signing) is a file of its
  // own, which the first export imports — after the first response, not in the cold start.
  const exportFile = 'otel-export.mjs';
  const serializersApart = {
    name: 'otel-layer-serializers-apart',
    setup(b) {
      b.onResolve({ filter: /\/export-module\.ts$/ }, () => ({ path: `./${exportFile}`, external: true }));
    },
  };
  const layerBuild = { ...shared, minify: true, sourcemap: false, banner: {}, plugins: [withoutNodeUtil] };
  // Everything in the bundles is ESM and imports Node built-ins with `import`: no require banner.
  await build({ ...layerBuild, entryPoints: ['layers/otel/init.ts'], outfile: `${dir}/otel-init.mjs`, plugins: [withoutNodeUtil, serializersApart] });
  await build({ ...layerBuild, entryPoints: ['layers/otel/export-module.ts'], outfile: `${dir}/${exportFile}` });
  await copyFile('layers/otel/perkamo-otel-handler', `${dir}/perkamo-otel-handler`);
  await chmod(`${dir}/perkamo-otel-handler`, 0o755);
  for (const file of (await readdir(dir)).sort()) console.log(`  ${`${dir}/${file}`.padEnd(36)} ${await kb(`${dir}/${file}`)}`);
}

/** Reads the function names from src/lambda/functions/index.ts: bundled in memory and imported. */
async function functionNames() {
  const out = await build({ entryPoints: ['src/lambda/functions/index.ts'], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent' });
  const source = out.outputFiles[0].text;
  const { functionNames: names } = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
  return names;
}
