// The layer's own OTLP encoders (layers/otel/otlp-encode.ts) against two other implementations:
// byte for byte against @opentelemetry/otlp-transformer's serializers, and read back by the harness's
// receiver (dev/harness/otlp-receiver.ts), which decodes the wire format on its own. The spans are the
// layer's provider's, with everything an export can carry: every attribute type, events, links,
// remote parents, trace state, status; bodies large enough to need multi-byte lengths and a grown buffer.
import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOtlpTraces } from '../../dev/harness/otlp-receiver.ts';
import { encodeJson, encodeProtobuf } from '../../layers/otel/otlp-encode.ts';
import { setupTracing } from '../../layers/otel/setup.ts';

async function recordSpans(make: (tracer: (name: string, version?: string) => Tracer) => void, env: Record<string, string> = {}): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing(
    { AWS_LAMBDA_FUNCTION_NAME: 'perkamo-emit', AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', ...env },
    { exporter, warn: () => undefined, maxBufferedSpans: 100_000 },
  )!;
  make((name, version) => tracing.provider.getTracer(name, version));
  await tracing.flush(5_000);
  return exporter.getFinishedSpans();
}

/** Where two bodies first differ (-1: nowhere), so that a failure says more than "not equal". */
function firstDifference(ours: Uint8Array, theirs: Uint8Array): number {
  const a = Buffer.from(ours);
  const b = Buffer.from(theirs);
  if (a.equals(b)) return -1;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function expectSameAsTransformer(spans: ReadableSpan[]): void {
  expect(firstDifference(encodeProtobuf(spans), ProtobufTraceSerializer.serializeRequest(spans)!), 'protobuf').toBe(-1);
  expect(firstDifference(encodeJson(spans), JsonTraceSerializer.serializeRequest(spans)!), 'json').toBe(-1);
}

const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

/** One trace with all an invocation's spans can hold. */
function invocation(tracer: (name: string, version?: string) => Tracer): void {
  const t = tracer('perkamo-lambda', '0.1.0');
  const links = [
    { context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true }, attributes: { 'messaging.message.id': 'm-1' } },
    { context: { traceId: '5759e988bd862e3fe1be46a994272793', spanId: '53995c3f42cd8ad8', traceFlags: TraceFlags.NONE, isRemote: true } },
  ];
  const root = t.startSpan('POST /events', {
    kind: SpanKind.SERVER,
    links,
    attributes: { 'faas.coldstart': true, 'http.route': '/events', 'server.port': 443, 'perkamo.ratio': 0.25, 'perkamo.tags': ['a', 'é', '€uro'] },
  }, remoteParent);
  const ctx = trace.setSpan(remoteParent, root);
  const op = t.startSpan('perkamo emit', { attributes: { 'perkamo.operation': 'emit' } }, ctx);
  op.addEvent('retry', { attempt: 2, 'http.response.status_code': 503 });
  op.addEvent('no attributes');
  op.recordException(new Error('Perkamo answered 503'));
  op.setStatus({ code: SpanStatusCode.ERROR, message: 'Perkamo answered 503 — gave up' });
  const client = tracer('perkamo-http').startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.request.resend_count': 1, 'url.full': `https://api.perkamo.example/v1/events?${'q'.repeat(300)}` } }, trace.setSpan(ctx, op));
  client.setStatus({ code: SpanStatusCode.OK });
  client.end();
  op.end();
  for (const kind of [SpanKind.INTERNAL, SpanKind.PRODUCER, SpanKind.CONSUMER]) t.startSpan(`kind ${kind}`, { kind }, ctx).end();
  root.setAttribute('http.response.status_code', 202);
  root.end();
}

