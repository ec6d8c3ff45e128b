// The endpoint's limits held by construction (no span over 200 KB, no request over 10,000 spans or
// 5 MB uncompressed), measured on the real OTLP serializers; and the refusal warnings' wording.
import { SpanKind, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { boundSpan, limitedRequests, requestLimits, trimmedAttribute } from '../../layers/otel/limits.ts';
import { refusalOf } from '../../layers/otel/refusals.ts';
import { setupTracing } from '../../layers/otel/setup.ts';
import type { EndedSpan } from '../../layers/otel/span.ts';

/** Spans as the layer's provider ends them (span limits included). */
async function recordSpans(make: (tracer: Tracer) => void): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing({ OTEL_SERVICE_NAME: 'limits' }, { exporter, warn: () => undefined, maxBufferedSpans: 100_000 })!;
  make(tracing.provider.getTracer('test'));
  await tracing.flush(5_000);
  return exporter.getFinishedSpans();
}

// The official serializer takes the SDK's spans; of a resource it reads only what the layer's has (attributes, schema URL).
const serialize = (spans: EndedSpan[]) => ProtobufTraceSerializer.serializeRequest(spans as ReadableSpan[])!;
const encodedBytes = (span: EndedSpan) => serialize([span]).byteLength;

describe('no span over 200 KB', () => {
  it('an ordinary span goes out as it is (the same object)', async () => {
    const [span] = await recordSpans((tracer) => tracer.startSpan('perkamo emit', { attributes: { 'perkamo.event': 'purchase.completed' } }).end());
    expect(boundSpan(span!)).toBe(span);
  });

  it('a 150 KB ASCII attribute is under the limit once counted exactly: unchanged', async () => {
    const [span] = await recordSpans((tracer) => tracer.startSpan('big', { attributes: { note: 'a'.repeat(150_000) } }).end());
    expect(boundSpan(span!)).toBe(span);
    expect(encodedBytes(span!)).toBeLessThan(requestLimits.maxSpanBytes);
  });

  it('a span over it is cut to fit, marked, and its counts of dropped parts say what went', async () => {
    const [span] = await recordSpans((tracer) => {
      const s = tracer.startSpan('huge', { kind: SpanKind.SERVER, attributes: { 'error.message': 'é'.repeat(200_000), 'perkamo.request_id': 'req_1' } });
      for (let i = 0; i < 100; i++) s.addEvent(`event ${i}`, { detail: 'x'.repeat(5_000) });
      s.end();
    });
    expect(encodedBytes(span!)).toBeGreaterThan(requestLimits.maxSpanBytes);
    const bounded = boundSpan(span!);
    expect(encodedBytes(bounded)).toBeLessThanOrEqual(requestLimits.maxSpanBytes);
    expect(bounded.attributes[trimmedAttribute]).toBe(true);
    expect(bounded.attributes['perkamo.request_id']).toBe('req_1');
    expect((bounded.attributes['error.message'] as string).length).toBe(1024);
    expect(bounded.droppedEventsCount).toBe(100 - bounded.events.length);
    expect(bounded.spanContext()).toEqual(span!.spanContext());
    expect(bounded.kind).toBe(SpanKind.SERVER);
  });

  it('a span that no cut makes small enough keeps only its identity, timing and status', async () => {
    const [span] = await recordSpans((tracer) => {
      const attributes: Record<string, string> = {};
      for (let i = 0; i < 120; i++) attributes[`k${i}`] = '€'.repeat(3_000);
      tracer.startSpan('wide', { attributes }).end();
    });
    const bounded = boundSpan(span!);
    expect(encodedBytes(bounded)).toBeLessThanOrEqual(requestLimits.maxSpanBytes);
    expect(bounded.attributes).toEqual({ [trimmedAttribute]: true });
    expect(bounded.name).toBe('wide');
  });
});

describe('requests within 10,000 spans and 5 MB', () => {
  it('25,000 spans: three requests, every span once, in order', async () => {
    const spans = await recordSpans((tracer) => {
      for (let i = 0; i < 25_000; i++) tracer.startSpan(`s${i}`).end();
    });
    const requests = limitedRequests(spans, serialize);
    expect(requests.map((r) => r.spans.length)).toEqual([10_000, 10_000, 5_000]);
    expect(requests.flatMap((r) => r.spans)).toEqual(spans);
  });

  it('spans of 150 KB each: split until every body is under 5 MB', async () => {
    const spans = await recordSpans((tracer) => {
      for (let i = 0; i < 80; i++) tracer.startSpan(`s${i}`, { attributes: { blob: String(i).padEnd(150_000, '.') } }).end();
    });
    expect(serialize(spans).byteLength).toBeGreaterThan(requestLimits.maxBytes * 2);
    const requests = limitedRequests(spans, serialize);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) expect(request.body.byteLength).toBeLessThanOrEqual(requestLimits.maxBytes);
    expect(requests.flatMap((r) => r.spans)).toEqual(spans);
  });
});

