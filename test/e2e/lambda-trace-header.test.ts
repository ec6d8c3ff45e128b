// Lambda's own X-Ray header through the built functions and the layer's real SDK set-up (sampler,
// propagators, buffered processor, flush hook — registered in this process as init.ts does, with an
// in-memory exporter). Lambda sends `Sampled=0` whenever active tracing is off: by default that
// header is no parent, and only `OTEL_PROPAGATORS=…,xray-lambda` makes it one.
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupTracing } from '../../layers/otel/setup.ts';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { registerTelemetryHooks, type TelemetryHooks } from '../../src/telemetry/hooks.ts';
import { eventBridgeEvent, httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, loadFunction, type Handler } from '../helpers/functions.ts';
import { parentOf } from '../helpers/tracing.ts';

const xrayRoot = '1-5759e988-bd862e3fe1be46a994272793';
const xrayTraceId = '5759e988bd862e3fe1be46a994272793';
const xrayParent = '53995c3f42cd8ad8';
const lambdaHeader = (sampled: 0 | 1, parent = xrayParent) => `Root=${xrayRoot};Parent=${parent};Sampled=${sampled}`;
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
const optIn = 'tracecontext,baggage,xray-lambda';

type LambdaGlobal = { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } };

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  delete process.env._X_AMZN_TRACE_ID;
  delete (globalThis as LambdaGlobal).awslambda;
  registerTelemetryHooks(undefined as unknown as TelemetryHooks);
  trace.disable();
  context.disable();
  propagation.disable();
});

/**
 * The layer set up from `otelEnv` and registered, then a fresh cold start of the built function.
 * Spans reach the exporter only through the flush the function awaits.
 */
async function traced(name: string, otelEnv: Record<string, string> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing(otelEnv, { exporter, warn: () => undefined })!;
  tracing.register();
  registerTelemetryHooks({ flush: tracing.flush });
  const handler: Handler = await loadFunction(name, functionEnv(emulator));
  return { handler, spans: (): ReadableSpan[] => exporter.getFinishedSpans() };
}

const purchase = (tx: string) => ({ user_id: 'u1', event: 'purchase.completed', transaction_id: tx, context: { amount: 100 } });
const named = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
};

describe('default propagators: the Lambda X-Ray header is not a parent', () => {
  it('with Sampled=0, HTTP and direct invocations are exported, each as a new trace', async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(0);
    const { handler, spans } = await traced('emit');
    const res = await handler(httpApiEvent('POST /events', purchase('d1'), await bearer('backend')), lambdaContext());
    expect(res.statusCode).toBe(200);
    await handler(purchase('d2'), lambdaContext());
    const server = named(spans(), 'POST /events');
    const direct = named(spans(), 'invoke perkamo-test');
    for (const span of [server, direct]) {
      expect(span.spanContext().traceId).not.toBe(xrayTraceId);
      expect(span.parentSpanContext).toBeUndefined();
    }
    expect(server.spanContext().traceId).not.toBe(direct.spanContext().traceId);
    expect(spans().filter((s) => s.name === 'perkamo emit')).toHaveLength(2);
  });

  it('the invoke store is ignored too', async () => {
    (globalThis as LambdaGlobal).awslambda = { InvokeStore: { getXRayTraceId: () => lambdaHeader(1) } };
    const { handler, spans } = await traced('emit');
    await handler(purchase('d3'), lambdaContext());
    expect(named(spans(), 'invoke perkamo-test').parentSpanContext).toBeUndefined();
  });
});

