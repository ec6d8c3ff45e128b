// The built functions under the built layer, as Lambda runs them: a child process started with
// `node --import dist/layers/otel/otel-init.mjs`, the emulator and an OTLP/HTTP receiver on loopback.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { eventBridgeEvent, httpApiEvent, sqsEvent } from '../helpers/aws-events.ts';
import { functionEnv, token } from '../helpers/functions.ts';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';

const root = new URL('../..', import.meta.url);
const traceId = '0af7651916cd43dd8448eb211c80319c';
const parentId = 'b7ad6b7169203331';
const traceparent = `00-${traceId}-${parentId}-01`;

let emulator: Emulator;
let receiver: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  receiver = await startLoopbackServer((_req, res) => json(res, 200, {}));
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});
beforeEach(() => {
  emulator.reset();
  receiver.reset();
});

interface Invocation {
  result?: any;
  error?: { name: string; message: string };
  ms: number;
}

function invoke(name: string, invocations: { event: unknown; timeoutMs?: number }[], env: Record<string, string> = {}) {
  return new Promise<{ results: Invocation[]; stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', './dist/layers/otel/otel-init.mjs', 'test/fixtures/invoke-function.mjs', name],
      {
        cwd: root,
        timeout: 20_000,
        env: {
          PATH: process.env.PATH,
          ...functionEnv(emulator),
          AWS_LAMBDA_FUNCTION_NAME: `perkamo-${name}`,
          AWS_REGION: 'eu-central-1',
          OTEL_SERVICE_NAME: 'perkamo-e2e',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        if (error) return reject(Object.assign(error, { stdout, stderr }));
        resolve({ results: JSON.parse(stdout.trim().split('\n').at(-1)!), stdout, stderr });
      },
    );
    child.stdin!.end(JSON.stringify(invocations));
  });
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
}

/** Every span the receiver got, attributes flattened. */
type ReceivedSpan = OtlpSpan & { resource: Record<string, unknown>; attrs: Record<string, unknown> };

function receivedSpans(): ReceivedSpan[] {
  return receiver.requests.flatMap((req) => {
    expect(req.url).toBe('/v1/traces');
    return req.json().resourceSpans.flatMap((rs: any) =>
      rs.scopeSpans.flatMap((ss: any) =>
        ss.spans.map((s: OtlpSpan) => ({
          ...s,
          resource: Object.fromEntries(rs.resource.attributes.map((a: any) => [a.key, Object.values(a.value)[0]])),
          attrs: Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]])),
        })),
      ),
    );
  });
}

