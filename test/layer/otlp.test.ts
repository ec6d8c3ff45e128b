// The OTLP/HTTP export against a real receiver on loopback: JSON and protobuf, the resource, custom
// headers; and the flush bounds with a collector that is down, hanging, slow or failing.
import { SpanKind } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Env } from '../../layers/otel/config.ts';
import { partialSuccessOf } from '../../layers/otel/partial-success.ts';
import { setupTracing } from '../../layers/otel/setup.ts';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';

let receiver: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  receiver = await startLoopbackServer((_req, res) => json(res, 200, {}));
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

const lambdaEnv: Env = {
  AWS_LAMBDA_FUNCTION_NAME: 'perkamo-batch',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_REGION: 'us-east-2',
};

function traced(env: Env) {
  const warnings: string[] = [];
  const tracing = setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env }, { warn: (m) => warnings.push(m) })!;
  const tracer = tracing.provider.getTracer('perkamo-lambda');
  const spans = (n = 1) => {
    for (let i = 0; i < n; i++) {
      const span = tracer.startSpan(`perkamo emit ${i}`, {
        kind: SpanKind.INTERNAL,
        attributes: { 'perkamo.request_id': `req_${i}`, 'perkamo.batch.size': 3 },
      });
      span.end();
    }
  };
  const timedFlush = async (timeoutMs: number) => {
    const started = performance.now();
    await tracing.flush(timeoutMs);
    return performance.now() - started;
  };
  return { tracing, warnings, spans, timedFlush };
}

const attributes = (list: { key: string; value: Record<string, unknown> }[]) =>
  Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));

