// The `xray-lambda` propagator: the X-Ray header Lambda hands each invocation is a parent only when
// OTEL_PROPAGATORS names it; then the carrier (traceparent, X-Amzn-Trace-Id) still wins, and the
// runtime's invoke store (several invocations per process) wins over _X_AMZN_TRACE_ID.
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type TextMapGetter } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig, type Env } from '../../layers/otel/config.ts';
import { setupTracing } from '../../layers/otel/setup.ts';
import { XRayLambdaPropagator } from '../../layers/otel/xray-lambda-propagator.ts';
import { lambdaTraceHeader } from '../../src/telemetry/lambda-trace-header.ts';

const root = '1-5759e988-bd862e3fe1be46a994272793';
const header = (sampled: 0 | 1, parent = '53995c3f42cd8ad8', traceRoot = root) => `Root=${traceRoot};Parent=${parent};Sampled=${sampled}`;
const xrayTraceId = '5759e988bd862e3fe1be46a994272793';
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const getter: TextMapGetter<Record<string, string>> = { get: (c, k) => c[k], keys: (c) => Object.keys(c) };
type LambdaGlobal = { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } };
const lambdaGlobal = globalThis as LambdaGlobal;

let savedEnv: string | undefined;
beforeEach(() => {
  savedEnv = process.env._X_AMZN_TRACE_ID;
  delete process.env._X_AMZN_TRACE_ID;
});
afterEach(() => {
  if (savedEnv === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = savedEnv;
  delete lambdaGlobal.awslambda;
  trace.disable();
  context.disable();
  propagation.disable();
});

/** The composite propagator the layer builds for `env`. */
const propagatorFor = (env: Env) => setupTracing(env, { exporter: new InMemorySpanExporter(), warn: () => undefined })!.propagator;
const extracted = (env: Env, carrier: Record<string, string> = {}) =>
  trace.getSpanContext(propagatorFor(env).extract(ROOT_CONTEXT, carrier, getter));

describe('the Lambda trace header', () => {
  it('comes from the invoke store first, else from _X_AMZN_TRACE_ID, else nowhere', () => {
    expect(lambdaTraceHeader()).toBeUndefined();
    process.env._X_AMZN_TRACE_ID = header(0);
    expect(lambdaTraceHeader()).toBe(header(0));
    // aws-lambda-ric 4.x keeps each invocation's header in @aws/lambda-invoke-store, exposed here;
    // with AWS_LAMBDA_MAX_CONCURRENCY it never sets _X_AMZN_TRACE_ID.
    lambdaGlobal.awslambda = { InvokeStore: { getXRayTraceId: () => header(1, 'aaaaaaaaaaaaaaaa') } };
    expect(lambdaTraceHeader()).toBe(header(1, 'aaaaaaaaaaaaaaaa'));
    // A store without a header for this invocation (none sent) falls back on the variable.
    lambdaGlobal.awslambda = { InvokeStore: { getXRayTraceId: () => undefined } };
    expect(lambdaTraceHeader()).toBe(header(0));
    lambdaGlobal.awslambda = {};
    expect(lambdaTraceHeader()).toBe(header(0));
  });
});

describe('xray-lambda propagator', () => {
  it('OTEL_PROPAGATORS accepts xray-lambda; the default does not include it', () => {
    const warnings: string[] = [];
    expect(readConfig({ OTEL_PROPAGATORS: 'tracecontext,baggage,xray-lambda' }, (m) => warnings.push(m)).propagators).toEqual([
      'tracecontext',
      'baggage',
      'xray-lambda',
    ]);
    expect(warnings).toEqual([]);
    expect(readConfig({}, () => undefined).propagators).not.toContain('xray-lambda');
    readConfig({ OTEL_PROPAGATORS: 'tracecontext,xray-lamda' }, (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringContaining('"xray-lamda" ignored (use tracecontext, baggage, xray, xray-lambda or none)')]);
  });

  it('default propagators: the Lambda header is never a parent', () => {
    process.env._X_AMZN_TRACE_ID = header(1);
    lambdaGlobal.awslambda = { InvokeStore: { getXRayTraceId: () => header(1) } };
    expect(extracted({})).toBeUndefined();
    expect(extracted({ OTEL_PROPAGATORS: 'tracecontext,baggage,xray' })).toBeUndefined();
  });

  it('with an empty carrier, the Lambda header is the parent, its Sampled flag honoured', () => {
    const env = { OTEL_PROPAGATORS: 'tracecontext,baggage,xray-lambda' };
    process.env._X_AMZN_TRACE_ID = header(0);
    expect(extracted(env)).toEqual({ traceId: xrayTraceId, spanId: '53995c3f42cd8ad8', traceFlags: TraceFlags.NONE, isRemote: true });
    process.env._X_AMZN_TRACE_ID = header(1);
    expect(extracted(env)).toMatchObject({ traceId: xrayTraceId, spanId: '53995c3f42cd8ad8', traceFlags: TraceFlags.SAMPLED });
  });

  it("the invoke store's header wins over _X_AMZN_TRACE_ID", () => {
    process.env._X_AMZN_TRACE_ID = header(0, '1111111111111111');
    lambdaGlobal.awslambda = { InvokeStore: { getXRayTraceId: () => header(1, '2222222222222222') } };
    expect(extracted({ OTEL_PROPAGATORS: 'xray-lambda' })).toMatchObject({ spanId: '2222222222222222', traceFlags: TraceFlags.SAMPLED });
  });

  it('the carrier wins: traceparent from an earlier propagator, or an X-Amzn-Trace-Id header', () => {
    process.env._X_AMZN_TRACE_ID = header(0);
    const env = { OTEL_PROPAGATORS: 'tracecontext,baggage,xray-lambda' };
    expect(extracted(env, { traceparent })).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
    const fromHeader = extracted(env, { 'x-amzn-trace-id': header(1, '3333333333333333', '1-11111111-222222222222222222222222') });
    expect(fromHeader).toMatchObject({ traceId: '11111111222222222222222222222222', spanId: '3333333333333333', traceFlags: TraceFlags.SAMPLED });
    // An invalid carrier header is no context: the Lambda header applies.
    expect(extracted(env, { traceparent: '00-garbage' })).toMatchObject({ traceId: xrayTraceId });
  });

  it('keeps a context given to extract, and injects X-Amzn-Trace-Id like xray', () => {
    process.env._X_AMZN_TRACE_ID = header(1);
    const propagator = new XRayLambdaPropagator();
    const given = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED });
    expect(trace.getSpanContext(propagator.extract(given, {}, getter))?.traceId).toBe('a'.repeat(32));
    const carrier: Record<string, string> = {};
    propagator.inject(given, carrier, { set: (c, k, v) => void (c[k] = v) });
    expect(carrier).toEqual({ 'x-amzn-trace-id': `Root=1-aaaaaaaa-${'a'.repeat(24)};Parent=${'b'.repeat(16)};Sampled=1` });
    expect(propagator.fields()).toEqual(['x-amzn-trace-id']);
  });

  it('reads the header at each extract, through the source it is given', () => {
    let current: string | undefined = header(1, '4444444444444444');
    const propagator = new XRayLambdaPropagator(() => current);
    expect(trace.getSpanContext(propagator.extract(ROOT_CONTEXT, {}, getter))?.spanId).toBe('4444444444444444');
    current = undefined;
    expect(trace.getSpanContext(propagator.extract(ROOT_CONTEXT, {}, getter))).toBeUndefined();
    current = 'Root=not-xray;Parent=zz';
    expect(trace.getSpanContext(propagator.extract(ROOT_CONTEXT, {}, getter))).toBeUndefined();
  });
});