describe('refusals: what the warning says', () => {
  const refusal = (status: number, body: string, errorType = '', signed = true, secrets: string[] = []) =>
    refusalOf({ status, errorType, body: Buffer.from(body), signed, secrets });

  it('Transaction Search not enabled (AWS documents the message, not the status)', () => {
    for (const status of [400, 403]) {
      const r = refusal(status, JSON.stringify({ message: 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.' }));
      expect(r.key).toBe(`${status} transaction-search`);
      expect(r.fix).toContain('Transaction Search');
      expect(r.detail).toContain('Trace Segment Destination');
    }
  });

  it('no permission: names the actions to allow', () => {
    const r = refusal(403, JSON.stringify({ message: 'User: arn:aws:sts::123456789012:assumed-role/perkamo-emit/perkamo-emit is not authorized to perform: xray:PutTraceSegments' }), 'AccessDeniedException');
    expect(r.key).toBe('403 access-denied');
    expect(r.fix).toContain('xray:PutTraceSegments');
    expect(r.detail).toContain('AccessDeniedException: User: arn:aws:sts');
  });

  it('a stale clock, bad credentials, a bad signature, an unsigned request', () => {
    expect(refusal(403, '{"message":"Signature expired: 20261206T100000Z is now earlier than 20261206T101000Z (20261206T101500Z - 5 min.)"}', 'InvalidSignatureException').key).toBe('403 clock');
    expect(refusal(403, '{"message":"The security token included in the request is invalid."}', 'UnrecognizedClientException').key).toBe('403 credentials');
    expect(refusal(403, '{"message":"Credential should be scoped to a valid region."}', 'InvalidSignatureException').key).toBe('403 signature');
    const unsigned = refusal(403, '{"message":"Missing Authentication Token"}', 'MissingAuthenticationTokenException', false);
    expect(unsigned.fix).toContain('PERKAMO_OTEL_SIGV4=xray');
    expect(refusal(401, 'unknown API key', '', false).fix).toContain('OTEL_EXPORTER_OTLP_HEADERS');
  });

  it('a protobuf Status body: its message is quoted', () => {
    const message = 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.';
    // google.rpc.Status { code = 3; message = … }: field 1 varint, field 2 length-delimited.
    const status = Buffer.concat([Buffer.from([0x08, 0x03, 0x12, message.length]), Buffer.from(message)]);
    const r = refusalOf({ status: 400, errorType: '', body: status, signed: true, secrets: [] });
    expect(r.key).toBe('400 transaction-search');
    expect(r.detail).toContain(message);
  });

  it('never repeats a credential or a signature the answer echoes, and stays one bounded line', () => {
    const token = 'IQoJb3JpZ2luX2VjEJr//////////wEaDGV1LWNlbnRyYWwtMSJHMEUCIQD';
    const body = JSON.stringify({
      message: `The request signature we calculated does not match the signature you provided. x-amz-security-token:${token} ASIAHARNESSLOCAL0000 Signature=${'ab'.repeat(32)} ${'z'.repeat(500)}\nThe Canonical String for this request should have been 'POST /v1/traces'`,
    });
    const r = refusal(403, body, 'InvalidSignatureException', true, ['ASIAHARNESSLOCAL0000', 'secret-key']);
    expect(r.key).toBe('403 signature');
    expect(r.detail).not.toContain(token.slice(0, 20));
    expect(r.detail).not.toContain('ASIAHARNESSLOCAL0000');
    expect(r.detail).not.toContain('ab'.repeat(32));
    expect(r.detail).not.toContain('Canonical String');
    expect(r.detail.length).toBeLessThan(300);
  });

  it('an unknown refusal: the spans are dropped and the warning says so', () => {
    const r = refusal(422, 'nope');
    expect(r.key).toBe('422 other');
    expect(r.fix).toContain('dropped');
  });
});