/** A port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('OTLP over HTTP', () => {
  it('http/json: POST /v1/traces with the resource, scope and spans', async () => {
    const { spans, tracing, warnings } = traced({ ...lambdaEnv, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    spans(2);
    await tracing.flush(2000);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/traces' });
    expect(request?.headers['content-type']).toBe('application/json');
    const body = request!.json();
    const [resourceSpans] = body.resourceSpans;
    expect(attributes(resourceSpans.resource.attributes)).toMatchObject({
      'service.name': 'perkamo-batch',
      'faas.name': 'perkamo-batch',
      'faas.max_memory': 256 * 1024 * 1024,
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': 'us-east-2',
    });
    const [scope] = resourceSpans.scopeSpans;
    expect(scope.scope.name).toBe('perkamo-lambda');
    expect(scope.spans.map((s: { name: string }) => s.name)).toEqual(['perkamo emit 0', 'perkamo emit 1']);
    expect(scope.spans[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(attributes(scope.spans[1].attributes)).toEqual({ 'perkamo.request_id': 'req_1', 'perkamo.batch.size': 3 });
    expect(warnings).toEqual([]);
  });

  it('http/protobuf (the default): application/x-protobuf, a non-empty body holding the spans', async () => {
    const { spans, tracing, warnings } = traced(lambdaEnv);
    spans(1);
    await tracing.flush(2000);
    const [request] = receiver.requests;
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.body.length).toBeGreaterThan(50);
    // Protobuf keeps strings as UTF-8 bytes.
    expect(request?.body.includes('perkamo emit 0')).toBe(true);
    expect(request?.body.includes('perkamo-batch')).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('sends OTEL_EXPORTER_OTLP_HEADERS and _TRACES_HEADERS; honours _TRACES_ENDPOINT as given', async () => {
    const { spans, tracing } = traced({
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=key%201,authorization=Basic%20abc',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-honeycomb-dataset=perkamo',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/otlp/v1/traces`,
    });
    spans(1);
    await tracing.flush(2000);
    const [request] = receiver.requests;
    expect(request?.url).toBe('/otlp/v1/traces');
    expect(request?.headers).toMatchObject({
      'x-honeycomb-team': 'key 1',
      'x-honeycomb-dataset': 'perkamo',
      authorization: 'Basic abc',
    });
  });

  it('one request per flush; nothing is sent while no span ended', async () => {
    const { spans, tracing } = traced({});
    await tracing.flush(500);
    expect(receiver.requests).toHaveLength(0);
    spans(3);
    await tracing.flush(2000);
    spans(1);
    await tracing.flush(2000);
    expect(receiver.requests).toHaveLength(2);
  });
});

describe('flush bounds', () => {
  it('collector down (connection refused): resolves quickly, keeps the spans for the next export, one warning', async () => {
    const port = await closedPort();
    const { spans, tracing, warnings, timedFlush } = traced({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    spans(2);
    expect(await timedFlush(3000)).toBeLessThan(1000);
    spans(1);
    expect(await timedFlush(3000)).toBeLessThan(1000);
    expect(tracing.processor!.buffered).toBe(3);
    expect(warnings).toEqual([expect.stringMatching(/export refused \(.*ECONNREFUSED.*\): 2 spans kept for the next export/)]);
  });

  it('collector refusing for a while (503, 429, connection refused): nothing lost, nothing sent twice', async () => {
    receiver.enqueue((_req, res) => json(res, 503, { error: 'overloaded' }), (_req, res) => json(res, 429, {}, { 'retry-after': '1' }));
    const { spans, warnings, timedFlush } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    spans(2);
    await timedFlush(2000);
    spans(1);
    await timedFlush(2000);
    spans(1);
    await timedFlush(2000); // the collector takes them now
    const sent = receiver.requests.map((r) => r.json().resourceSpans[0].scopeSpans[0].spans.length);
    expect(sent).toEqual([2, 3, 4]);
    expect(warnings).toEqual([expect.stringContaining('answered HTTP 503')]);
  });

  it('kept spans stay within the buffer bound: the oldest go first', async () => {
    const warnings: string[] = [];
    receiver.enqueue((_req, res) => json(res, 503, {}));
    const tracing = setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, { warn: (m) => warnings.push(m), maxBufferedSpans: 3 })!;
    const tracer = tracing.provider.getTracer('t');
    for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end();
    await tracing.flush(1000);
    for (const name of ['d', 'e']) tracer.startSpan(name).end();
    await tracing.flush(1000);
    const names = receiver.requests[1]!.json().resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name);
    expect(names).toEqual(['c', 'd', 'e']);
  });

  it('collector hanging: resolves at ~timeoutMs, aborts the request, one warning', async () => {
    let closed = 0;
    receiver.enqueue(
      (_req, res) => void res.on('close', () => closed++),
      (_req, res) => void res.on('close', () => closed++),
    );
    const { spans, warnings, timedFlush } = traced({});
    spans(1);
    const elapsed = await timedFlush(300);
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(800);
    spans(1);
    const again = await timedFlush(200);
    expect(again).toBeLessThan(700);
    expect(receiver.requests).toHaveLength(2);
    // The client gave up on both: no socket is left to hold the process or the next invocation.
    await expect.poll(() => closed).toBe(2);
    expect(warnings).toEqual([expect.stringContaining('timed out after 300 ms')]);
  });

  it('after a collector hung, later flushes only probe it briefly, until one succeeds', async () => {
    receiver.enqueue(
      () => undefined,
      () => undefined,
      (_req, res) => json(res, 200, {}),
      (_req, res) => void setTimeout(() => json(res, 200, {}), 300),
    );
    const { spans, timedFlush } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    spans(1);
    expect(await timedFlush(250)).toBeGreaterThanOrEqual(245);
    spans(1);
    // A whole second was available, but the collector hung last time: 100 ms is all it gets.
    expect(await timedFlush(1_000)).toBeLessThan(400);
    spans(1);
    expect(await timedFlush(1_000)).toBeLessThan(400); // answered at once: the collector is back
    spans(1);
    expect(await timedFlush(1_000)).toBeGreaterThanOrEqual(290); // so the full budget applies again
    expect(receiver.requests).toHaveLength(4);
    expect(receiver.requests[3]!.json().resourceSpans[0].scopeSpans[0].spans).toHaveLength(1);
  });

  it('collector slow but within the budget: the spans arrive, no warning', async () => {
    receiver.enqueue((_req, res) => void setTimeout(() => json(res, 200, {}), 150));
    const { spans, warnings, timedFlush } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    spans(2);
    const elapsed = await timedFlush(2000);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1500);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.json().resourceSpans[0].scopeSpans[0].spans).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it('OTEL_EXPORTER_OTLP_TIMEOUT shorter than the flush budget bounds the request', async () => {
    receiver.enqueue(() => undefined);
    const { spans, warnings, timedFlush } = traced({ OTEL_EXPORTER_OTLP_TIMEOUT: '150' });
    spans(1);
    const elapsed = await timedFlush(3000);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(800);
    expect(warnings).toEqual([expect.stringContaining('did not answer in time')]);
  });

  it('collector rejecting the export (400, 500): the spans are dropped, one warning per kind of refusal', async () => {
    receiver.enqueue(
      (_req, res) => json(res, 400, { message: 'bad' }),
      (_req, res) => json(res, 500, {}),
      (_req, res) => json(res, 400, { message: 'bad again' }),
      (_req, res) => json(res, 500, {}),
    );
    const { spans, tracing, warnings, timedFlush } = traced({});
    for (let i = 0; i < 4; i++) {
      spans(1);
      expect(await timedFlush(2000)).toBeLessThan(1000);
    }
    expect(tracing.processor!.buffered).toBe(0);
    expect(receiver.requests).toHaveLength(4);
    expect(warnings).toEqual([
      expect.stringMatching(/dropped 1 span: .*answered HTTP 400 \(bad\); .*OTEL_EXPORTER_OTLP_PROTOCOL/),
      expect.stringMatching(/dropped 1 span: .*answered HTTP 500; the endpoint refused the spans/),
    ]);
  });

  /** ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message } }, written from the proto by hand. */
  const partialProtobuf = (message: string) => {
    const text = Buffer.from(message);
    const inner = Buffer.concat([Buffer.from([0x08, 0x02, 0x12, text.length]), text]);
    return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
  };

  it.each([
    ['http/json', (res: ServerResponse): void => json(res, 200, { partialSuccess: { rejectedSpans: '2', errorMessage: '2 spans carry an attribute over 64 KB' } })],
    ['http/protobuf', (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(partialProtobuf('2 spans carry an attribute over 64 KB'))],
  ] as const)('a partial success (%s): the rejected spans are counted dropped, with the collector\'s reason, and not sent again', async (protocol, answer) => {
    receiver.enqueue((_req, res) => answer(res));
    const { spans, tracing, warnings } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
    spans(3);
    await tracing.flush(2000);
    await tracing.flush(2000);
    expect(receiver.requests).toHaveLength(1);
    expect(tracing.processor!.buffered).toBe(0);
    expect(warnings).toEqual([
      expect.stringMatching(/^dropped 2 spans: http:\/\/127\.0\.0\.1:\d+\/v1\/traces took the export but rejected 2 of its 3 spans \(2 spans carry an attribute over 64 KB\); OTLP partial successes are not resent/),
    ]);
  });

  it("a partial success's reason never repeats a configured header's value (a vendor's API key)", async () => {
    receiver.enqueue((_req, res) => json(res, 200, { partialSuccess: { rejectedSpans: '1', errorMessage: 'key k3y-2a9 may not write span 1' } }));
    const { spans, tracing, warnings } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k3y-2a9' });
    spans(2);
    await tracing.flush(2000);
    expect(warnings).toEqual([expect.stringContaining('(key [redacted] may not write span 1)')]);
    expect(warnings.join('')).not.toContain('k3y-2a9');
  });

  it('a 2xx whose connection drops before its body ends: the spans were taken, at once, no warning', async () => {
    const dropping = createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial');
        setTimeout(() => socket.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    try {
      const { spans, tracing, warnings, timedFlush } = traced({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      spans(2);
      expect(await timedFlush(3000)).toBeLessThan(1000);
      expect(warnings).toEqual([]);
      expect(tracing.processor!.buffered).toBe(0);
    } finally {
      await new Promise((resolve) => dropping.close(resolve));
    }
  });

  it('a 2xx whose body runs past any partial success (and then stalls): taken, at once, no warning', async () => {
    const sockets: import('node:net').Socket[] = [];
    const endless = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${' '.repeat(5000)}`));
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const { spans, tracing, warnings, timedFlush } = traced({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(endless.address() as AddressInfo).port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      spans(2);
      expect(await timedFlush(3000)).toBeLessThan(1000);
      expect(warnings).toEqual([]);
      expect(tracing.processor!.buffered).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('a negative rejected_spans (int64 on the wire) is no count', () => {
    // partial_success { rejected_spans: -1 }: ten bytes of varint.
    const negative = Buffer.from([0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(ProtobufTraceSerializer.deserializeResponse(negative)).toMatchObject({ partialSuccess: {} });
    expect(partialSuccessOf(negative, false)).toBeUndefined();
  });

  it('the hand-written partial success is what OpenTelemetry\'s own deserializer reads', () => {
    expect(ProtobufTraceSerializer.deserializeResponse(partialProtobuf('why'))).toMatchObject({ partialSuccess: { rejectedSpans: 2, errorMessage: 'why' } });
  });

  it.each([
    ['an empty answer', (res: ServerResponse): void => void res.writeHead(200).end()],
    ['{}', (res: ServerResponse): void => json(res, 200, {})],
    ['a partial success that rejected nothing', (res: ServerResponse): void => json(res, 200, { partialSuccess: { rejectedSpans: '0', errorMessage: '' } })],
    ['a body that is not an answer', (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')],
  ] as const)('a 2xx with %s: delivered, no warning', async (_name, answer) => {
    receiver.enqueue((_req, res) => answer(res));
    const { spans, tracing, warnings } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    spans(3);
    await tracing.flush(2000);
    expect(warnings).toEqual([]);
    expect(receiver.requests).toHaveLength(1);
  });

  it.each(['http/json', 'http/protobuf'])('OTEL_EXPORTER_OTLP_COMPRESSION=gzip (%s): a gzip body the collector can read', async (protocol) => {
    const { spans, tracing, warnings } = traced({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    spans(20);
    await tracing.flush(2000);
    expect(warnings).toEqual([]);
    const [request] = receiver.requests;
    expect(request!.headers['content-encoding']).toBe('gzip');
    expect(Number(request!.headers['content-length'])).toBe(request!.body.length);
    const body = gunzipSync(request!.body);
    expect(body.length).toBeGreaterThan(request!.body.length);
    if (protocol === 'http/json') expect(JSON.parse(body.toString('utf8')).resourceSpans[0].scopeSpans[0].spans).toHaveLength(20);
    else expect(body.includes(Buffer.from('perkamo emit 19'))).toBe(true);
  });

  it('the warning never carries header values', async () => {
    const port = await closedPort();
    const { spans, tracing, warnings } = traced({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=supersecret',
    });
    spans(1);
    await tracing.flush(1000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('supersecret');
  });
});