describe('OTLP encoding: the same bytes as @opentelemetry/otlp-transformer', () => {
  it('an invocation: server, operation and client spans, links, events, an exception, status, two scopes, a remote parent', async () => {
    const spans = await recordSpans(invocation);
    expect(spans).toHaveLength(6);
    expectSameAsTransformer(spans);
  });

  it('numbers: integers of every size (negative and beyond 32 bits as int64), doubles, NaN and infinities', async () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 62, -1, -128, -(2 ** 31), -(2 ** 40), -(2 ** 63), 2 ** 63, 1.5, -0.1, 1e300, NaN, Infinity, -Infinity, Number.MIN_VALUE];
    const spans = await recordSpans((tracer) => {
      const attributes: Attributes = {};
      values.forEach((value, i) => (attributes[`n${i}`] = value));
      tracer('numbers').startSpan('numbers', { attributes }).end();
    });
    expectSameAsTransformer(spans);
  });

  it('lengths past one byte, two and three, and a body past the initial buffer', async () => {
    const spans = await recordSpans((tracer) => {
      const t = tracer('sizes');
      for (const size of [127, 128, 16_383, 16_384, 2_097_152]) t.startSpan(`size ${size}`, { attributes: { blob: 'x'.repeat(size), utf8: 'ü'.repeat(size >> 2) } }).end();
      for (let i = 0; i < 500; i++) t.startSpan(`s${i}`, { attributes: { i } }).end();
    });
    expectSameAsTransformer(spans);
  });

  it('trace state from the parent, an unsampled parent under always_on, spans with explicit times', async () => {
    const withState = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
      isRemote: true,
    });
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { ...trace.getSpanContext(withState)!, traceFlags: TraceFlags.NONE, traceState: undefined });
    const spans = await recordSpans((tracer) => {
      const t = tracer('state');
      t.startSpan('child of a traced caller', {}, withState).end();
      t.startSpan('child of an unsampled caller', {}, unsampled).end();
      t.startSpan('timed', { startTime: new Date('2026-01-02T03:04:05.678Z') }).end(new Date('2026-01-02T03:04:06.001Z'));
      t.startSpan('hrtime', { startTime: [1_767_000_000, 999_999_999] }).end([1_767_000_001, 1]);
    }, { OTEL_TRACES_SAMPLER: 'always_on' });
    expectSameAsTransformer(spans);
  });

  it('any attributes the API takes (property-based)', async () => {
    const scalar = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.boolean(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(Number));
    const value = fc.oneof(scalar, fc.array(fc.string(), { maxLength: 4 }), fc.array(fc.integer(), { maxLength: 4 }), fc.array(fc.boolean(), { maxLength: 4 }), fc.array(fc.oneof(fc.string(), fc.constant(null)), { maxLength: 4 }));
    const attributes = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), value, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ name: fc.string(), attributes, event: attributes, link: attributes, message: fc.option(fc.string()) }), { minLength: 1, maxLength: 5 }), async (specs) => {
        const spans = await recordSpans((tracer) => {
          const t = tracer('property');
          for (const spec of specs) {
            const span = t.startSpan(spec.name, {
              attributes: spec.attributes as Attributes,
              links: [{ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED }, attributes: spec.link as Attributes }],
            });
            span.addEvent('event', spec.event as Attributes);
            if (spec.message !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: spec.message });
            span.end();
          }
        });
        expectSameAsTransformer(spans);
      }),
      { numRuns: 150 },
    );
  });
});

describe('OTLP encoding: read back by the harness receiver', () => {
  it.each(['application/x-protobuf', 'application/json'])('%s', async (contentType) => {
    const spans = await recordSpans(invocation);
    const encode = contentType === 'application/json' ? encodeJson : encodeProtobuf;
    const received = decodeOtlpTraces(Buffer.from(encode(spans)), contentType);
    expect(received).toHaveLength(spans.length);
    received.forEach((got, i) => {
      const span = spans[i]!;
      expect(got).toMatchObject({
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId ?? '',
        name: span.name,
        kind: span.kind + 1,
        attributes: span.attributes,
        status: { code: span.status.code, message: span.status.message ?? '' },
        links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: link.attributes ?? {} })),
      });
      expect(got.startNs).toBe(BigInt(span.startTime[0]) * 1_000_000_000n + BigInt(span.startTime[1]));
      expect(got.endNs).toBe(BigInt(span.endTime[0]) * 1_000_000_000n + BigInt(span.endTime[1]));
      expect(got.resource).toMatchObject({ 'service.name': 'perkamo-emit', 'faas.max_memory': 512 * 1024 * 1024, 'cloud.region': 'eu-west-1' });
    });
  });
});