describe('OTEL_PROPAGATORS names xray-lambda: the Lambda X-Ray header is the parent when the trigger carries none', () => {
  it('Sampled=0: nothing is exported, and the invocation still succeeds', async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(0);
    const { handler, spans } = await traced('emit', { OTEL_PROPAGATORS: optIn });
    const res = await handler(httpApiEvent('POST /events', purchase('x1'), await bearer('backend')), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(await handler(purchase('x2'), lambdaContext())).toMatchObject({ applied: true });
    expect(spans()).toEqual([]);
  });

  it('Sampled=1: the span continues the X-Ray trace (trace id from Root, parent from Parent)', async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(1);
    const { handler, spans } = await traced('emit', { OTEL_PROPAGATORS: optIn });
    await handler(purchase('x3'), lambdaContext());
    const direct = named(spans(), 'invoke perkamo-test');
    expect(direct.spanContext().traceId).toBe(xrayTraceId);
    expect(parentOf(direct)).toBe(xrayParent);
    expect(parentOf(named(spans(), 'perkamo emit'))).toBe(direct.spanContext().spanId);
  });

  it('traceparent in HTTP headers, or in EventBridge detail, still wins over the Lambda header', async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(1);
    const { handler, spans } = await traced('emit', { OTEL_PROPAGATORS: optIn });
    await handler(httpApiEvent('POST /events', purchase('x4'), { ...(await bearer('backend')), traceparent }), lambdaContext());
    await handler(eventBridgeEvent({ ...purchase('x5'), traceparent }, 'purchase.completed'), lambdaContext());
    await handler(eventBridgeEvent(purchase('x6'), 'page.viewed'), lambdaContext());
    for (const name of ['POST /events', 'process purchase.completed']) {
      const span = named(spans(), name);
      expect([span.spanContext().traceId, parentOf(span)], name).toEqual([traceId, '00f067aa0ba902b7']);
    }
    const bare = named(spans(), 'process page.viewed');
    expect([bare.spanContext().traceId, parentOf(bare)]).toEqual([xrayTraceId, xrayParent]);
  });

  it("the invoke store's header (several invocations per process) wins over _X_AMZN_TRACE_ID", async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(0, '1111111111111111');
    (globalThis as LambdaGlobal).awslambda = { InvokeStore: { getXRayTraceId: () => lambdaHeader(1, '2222222222222222') } };
    const { handler, spans } = await traced('emit', { OTEL_PROPAGATORS: optIn });
    await handler(purchase('x7'), lambdaContext());
    expect(parentOf(named(spans(), 'invoke perkamo-test'))).toBe('2222222222222222');
  });

  it("SQS: the Lambda header is the parent; each message's traceparent or AWSTraceHeader stays a link, and a message without one has none", async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(1);
    const { handler, spans } = await traced('batch', { OTEL_PROPAGATORS: optIn });
    const event = sqsEvent([
      { messageId: 'm1', body: purchase('s1'), attributes: { traceparent: { stringValue: traceparent, dataType: 'String' } } },
      { messageId: 'm2', body: purchase('s2') },
      { messageId: 'm3', body: purchase('s3') },
    ]);
    (event.Records[1]!.attributes as Record<string, string>).AWSTraceHeader = `Root=1-11111111-222222222222222222222222;Parent=3333333333333333;Sampled=1`;
    expect(await handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    const consumer = named(spans(), 'process perkamo-events');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect([consumer.spanContext().traceId, parentOf(consumer)]).toEqual([xrayTraceId, xrayParent]);
    expect(consumer.links.map((l) => [l.context.traceId, l.context.spanId, l.attributes?.['messaging.message.id']])).toEqual([
      [traceId, '00f067aa0ba902b7', 'm1'],
      ['11111111222222222222222222222222', '3333333333333333', 'm2'],
    ]);
  });
});

describe('SQS messages are links under the default propagators too', () => {
  it('AWSTraceHeader is a link, never the parent, and the Lambda header is ignored', async () => {
    process.env._X_AMZN_TRACE_ID = lambdaHeader(0);
    const { handler, spans } = await traced('batch');
    const event = sqsEvent([{ messageId: 'm1', body: purchase('s4') }]);
    (event.Records[0]!.attributes as Record<string, string>).AWSTraceHeader = `Root=${xrayRoot};Parent=${xrayParent};Sampled=1`;
    await handler(event, lambdaContext());
    const consumer = named(spans(), 'process perkamo-events');
    expect(consumer.parentSpanContext).toBeUndefined();
    expect(consumer.spanContext().traceId).not.toBe(xrayTraceId);
    expect(consumer.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[xrayTraceId, xrayParent]]);
  });
});
