// The built layer (dist/layers/otel/), as Lambda runs it: otel-init.mjs loaded with `node --import`
// (directly, or through the perkamo-otel-handler wrapper) before a script that uses only @opentelemetry/api
// and the flush hook, exporting to a receiver on loopback or printing the console waterfall.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const layerDir = `${root}dist/layers/otel`;
const init = `${layerDir}/otel-init.mjs`;

// What a function does: spans through the API only, then the flush hook the layer registered.
const script = `
import { SpanKind, trace } from '@opentelemetry/api';
const tracer = trace.getTracer('child');
await tracer.startActiveSpan('POST /events', { kind: SpanKind.SERVER, attributes: { 'faas.trigger': 'http' } }, async (span) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const attempt = tracer.startSpan('POST', { kind: SpanKind.CLIENT });
  attempt.setAttributes({ 'http.response.status_code': 202, 'perkamo.request_id': 'req_child' });
  attempt.end();
  span.setAttribute('http.response.status_code', 202);
  span.end();
});
const hooks = globalThis[Symbol.for('perkamo-lambda.telemetry')];
console.log(hooks ? 'hooks registered' : 'no hooks');
const started = Date.now();
await hooks?.flush(Number(process.env.FLUSH_MS ?? 2000));
console.log('flushed in ' + (Date.now() - started) + ' ms');
`;

const lambdaEnv = {
  AWS_LAMBDA_FUNCTION_NAME: 'perkamo-emit',
  AWS_LAMBDA_FUNCTION_VERSION: '7',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[7]abc',
  AWS_REGION: 'eu-central-1',
};

/** Every stderr line, parsed: each must be one JSON object. */
const warnings = (stderr: string) => stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: string; message: string });

function child(env: Record<string, string>, command: string[] = [process.execPath, '--import', init]) {
  const [file, ...args] = command as [string, ...string[]];
  return run(file, [...args, '--input-type=module', '-e', script], {
    cwd: root,
    timeout: 10_000,
    env: { PATH: process.env.PATH ?? '', ...lambdaEnv, ...env },
  });
}

