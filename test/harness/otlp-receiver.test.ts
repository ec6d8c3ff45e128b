// The harness's OTLP receiver reads what the layer really sends: the same spans, decoded from
// http/protobuf (the deployed default) and from http/json, come out identical.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setupTracing } from '../../layers/otel/setup.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../src/local/harness/otlp-receiver.ts';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

async function exportSample(protocol: string): Promise<ReceivedSpan[]> {
  const tracing = setupTracing(
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'receiver-test' },
    { warn: (message) => expect.fail(message) },
  )!;
  const tracer = tracing.provider.getTracer('perkamo-lambda');
  const link = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
  const parent = tracer.startSpan('process perkamo-events', {
    kind: SpanKind.CONSUMER,
    attributes: { 'faas.coldstart': true, 'messaging.batch.message_count': 3, ratio: 0.25, tags: ['a', 'b'] },
    links: [{ context: link, attributes: { 'messaging.message.id': 'm-1' } }],
  });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: '1 of 3 records failed' });
  const child = tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.response.status_code': 503 } }, trace.setSpan(ROOT_CONTEXT, parent));
  child.end();
  parent.end();
  await tracing.flush(2_000);
  return receiver.waitForSpans(2, 2_000);
}

describe('OTLP receiver', () => {
  it.each(['http/protobuf', 'http/json'])('decodes %s: names, ids, parent, kind, attributes, links, status, resource', async (protocol) => {
    const spans = await exportSample(protocol);
    expect(receiver.requests[0]?.contentType).toContain(protocol === 'http/json' ? 'json' : 'protobuf');
    const parent = spans.find((s) => s.name === 'process perkamo-events')!;
    const child = spans.find((s) => s.name === 'POST')!;
    expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parent.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parent.parentSpanId).toBe('');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(parent.kind).toBe(5);
    expect(child.kind).toBe(3);
    expect(parent.attributes).toEqual({ 'faas.coldstart': true, 'messaging.batch.message_count': 3, ratio: 0.25, tags: ['a', 'b'] });
    expect(child.attributes).toEqual({ 'http.response.status_code': 503 });
    expect(parent.links).toEqual([{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: { 'messaging.message.id': 'm-1' } }]);
    expect(parent.status).toEqual({ code: 2, message: '1 of 3 records failed' });
    expect(parent.endNs).toBeGreaterThanOrEqual(parent.startNs);
    expect(parent.startNs).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
    expect(parent.resource['service.name']).toBe('receiver-test');
  });

  it('refuses a body it cannot read, and keeps counting after it', async () => {
    const bad = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff]) });
    expect(bad.status).toBe(400);
    expect(await exportSample('http/protobuf')).toHaveLength(2);
  });
});
