// The tree's rules, read from the sources (docs/architecture.md): what ships never imports the
// tooling, imports point down the layers, and no source file grows past 400 lines.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../dev/stack/lambda.ts';

const root = projectRoot();

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : /\.(ts|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

const sourceDirs = ['src', 'functions', 'layers', 'dev', 'serverless', 'scripts'];
const files = sourceDirs.flatMap((dir) => walk(join(root, dir))).map((file) => relative(root, file));

/** The project files a source file imports (relative specifiers only), as repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((spec) => relative(root, resolve(root, dirname(file), spec)));
}

describe('the tree', () => {
  it('what ships (src, functions, layers) never imports the tooling (dev, test, bench)', () => {
    const shipped = files.filter((file) => /^(src|functions|layers)\//.test(file));
    expect(shipped.length).toBeGreaterThan(50);
    const wrong = shipped.flatMap((file) => importsOf(file).filter((target) => /^(dev|test|bench)\//.test(target)).map((target) => `${file} → ${target}`));
    expect(wrong).toEqual([]);
  });

  it('what ships imports only its runtime dependencies: never a devDependency (jose signs the tests\' tokens; node:crypto verifies)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; peerDependencies: Record<string, string> };
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => !(name in pkg.peerDependencies));
    const shipped = files.filter((file) => /^(src|functions|layers)\//.test(file) && !file.startsWith('layers/otel/'));
    const wrong = shipped.flatMap((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)]
        .map((m) => m[1]!)
        .filter((spec) => devOnly.some((name) => spec === name || spec.startsWith(`${name}/`)))
        .map((spec) => `${file} → ${spec}`);
    });
    expect(devOnly).toContain('jose');
    expect(wrong).toEqual([]);
  });

  it('imports point down the layers: core imports nothing of the project, sdk not lambda, telemetry only core', () => {
    const allowed: Record<string, RegExp> = {
      'src/core/': /^src\/core\//,
      'src/sdk/': /^src\/(core|sdk)\//,
      'src/telemetry/': /^src\/(core|telemetry)\//,
      'src/emulator/': /^src\/(core|sdk|emulator)\//,
    };
    const wrong: string[] = [];
    for (const file of files) {
      const layer = Object.keys(allowed).find((prefix) => file.startsWith(prefix));
      if (!layer) continue;
      for (const target of importsOf(file)) if (!allowed[layer]!.test(target)) wrong.push(`${file} → ${target}`);
    }
    expect(wrong).toEqual([]);
  });

  it('no source file is over 400 lines', () => {
    const long = files
      .map((file) => [file, readFileSync(join(root, file), 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