/** A port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let receiver: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  // `npm test` builds first; a lone run of this suite builds the layer only.
  if (!existsSync(init)) execFileSync(process.execPath, ['esbuild.config.mjs', '--layer-only'], { cwd: root, stdio: 'ignore' });
  receiver = await startLoopbackServer((_req, res) => json(res, 200, {}));
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

describe('the built layer', () => {
  it('holds exactly otel-init.mjs, otel-export.mjs and an executable perkamo-otel-handler, within 120 KB', () => {
    expect(readdirSync(layerDir).sort()).toEqual(['otel-export.mjs', 'otel-init.mjs', 'perkamo-otel-handler']);
    expect(statSync(`${layerDir}/perkamo-otel-handler`).mode & 0o777).toBe(0o755);
    expect(statSync(init).size + statSync(`${layerDir}/otel-export.mjs`).size).toBeLessThan(120 * 1024);
  });

  it("registers with the @opentelemetry/api this repository installs — the newest its functions can carry (a newer one in a function would find no provider)", () => {
    const installed = JSON.parse(readFileSync(`${root}node_modules/@opentelemetry/api/package.json`, 'utf8')).version;
    const registered = execFileSync(
      process.execPath,
      ['--import', init, '-e', "console.log(globalThis[Symbol.for('opentelemetry.js.api.1')]?.version)"],
      { env: { PATH: process.env.PATH ?? '', OTEL_TRACES_EXPORTER: 'none' }, encoding: 'utf8' },
    ).trim();
    expect(registered).toBe(installed);
  });

  it('keeps the OTLP serializers out of the cold start: otel-init.mjs imports otel-export.mjs only when exporting', () => {
    const text = readFileSync(init, 'utf8');
    // The OTLP/JSON field names live in the serializers alone.
    expect(readFileSync(`${layerDir}/otel-export.mjs`, 'utf8')).toContain('resourceSpans');
    expect(text).not.toContain('resourceSpans');
    expect(text).toMatch(/import\(\s*["']\.\/otel-export\.mjs["']\s*\)/);
    expect(text).not.toMatch(/^import[^;]*otel-export/m);
  });

  it('exports the spans of a process to an OTLP receiver, with the resource and the span tree', async () => {
    const { stdout, stderr } = await child({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k1',
    });
    expect(stdout).toContain('hooks registered');
    expect(stderr).toBe('');
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.url).toBe('/v1/traces');
    expect(request?.headers['x-api-key']).toBe('k1');
    const [resourceSpans] = request!.json().resourceSpans;
    const resource = Object.fromEntries(
      resourceSpans.resource.attributes.map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]),
    );
    expect(resource).toMatchObject({
      'service.name': 'perkamo-emit',
      'faas.name': 'perkamo-emit',
      'faas.version': '7',
      'faas.max_memory': 1024 * 1024 * 1024,
      'faas.instance': '2025/01/01/[7]abc',
      'cloud.region': 'eu-central-1',
    });
    const spans: { name: string; spanId: string; parentSpanId?: string; traceId: string; kind: number }[] =
      resourceSpans.scopeSpans[0].spans;
    const server = spans.find((s) => s.name === 'POST /events')!;
    const client = spans.find((s) => s.name === 'POST')!;
    // The context manager made the server span the active parent across the await.
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.traceId).toBe(server.traceId);
    expect([server.kind, client.kind]).toEqual([2, 3]); // OTLP: SERVER = 2, CLIENT = 3
  });

  it('OTEL_TRACES_EXPORTER=console prints the waterfall on stdout', async () => {
    const { stdout, stderr } = await child({ OTEL_TRACES_EXPORTER: 'console' });
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    const header = lines.findIndex((l) => /^trace [0-9a-f]{32} · 2 spans · [\d.]+ ms$/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(lines[header + 1]).toMatch(/^ {2}POST \/events\s+SERVER .*faas\.trigger=http http\.response\.status_code=202$/);
    expect(lines[header + 2]).toMatch(/^ {4}POST\s+CLIENT .*perkamo\.request_id=req_child$/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('collector down: the process still finishes within the flush budget, with one warning line', async () => {
    const { stdout, stderr } = await child({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`, FLUSH_MS: '1500' });
    expect(Number(stdout.match(/flushed in (\d+) ms/)?.[1])).toBeLessThan(1500);
    // On Lambda the layer's warnings are JSON lines in the functions' own shape.
    expect(warnings(stderr)).toEqual([
      { level: 'WARN', message: expect.stringMatching(/^\[otel\] export refused \(.*ECONNREFUSED.*\): 2 spans kept/), timestamp: expect.any(String), function_name: 'perkamo-emit' },
    ]);
  });

  it('collector hanging: flush gives up at its budget and the process exits', async () => {
    receiver.enqueue(() => undefined);
    const started = Date.now();
    const { stdout, stderr } = await child({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, FLUSH_MS: '300' });
    expect(Number(stdout.match(/flushed in (\d+) ms/)?.[1])).toBeLessThan(800);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stderr).toMatch(/timed out after 300 ms/);
  });

  it('bad variables: one warning line each, and the process runs traced', async () => {
    const { stdout, stderr } = await child({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_PROPAGATORS: 'tracecontext,jaeger',
    });
    expect(stdout).toContain('hooks registered');
    expect(warnings(stderr).map((line) => line.message)).toEqual([
      expect.stringContaining('OTEL_TRACES_SAMPLER="sometimes"'),
      expect.stringContaining('"jaeger"'),
    ]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('OTEL_SDK_DISABLED=true: no hooks, nothing exported', async () => {
    const { stdout } = await child({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(stdout).toContain('no hooks');
    expect(receiver.requests).toHaveLength(0);
  });

  it('perkamo-otel-handler (AWS_LAMBDA_EXEC_WRAPPER) adds the --import of its sibling otel-init.mjs and runs the command', async () => {
    // Called by a relative path, from another directory, with NODE_OPTIONS already set.
    const { stdout } = await run(
      'dist/layers/otel/perkamo-otel-handler',
      [process.execPath, '-e', 'console.log(process.env.NODE_OPTIONS); console.log(!!globalThis[Symbol.for("perkamo-lambda.telemetry")])'],
      { cwd: root, env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--max-old-space-size=256', OTEL_TRACES_EXPORTER: 'none' } },
    );
    expect(stdout.trim().split('\n')).toEqual([`--max-old-space-size=256 --import "${layerDir}/otel-init.mjs"`, 'true']);
  });

  it('the wrapped command sees the layer and keeps its own arguments', async () => {
    const { stdout } = await child({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, [
      `${layerDir}/perkamo-otel-handler`,
      process.execPath,
    ]);
    expect(stdout).toContain('hooks registered');
    expect(receiver.requests).toHaveLength(1);
  });
});
