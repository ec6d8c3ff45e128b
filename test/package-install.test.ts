// The package as another project gets it: `npm pack`, then `npm install <tarball>` into a fresh
// project (dependencies from npm's cache or registry, the @opentelemetry/api peer installed by npm,
// the AWS SDK peers left out), then the README's library examples run there against the emulator,
// and a TypeScript file that uses every entry point type-checks against the published types.
import { functionNames } from '../src/lambda/functions/index.ts';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.ts';
import { expectedOutput, readmeExamples } from './helpers/readme-examples.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dir = '';
let project = '';
let files: string[] = [];
let emulator: Awaited<ReturnType<typeof startEmulator>>;

beforeAll(async () => {
  // `npm test` builds first; `npm pack` would build again (prepack), which this skips.
  if (!existsSync(join(root, 'dist/lib/sdk.mjs'))) execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'ignore' });
  dir = mkdtempSync(join(tmpdir(), 'perkamo-pack-'));
  const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  files = info.files.map((f) => f.path);
  project = join(dir, 'consumer');
  execFileSync('mkdir', ['-p', project]);
  // As a new user makes one: npm 11's `npm init -y` writes "type": "commonjs".
  await run(npm, ['init', '-y'], { cwd: project });
  await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], { cwd: project, timeout: 120_000 });
  emulator = await startEmulator({ quiet: true });
}, 180_000);

afterAll(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package, installed in another project', () => {
  it('holds the entry points, their types, the function bundles and the layer — no sources, tests, local tools or their types', () => {
    for (const entry of ['core', 'sdk', 'lambda', 'emulator']) {
      expect(files).toContain(`dist/lib/${entry}.mjs`);
      expect(files).toContain(`dist/types/${entry}/index.d.ts`);
    }
    expect(files).toContain('dist/layers/otel/perkamo-otel-handler');
    expect(files.filter((f) => f.startsWith('dist/functions/') && f.endsWith('/index.mjs'))).toHaveLength(functionNames.length);
    expect(files.filter((f) => /^(src|test|bench|layers)\/|^dist\/(bin|harness|types\/local)\//.test(f))).toEqual([]);
  });

  it('installs its dependencies and the @opentelemetry/api peer; the optional AWS SDK and durable-execution peers stay out, and jose is gone', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['perkamo-lambda', '@middy', '@opentelemetry', '@types']));
    // JWTs are verified with node:crypto; jose only signs the tests' tokens (a devDependency).
    expect(installed).not.toContain('jose');
    expect(readdirSync(join(project, 'node_modules/@middy')).sort()).toEqual(['core', 'util']);
    expect(existsSync(join(project, 'node_modules/@aws/durable-execution-sdk-js'))).toBe(false);
    expect(readdirSync(join(project, 'node_modules/@opentelemetry'))).toEqual(['api']);
    expect(installed).not.toContain('@aws-sdk');
    expect(pkg.peerDependencies['@opentelemetry/api']).toBe('^1.9.0');
    expect(pkg.peerDependenciesMeta['@aws-sdk/client-secrets-manager']).toEqual({ optional: true });
  });

  it.each(['core', 'sdk', 'lambda', 'emulator'])('perkamo-lambda/%s imports by name there', async (entry) => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const m = await import('perkamo-lambda/${entry}'); console.log(Object.keys(m).length)`], { cwd: project });
    expect(Number(stdout)).toBeGreaterThan(3);
  });

  it('the project is the CommonJS one `npm init -y` makes: the examples must say how to run ES modules there', () => {
    const type = (JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { type?: string }).type;
    expect(type === undefined || type === 'commonjs').toBe(true);
  });

  it.each(readmeExamples)('README example "%s" runs there as written, saved as a .mjs file as the README says', async (heading, code) => {
    const file = join(project, `example-${heading.replace(/\W+/g, '-').toLowerCase()}.mjs`);
    writeFileSync(file, code);
    const { stdout, stderr } = await run(process.execPath, [file], {
      cwd: project,
      env: { ...process.env, PERKAMO_BASE_URL: emulator.url, PERKAMO_SECRET_KEY: emulator.keys.server[0], PERKAMO_BROWSER_KEY: emulator.keys.browser[0] },
      timeout: 15_000,
    });
    for (const expected of expectedOutput[heading] ?? [/\S/]) expect(`${stdout}${stderr}`).toMatch(expected);
  });

  it('a TypeScript consumer of every entry point type-checks against the published types (strict, no skipLibCheck)', async () => {
    writeFileSync(
      join(project, 'consumer.mts'),
      [
        "import { createTransactionId } from 'perkamo-lambda/core';",
        "import { createPerkamoClient, PerkamoApiError, type PerkamoClient } from 'perkamo-lambda/sdk';",
        "import { createHandler, functions, loadFunctionConfig } from 'perkamo-lambda/lambda';",
        "import { startEmulator } from 'perkamo-lambda/emulator';",
        "const client: PerkamoClient = createPerkamoClient({ apiKey: 'sk_test', baseUrl: 'http://127.0.0.1:1' });",
        'const tx: string = createTransactionId();',
        'const handler = createHandler(functions[0]);',
        'export { client, tx, handler, loadFunctionConfig, PerkamoApiError, startEmulator };',
        '',
      ].join('\n'),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    // @types/node from this repository: any Node project has it; the package does not ship it.
    const args = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    const result = await run(process.execPath, [tsc, ...args, '--typeRoots', join(root, 'node_modules/@types'), '--types', 'node', 'consumer.mts'], { cwd: project }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(result.stdout).toBe('');
  }, 60_000);
});
