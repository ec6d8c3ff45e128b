// The commands a user types: the banner's curl commands as printed, `npm run token`,
// `npm run enqueue`, and `npm start` itself (ready banner, request lines, the functions' lines, Ctrl-C).
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCommands } from '../../dev/stack/banner.ts';
import { devAudience, devIssuer, devJwtSecret, mintDevToken } from '../../dev/stack/dev-config.ts';
import { logLevels } from '../../src/lambda/logger.ts';
import { projectRoot } from '../../dev/stack/lambda.ts';
import { startLocalStack, type LocalStack } from '../../dev/stack/stack.ts';

const run = promisify(execFile);
const root = projectRoot();
const haveCurl = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((p) => existsSync(p));
const built = ['start', 'token', 'enqueue'].every((name) => existsSync(join(root, 'dist/bin', `${name}.mjs`)));
if (!built) throw new Error('dist/bin/{start,token,enqueue}.mjs missing: run `npm run build` first (npm test does)');

describe('the ready banner', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ ports: { api: 0, emulator: 0, sqs: 0 }, env: { LOG_LEVEL: 'error' } });
  });
  afterAll(() => stack?.close());

  it('lists the URLs, dev keys, dev JWT settings and every example command', () => {
    const banner = stack.banner();
    for (const text of [stack.urls.page, stack.urls.emulator, stack.urls.sqs, 'sk_test_emulator', 'pk_test_emulator', devJwtSecret, devIssuer, devAudience, 'Ctrl-C']) {
      expect(banner).toContain(text);
    }
    for (const { command } of exampleCommands(stack)) expect(banner).toContain(command);
    expect(banner).toContain(`npm run enqueue -- 100 --poison 2 --endpoint ${stack.urls.sqs}`);
  });

  it.skipIf(!haveCurl)('its curl commands work as printed (bash, from the project directory)', async () => {
    const outputs: Record<string, any> = {};
    for (const { title, command } of exampleCommands(stack)) {
      const { stdout } = await run('bash', ['-c', command], { cwd: root, timeout: 15_000 });
      let json: any;
      expect(() => (json = JSON.parse(stdout)), `${title}: ${stdout}`).not.toThrow();
      expect(json.error, `${title}: ${stdout}`).toBeUndefined();
      expect(json.__type, `${title}: ${stdout}`).toBeUndefined();
      outputs[title] = json;
    }
    const [emit, batch, identify, streamToken, own, customer, ledger, send] = Object.values(outputs);
    expect(emit).toMatchObject({ applied: true, delta: [{ wallet: 'points', amount: 129 }] });
    expect(batch.results).toHaveLength(2);
    expect(identify).toMatchObject({ user_id: 'alice', trait_names: ['name', 'plan'] });
    expect(streamToken).toMatchObject({ token_type: 'Bearer' });
    expect(decodeJwt(streamToken.token).sub).toBe('alice');
    expect(customer).toMatchObject({ user_id: 'alice', wallets: { points: 129 + 5 } });
    // The customer function answers alice's own state: the same wallets, trait names for values.
    expect(own).toMatchObject({ user_id: 'alice', wallets: customer.wallets, trait_names: ['name', 'plan'] });
    expect(JSON.stringify(own)).not.toContain('Alice Example');
    expect(ledger.applied).toBeGreaterThanOrEqual(3);
    expect(send.MessageId).toEqual(expect.any(String));
    // The queued referral and identify arrive through the pollers.
    const end = Date.now() + 10_000;
    while (!stack.emulator.ledger().events.some((e) => e.transaction_id === 'referral:carol') || !stack.emulator.customer('bob')?.traits.plan) {
      if (Date.now() > end) throw new Error('the queued messages were not processed');
      await new Promise((r) => setTimeout(r, 100));
    }
    // A second run of the emit command is a duplicate: a success that changes nothing.
    const again = JSON.parse((await run('bash', ['-c', exampleCommands(stack)[0]!.command], { cwd: root })).stdout);
    expect(again).toMatchObject({ applied: false, duplicate: true });
  });

  it('npm run enqueue sends sample events with a summary, and the poller applies them', async () => {
    const before = stack.emulator.ledger().applied;
    const { stdout, stderr } = await run('npm', ['run', '-s', 'enqueue', '--', '40', '--endpoint', stack.urls.sqs], { cwd: root, timeout: 20_000 });
    expect(stdout).toMatch(/^perkamo-events: sent 40 of 40 \(0 poison\), 0 failed sends, [\d.]+ s, \d+ msg\/s/m);
    expect(stderr).toMatch(/\[#{30}\] 40\/40/);
    const end = Date.now() + 10_000;
    while (stack.emulator.ledger().applied < before + 40) {
      if (Date.now() > end) throw new Error(`only ${stack.emulator.ledger().applied - before} of 40 applied`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const events = new Set(stack.emulator.ledger().events.map((e) => e.event));
    for (const name of ['purchase.completed', 'lesson.finished', 'page.viewed', 'referral.completed', 'user.registered']) expect(events).toContain(name);
  });
});

describe('npm run token', () => {
  it('prints a dev JWT that verifies with the dev secret, issuer and audience', async () => {
    const { stdout } = await run('npm', ['run', '-s', 'token', '--', 'alice'], { cwd: root });
    const { payload, protectedHeader } = await jwtVerify(stdout.trim(), new TextEncoder().encode(devJwtSecret), { issuer: devIssuer, audience: devAudience });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: 'alice', scope: 'perkamo:emit perkamo:identify perkamo:read' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    const scoped = await run('npm', ['run', '-s', 'token', '--', 'bob', 'perkamo:emit'], { cwd: root });
    expect(decodeJwt(scoped.stdout.trim())).toMatchObject({ sub: 'bob', scope: 'perkamo:emit' });
    expect(stdout.trim().split('.')).toHaveLength(3);
    // The shared helper mints the same kind of token.
    expect(decodeJwt(await mintDevToken('carol'))).toMatchObject({ iss: devIssuer, aud: devAudience });
  });
});

/** `node dist/bin/start.mjs <args>` on free ports: its output so far, a wait for a pattern in it, its exit. */
function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['dist/bin/start.mjs', '--port', '0', '--emulator-port', '0', '--sqs-port', '0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 'close', not 'exit': the output is all read by then.
  const cli = { child, out: '', exited: new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code))) };
  child.stdout.on('data', (chunk: Buffer) => (cli.out += chunk));
  child.stderr.on('data', (chunk: Buffer) => (cli.out += chunk));
  const waitFor = async (pattern: RegExp, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    while (!pattern.test(cli.out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${cli.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return pattern.exec(cli.out)!;
  };
  return Object.assign(cli, { waitFor });
}

const emitWithoutTransactionId = async (api: string) =>
  fetch(`${api}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await mintDevToken('backend')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'cli-user', event: 'page.viewed' }),
  });

describe('npm start (dist/bin/start.mjs)', () => {
  it('prints the ready banner, logs requests, the functions\' lines and traces as they happen, and stops on SIGINT', async () => {
    const started = Date.now();
    // A misspelled variable is named, with the one it resembles. LOG_LEVEL warn: npm start's default.
    const cli = startCli([], { LOG_LEVEL: 'warn', PERKAMO_LOCAL_PROT: '3001' });
    const { child, exited, waitFor } = cli;
    try {
      await waitFor(/Ctrl-C stops everything/);
      const readyMs = Date.now() - started;
      expect(readyMs).toBeLessThan(30_000);
      const api = (await waitFor(/Demo page +(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
      const res = await fetch(`${api}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await mintDevToken('backend')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'cli-user', event: 'page.viewed', transaction_id: 'cli-1' }),
      });
      expect(res.status).toBe(200);
      await waitFor(/HTTP POST \/events → emit 200 \d+ ms/);
      expect(cli.out).toContain('npm start: PERKAMO_LOCAL_PROT is set but nothing reads it; did you mean PERKAMO_LOCAL_PORT?');
      // A refusal's line names its error code and the message the caller got.
      const invalid = await emitWithoutTransactionId(api);
      expect(invalid.status).toBe(400);
      const reason = ((await invalid.json()) as { error: { message: string } }).error.message;
      expect(reason).toMatch(/^'transaction_id' is required/);
      await waitFor(/HTTP POST \/events → emit 400 validation_failed \d+ ms — 'transaction_id' is required/);
      expect(cli.out).toContain(` ms — ${reason.length <= 160 ? reason : reason.slice(0, 159)}`);
      // The function's own line, one short line rather than its JSON.
      await waitFor(/\d\d:\d\d:\d\d\.\d{3} emit {2}WARN {2}invocation done with failures: 400 validation_failed · \d+ ms\n/);
      expect(cli.out).not.toMatch(/^\{/m);
      // A token pasted with npm's banner (`$(npm run token -- x)` without -s): a JSON answer saying so, and a line.
      const answer = await rawRequest(api, `POST /events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \r\n> perkamo-lambda@0.1.0 token\r\ncontent-length: 0\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const body = JSON.parse(answer.split('\r\n\r\n')[1]!);
      expect(body.error).toMatchObject({ code: 'malformed_request', message: expect.stringContaining('npm run -s token') });
      await waitFor(/HTTP request refused before routing: 400 malformed_request/);
      if (existsSync(join(root, 'dist/layers/otel/otel-init.mjs'))) {
        expect(cli.out).toMatch(/OpenTelemetry layer loaded: traces at http:\/\/127\.0\.0\.1:\d+\/traces, and one waterfall per trace below/);
        await waitFor(/POST \/events +SERVER/);
      }
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(cli.out).toContain('stopped.');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it("--json-logs prints the functions' JSON lines as Lambda gets them; --fifo makes the queues FIFO", async () => {
    const cli = startCli(['--json-logs', '--fifo', '--no-otel'], { LOG_LEVEL: 'warn' });
    try {
      await cli.waitFor(/Ctrl-C stops everything/);
      expect(cli.out).toMatch(/perkamo-events\.fifo +→ batch +DLQ perkamo-events-dlq\.fifo/);
      expect(cli.out).toContain('FIFO (--fifo): send a MessageGroupId');
      const api = (await cli.waitFor(/Demo page +(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
      expect((await emitWithoutTransactionId(api)).status).toBe(400);
      const json = (await cli.waitFor(/^\{"level":"WARN","message":"invocation done with failures".*$/m))[0];
      expect(JSON.parse(json)).toMatchObject({ function_name: 'emit', status: 400, error_code: 'validation_failed' });
      cli.child.kill('SIGINT');
      expect(await cli.exited).toBe(0);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });

  it('a bad LOG_LEVEL: one line naming the variable and the levels, before the stack starts', async () => {
    const cli = startCli([], { LOG_LEVEL: 'verbose' });
    expect(await cli.exited).toBe(1);
    expect(cli.out).toBe(badLogLevel);
  });

  it("a function setting the functions refuse: said once, in the function's FATAL line, and npm start points at it", async () => {
    const cli = startCli([], { PERKAMO_CONCURRENCY: 'abc' });
    expect(await cli.exited).toBe(1);
    expect(cli.out.match(/"abc" is not a whole number of parallel calls from 1 to 32/g)).toHaveLength(1);
    expect(cli.out).toMatch(/ FATAL  Invalid function configuration \(1 problem\): - PERKAMO_CONCURRENCY: "abc"/);
    expect(cli.out).toMatch(/npm start: could not start: a function refused its configuration \(its FATAL line above says what to set\)\n$/);
  });
});

/** What npm start says of LOG_LEVEL=verbose, the levels as the functions know them. */
const badLogLevel = `npm start: LOG_LEVEL is "verbose", not a log level: set one of ${logLevels.join(', ')} (any case), or unset it for npm start's default (warn)\n`;

/** One raw HTTP/1.1 exchange (what curl sends with a broken header), the answer as text. */
function rawRequest(base: string, request: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('npm start checks before it builds (scripts/start.mjs)', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; out: string; ms: number }>((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['scripts/start.mjs', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk));
      child.on('close', (code) => resolve({ code, out, ms: Date.now() - started }));
    });

  it('a taken port: fails in a moment, naming the server, the port and the flag, without building', async () => {
    const holder = createServer();
    await new Promise<void>((ready) => holder.listen(0, '127.0.0.1', ready));
    const port = (holder.address() as AddressInfo).port;
    try {
      const { code, out, ms } = await run(['--port', String(port), '--emulator-port', '0', '--sqs-port', '0']);
      expect(code).toBe(1);
      expect(out.trim()).toBe(`npm start: local HTTP API: port ${port} is already in use (another \`npm start\`?). Stop it, or pick another port with --port.`);
      expect(ms).toBeLessThan(5_000);
    } finally {
      holder.close();
    }
  });

  it('a bad LOG_LEVEL: one line naming the variable and the valid levels, exit 1, without building', async () => {
    const { code, out, ms } = await run(['--port', '0', '--emulator-port', '0', '--sqs-port', '0'], { LOG_LEVEL: 'verbose' });
    expect(code).toBe(1);
    expect(out).toBe(badLogLevel);
    expect(ms).toBeLessThan(5_000);
  });

  it('a good LOG_LEVEL in any case passes (the taken port is what is reported)', async () => {
    const holder = createServer();
    await new Promise<void>((ready) => holder.listen(0, '127.0.0.1', ready));
    const port = (holder.address() as AddressInfo).port;
    try {
      const { code, out } = await run(['--port', String(port), '--emulator-port', '0', '--sqs-port', '0'], { LOG_LEVEL: 'Debug' });
      expect(code).toBe(1);
      expect(out).toMatch(/^npm start: local HTTP API: port \d+ is already in use/);
    } finally {
      holder.close();
    }
  });

  it('a bad port variable: the message names the variable that was set', async () => {
    const { code, out } = await run(['--emulator-port', '0', '--sqs-port', '0'], { PERKAMO_LOCAL_PORT: 'abc' });
    expect(code).toBe(1);
    expect(out.trim()).toBe('npm start: PERKAMO_LOCAL_PORT must be a port number (0–65535), got "abc"');
  });
});
