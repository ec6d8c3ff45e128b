// Bundles the baselines as esbuild.config.mjs bundles ours, from the options every bundle shares
// (esbuild.options.mjs: platform node, ESM, target node20, mainFields ['module', 'main'], the
// createRequire banner, no legal comments), so that both sides are built the same way: the official
// OpenTelemetry init as our layer's otel-init.mjs (minified, no source map; it keeps the banner, which
// its CommonJS dependencies need) and the Powertools record-by-record handler as our function bundles
// (minified, with a source map, the AWS SDK external). Also the span source of the export
// micro-benchmark (bench/lib/span-source.mjs: the layer's setupTracing with an in-memory exporter),
// built as the layer's otel-init.mjs is.
import { build } from 'esbuild';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { shared } from '../../esbuild.options.mjs';
import { root } from './procs.mjs';

const minified = { ...shared, absWorkingDir: root, minify: true };

/** Builds into `dir` (which must lie inside the repository, so that node_modules resolves from it). */
export async function buildBaselines(dir) {
  const officialInit = join(dir, 'official-otel', 'otel-init.mjs');
  const powertools = join(dir, 'functions', 'powertools-batch', 'index.mjs');
  await mkdir(dirname(officialInit), { recursive: true });
  await mkdir(dirname(powertools), { recursive: true });
  await build({
    ...minified,
    entryPoints: ['bench/baselines/official-otel-init.mjs'],
    outfile: officialInit,
    sourcemap: false,
    // The loader hook's registry must be the very file its generated modules import (see the source).
    external: ['import-in-the-middle'],
  });
  await build({
    ...minified,
    entryPoints: ['bench/baselines/powertools-batch.mjs'],
    outfile: powertools,
    external: ['@aws-sdk/*'],
  });
  const spanSource = join(dir, 'span-source', 'span-source.mjs');
  await build({ ...minified, entryPoints: ['bench/lib/span-source.mjs'], outfile: spanSource, sourcemap: false });
  return { officialInit, powertools, powertoolsRoot: dirname(powertools), iitmBytes: await iitmBytes(), spanSource };
}

/** JavaScript bytes of import-in-the-middle and its dependencies, which the official init loads from node_modules. */
async function iitmBytes() {
  const require = createRequire(join(root, 'package.json'));
  const seen = new Set();
  let total = 0;
  const visit = async (name, from) => {
    let pkgDir;
    try {
      pkgDir = dirname(createRequire(from).resolve(`${name}/package.json`));
    } catch {
      return;
    }
    if (seen.has(pkgDir)) return;
    seen.add(pkgDir);
    total += await jsBytes(pkgDir);
    const pkg = createRequire(from)(`${name}/package.json`);
    for (const dep of Object.keys(pkg.dependencies ?? {})) await visit(dep, join(pkgDir, 'package.json'));
  };
  await visit('import-in-the-middle', require.resolve('@opentelemetry/instrumentation/package.json'));
  return total;
}

async function jsBytes(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'test', 'tests', 'benchmark', 'docs', 'types'].includes(entry.name)) total += await jsBytes(path);
    } else if (/\.(m|c)?js$/.test(entry.name) && !entry.name.endsWith('.d.ts')) total += (await stat(path)).size;
  }
  return total;
}