describe('built function + built layer in a child process', () => {
  it('HTTP: one trace per invocation continuing the incoming traceparent, with the span tree and the emulator request id', async () => {
    const jwt = await token('backend');
    const other = '00-11111111111111111111111111111111-2222222222222222-01';
    const { results } = await invoke('emit', [
      { event: httpApiEvent('POST /events', { user_id: 'u1', event: 'purchase.completed', transaction_id: 'l1', context: { amount: 100 } }, { authorization: `Bearer ${jwt}`, traceparent }) },
      { event: httpApiEvent('POST /events', { user_id: 'u1', event: 'page.viewed', transaction_id: 'l2' }, { authorization: `Bearer ${jwt}`, traceparent: other }) },
    ]);
    expect(results.map((r) => r.result.statusCode)).toEqual([200, 200]);
    const spans = receivedSpans();
    expect(receiver.requests.length).toBe(2); // flushed once per invocation
    const traces = new Set(spans.map((s) => s.traceId));
    expect(traces).toEqual(new Set([traceId, '11111111111111111111111111111111']));

    const first = spans.filter((s) => s.traceId === traceId);
    const server = first.find((s) => s.name === 'POST /events')!;
    const operation = first.find((s) => s.name === 'perkamo emit')!;
    const client = first.find((s) => s.name === 'POST')!;
    expect(server.parentSpanId).toBe(parentId);
    expect(operation.parentSpanId).toBe(server.spanId);
    expect(client.parentSpanId).toBe(operation.spanId);
    expect(server.resource).toMatchObject({ 'service.name': 'perkamo-e2e', 'faas.name': 'perkamo-emit', 'cloud.provider': 'aws' });
    expect(server.attrs).toMatchObject({ 'faas.trigger': 'http', 'faas.coldstart': true, 'http.response.status_code': 200 });
    const second = spans.find((s) => s.traceId !== traceId && s.name === 'POST /events')!;
    expect(second.attrs['faas.coldstart']).toBe(false);
    const emulatorIds = emulator.ledger().events.map((e) => e.request_id);
    expect(client.attrs['perkamo.request_id']).toBe(emulatorIds[0]);
    expect(operation.attrs['perkamo.request_id']).toBe(emulatorIds[0]);
    expect(results[0]!.result.headers['x-perkamo-request-id']).toBe(emulatorIds[0]);
  });

  it('SQS: the CONSUMER span links to each message context; EventBridge continues the detail traceparent', async () => {
    const sqs = sqsEvent([
      { messageId: 'a', body: { user_id: 'u1', event: 'page.viewed' }, attributes: { traceparent: { stringValue: traceparent, dataType: 'String' } } },
      { messageId: 'b', body: { user_id: 'u2', event: 'page.viewed' }, attributes: { traceparent: { stringValue: `00-${'3'.repeat(32)}-${'4'.repeat(16)}-01`, dataType: 'String' } } },
    ]);
    const { results } = await invoke('batch', [{ event: sqs }]);
    expect(results[0]!.result).toEqual({ batchItemFailures: [] });
    const consumer = receivedSpans().find((s) => s.name === 'process perkamo-events')!;
    expect(consumer.kind).toBe(5); // SPAN_KIND_CONSUMER
    expect(consumer.links!.map((l) => [l.traceId, l.spanId])).toEqual([
      [traceId, parentId],
      ['3'.repeat(32), '4'.repeat(16)],
    ]);
    const batch = receivedSpans().find((s) => s.name === 'perkamo batch')!;
    expect(batch.parentSpanId).toBe(consumer.spanId);
    expect(batch.attrs['perkamo.request_id']).toBe(emulator.ledger().events[0]!.request_id);

    receiver.reset();
    await invoke('emit', [{ event: eventBridgeEvent({ user_id: 'u3', event: 'page.viewed', traceparent }, 'page.viewed') }]);
    const eb = receivedSpans().find((s) => s.name === 'process page.viewed')!;
    expect([eb.traceId, eb.parentSpanId]).toEqual([traceId, parentId]);
  });

  it('no server key, signature, token or trait value in anything exported', async () => {
    const jwt = await token('backend');
    await invoke('identify', [
      { event: httpApiEvent('POST /identify', { user_id: 'secret_user', traits: { email: 'hidden@example.test' } }, { authorization: `Bearer ${jwt}` }) },
    ]);
    const exported = receiver.requests.map((r) => r.body.toString()).join('\n');
    expect(exported.length).toBeGreaterThan(100);
    for (const secret of [emulator.keys.server[0]!, jwt, 'hidden@example.test', 'secret_user']) expect(exported).not.toContain(secret);
    expect(exported).not.toMatch(/v1=[0-9a-f]{64}/);
  });

  it('with the collector down or hanging, invocations still succeed within their budget', async () => {
    const down = await startLoopbackServer();
    const downUrl = down.url;
    await down.close();
    const hanging = await startLoopbackServer(() => {});
    try {
      const event = { user_id: 'u1', event: 'page.viewed', transaction_id: 'x' };
      for (const endpoint of [downUrl, hanging.url]) {
        emulator.reset();
        const { results } = await invoke('emit', [{ event, timeoutMs: 1_500 }], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
        expect(results[0]!.result).toMatchObject({ applied: true });
        expect(results[0]!.ms).toBeLessThan(1_500);
      }
      expect(hanging.requests.length).toBeGreaterThanOrEqual(1);
    } finally {
      await hanging.close();
    }
  });

  it('OTEL_TRACES_EXPORTER=console prints a waterfall with the request id', async () => {
    const { stdout } = await invoke('emit', [{ event: { user_id: 'u1', event: 'page.viewed', transaction_id: 'c1' } }], {
      OTEL_TRACES_EXPORTER: 'console',
    });
    expect(stdout).toContain('invoke perkamo-emit');
    expect(stdout).toContain('perkamo emit');
    expect(stdout).toContain(emulator.ledger().events[0]!.request_id);
  });
});
