// Builds the library entry points (perkamo-lambda/core, /sdk, …) into dist/lib and their
// type declarations into dist/types. Later layers (functions, the OTel layer) add their own targets here.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const libraries = {
  core: 'src/core/index.ts',
  sdk: 'src/sdk/index.ts',
};

const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Without mainFields the OpenTelemetry packages come in as CommonJS, several times larger.
  mainFields: ['module', 'main'],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};

const started = Date.now();
await rm('dist/lib', { recursive: true, force: true });
await rm('dist/types', { recursive: true, force: true });

for (const [name, entry] of Object.entries(libraries)) {
  const outfile = `dist/lib/${name}.mjs`;
  await build({ ...shared, entryPoints: [entry], outfile });
  const { size } = await stat(outfile);
  console.log(`  ${outfile.padEnd(28)} ${(size / 1024).toFixed(1).padStart(7)} KB`);
}

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.types.json'], {
  stdio: 'inherit',
});
console.log(`  dist/types/                   declarations`);
console.log(`built in ${Date.now() - started} ms`);
