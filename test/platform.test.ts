// The platform the suites prove things on: Lambda's Node 24 (whatever the machine's node is), middy 7,
// and no durable-execution SDK installed for teams that do not use durable functions.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../dev/stack/lambda.ts';

const run = promisify(execFile);
const root = projectRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const launcher = join(root, 'scripts/lambda-node.mjs');

describe('the suites run on the runtime’s Node', () => {
  it('this suite runs on Node 24, the deploy’s default runtime', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it.each(['test', 'test:unit', 'test:watch', 'test:chaos', 'bench', 'bench:quick'])('npm run %s starts its Node through scripts/lambda-node.mjs --run', (script) => {
    expect(pkg.scripts[script]).toMatch(/(^|&& )(VITEST_UNIT=1 )?exec node scripts\/lambda-node\.mjs --run [^ ]+\.mjs/);
  });

  it('npm start runs the local stack on it too (scripts/start.mjs)', () => {
    expect(readFileSync(join(root, 'scripts/start.mjs'), 'utf8')).toMatch(/runOnLambdaNode\(join\(root, 'dist\/bin\/start\.mjs'\)/);
  });

  it('scripts/lambda-node.mjs prints a Node 24 binary', async () => {
    const { stdout } = await run(process.execPath, [launcher], { timeout: 120_000 });
    const { stdout: version } = await run(stdout.trim(), ['-p', 'process.versions.node']);
    expect(version.trim()).toMatch(/^24\./);
  });

  it('a PERKAMO_NODE24 that is not Node 24 is refused, naming the variable', async () => {
    const fake = join(root, 'node_modules/.bin/esbuild');
    const failed = await run(process.execPath, [launcher], { env: { ...process.env, PERKAMO_NODE24: fake } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^lambda-node: PERKAMO_NODE24: .*esbuild (does not run|is Node)/);
  });
});

describe('node scripts/lambda-node.mjs --run <script> [args…]', () => {
  const folder = mkdtempSync(join(tmpdir(), 'perkamo-lambda-node-'));
  const groups: number[] = [];
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  // A launcher that passes nothing on leaves itself and its script running: end both.
  afterEach(() => {
    for (const group of groups.splice(0)) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  const script = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    return join(folder, name);
  };

  it('runs the script on Node 24 with its arguments and environment, its output passed through, and exits with its status', async () => {
    const file = script('exit.mjs', `process.stdout.write(JSON.stringify({ node: process.versions.node, args: process.argv.slice(2), unit: process.env.VITEST_UNIT })); process.exit(3);`);
    const failed = await run(process.execPath, [launcher, '--run', file, 'run', '--flag'], { env: { ...process.env, VITEST_UNIT: '1' } }).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed?.code).toBe(3);
    const seen = JSON.parse(failed!.stdout);
    expect(seen.node).toMatch(/^24\./);
    expect(seen).toMatchObject({ args: ['run', '--flag'], unit: '1' });
  });

  /**
   * Starts the launcher (in a process group of its own, with its script) on a script that says
   * `ready`; resolves with its exit once `signal` is sent to the launcher alone.
   */
  const signalled = (file: string, signal: NodeJS.Signals) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve, reject) => {
      const launched = spawn(process.execPath, [launcher, '--run', file], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      groups.push(launched.pid!);
      let out = '';
      launched.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        if (out === 'ready\n') launched.kill(signal);
      });
      launched.once('error', reject);
      launched.once('exit', (code, sig) => resolve({ code, signal: sig, out }));
    });

  it.each(['SIGINT', 'SIGTERM'] as const)('passes %s sent to it (npm forwards Ctrl-C; a CI timeout kills npm) on to the script, and exits with its status', async (signal) => {
    const file = script(`handles-${signal}.mjs`, `process.on('${signal}', () => { process.stdout.write('got ${signal}\\n'); process.exit(7); }); setInterval(() => {}, 1000); process.stdout.write('ready\\n');`);
    expect(await signalled(file, signal)).toEqual({ code: 7, signal: null, out: `ready\ngot ${signal}\n` });
  });

  it('dies of the signal that killed the script, as the script run in its place (exec) would', async () => {
    const file = script('killed.mjs', `setInterval(() => {}, 1000); process.stdout.write('ready\\n');`);
    expect(await signalled(file, 'SIGTERM')).toEqual({ code: null, signal: 'SIGTERM', out: 'ready\n' });
  });

  it('without a script: the usage, exit 1', async () => {
    const failed = await run(process.execPath, [launcher, '--run']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^lambda-node: usage: node scripts\/lambda-node\.mjs \[--run <script> \[args…\]\]/);
  });
});

describe('the Node a newcomer may have, and the Node the package asks of its users', () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  /** The lowest version `>=N[.N[.N]]` allows, as [major, minor, patch]; a range of another shape is refused, to be read by hand. */
  const floorOf = (range: string, what: string): number[] => {
    const match = /^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
    if (!match) throw new Error(`${what}: engines.node ${JSON.stringify(range)} is not of the form >=N.N.N; compare it with package.json's engines by hand`);
    return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
  };
  const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;

  it('this repository’s commands: Node 20.19 or later, in devEngines (which npm checks here, as an error), as the README says', () => {
    expect(pkg.devEngines).toEqual({ runtime: { name: 'node', version: '>=20.19', onFail: 'error' } });
    expect(readme).toContain('Any of Node 20.19+, 22 or 24 runs the commands');
    expect(readme).toMatch(/this repository's commands need Node 20\.19 or later\s+\(`devEngines`/);
  });

  it('the published package: its engines floor is no lower than that of any package an install brings (@middy/core 7: Node 22); the lock and the README say the same', () => {
    expect(lock.packages[''].engines.node).toBe(pkg.engines.node);
    const ours = floorOf(pkg.engines.node, 'package.json');
    // What an install of the package brings: the lock's entries that are not dev-only, and the peers.
    const peers = Object.keys(pkg.peerDependencies ?? {}).map((name) => `node_modules/${name}`);
    const installed = Object.entries(lock.packages as Record<string, { dev?: boolean; engines?: { node?: string } }>).filter(
      ([path, entry]) => path !== '' && (!entry.dev || peers.includes(path)),
    );
    expect(installed.map(([path]) => path)).toEqual(expect.arrayContaining(['node_modules/@middy/core', 'node_modules/@opentelemetry/api']));
    const lower = installed.filter(([path, entry]) => entry.engines?.node && compare(ours, floorOf(entry.engines.node, path)) < 0);
    expect(lower.map(([path, entry]) => `${path} asks for ${entry.engines!.node}`)).toEqual([]);
    expect(pkg.engines.node).toBe('>=22');
    expect(readme).toMatch(/the published package needs Node 22 or later\s+\(`engines`/);
    expect(readme).toMatch(/install the tarball there \(Node 22 or\s+later, the package's `engines`/);
  });
});

describe('middy 7', () => {
  it('@middy/core is 7.x, and its optional durable-execution peer is not installed', () => {
    expect(pkg.dependencies['@middy/core']).toMatch(/^7\./);
    const installed = JSON.parse(readFileSync(join(root, 'node_modules/@middy/core/package.json'), 'utf8'));
    expect(installed.version).toMatch(/^7\./);
    expect(installed.peerDependenciesMeta?.['@aws/durable-execution-sdk-js']?.optional).toBe(true);
    expect(existsSync(join(root, 'node_modules/@aws/durable-execution-sdk-js'))).toBe(false);
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    expect(Object.keys(lock.packages).filter((path) => path.includes('durable-execution'))).toEqual([]);
  });
});
