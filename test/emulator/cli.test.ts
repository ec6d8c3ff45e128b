import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { call } from './helpers.ts';

// The CLI as `npm run emulator` runs it: bundled by esbuild to one ESM file, then run by node.
let dir: string;
let bundle: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perkamo-cli-'));
  bundle = join(dir, 'emulator.mjs');
  await build({
    entryPoints: ['src/emulator/cli.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bundle, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; stdout: ${stdout} stderr: ${stderr}`)), 10_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then(() => reject(new Error(`exited early; stderr: ${stderr}`)));
  });
  return { child: child as ChildProcess, url, exited, out: () => stdout, err: () => stderr };
}

describe('the emulator CLI (bundled)', () => {
  it('prints its URL, keys and control routes, serves, logs requests and stops on SIGTERM', async () => {
    const proc = run(['--port', '0'], { PERKAMO_EMULATOR_FAULTS: JSON.stringify([{ kind: 'error_before', routes: ['/v1/program'], times: 1 }]) });
    const url = await proc.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const out = proc.out();
    expect(out).toContain('sk_test_emulator');
    expect(out).toContain('pk_test_emulator');
    expect(out).toContain('/__emulator/faults');
    expect(out).toContain('error_before');
    expect((await call(url, '/v1/program')).status).toBe(503);
    expect((await call(url, '/v1/program')).status).toBe(200);
    expect((await call(url, '/v1/events', { body: { user_id: 'cli', event: 'page.viewed', transaction_id: 'cli:1' } })).body.applied).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(proc.out()).toMatch(/POST \/v1\/events 200 [\d.]+ms req_[0-9a-f]{24}/);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('takes the port from PERKAMO_EMULATOR_PORT and keys from flags; refuses bad JSON', async () => {
    const proc = run(['--server-key', 'sk_test_a', '--browser-key', 'pk_test_b', '--quiet'], { PERKAMO_EMULATOR_PORT: '0' });
    const url = await proc.url;
    expect(proc.out()).toContain('sk_test_a');
    expect((await call(url, '/v1/program', { key: 'sk_test_a' })).status).toBe(200);
    expect((await call(url, '/v1/program')).status).toBe(401);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);

    const bad = run(['--port', '0'], { PERKAMO_EMULATOR_FAULTS: '[{' });
    await expect(bad.url).rejects.toThrow();
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain('faults is not valid JSON');
  });
});
