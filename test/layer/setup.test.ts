// The layer's setup with the real SDK and an in-memory exporter: configuration from the standard
// variables, the Lambda resource, sampler and propagator selection, the context manager, the
// bounded buffer and the bounded flush.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHeaders, readConfig, type Env } from '../../layers/otel/config.ts';
import { formatWaterfalls } from '../../layers/otel/console-exporter.ts';
import { defaultWarn, setupTracing, type SetupOptions, type Tracing } from '../../layers/otel/setup.ts';

const lambdaEnv: Env = {
  AWS_LAMBDA_FUNCTION_NAME: 'perkamo-emit',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[$LATEST]0123456789abcdef',
  AWS_REGION: 'eu-west-1',
};

function setup(env: Env, options: Partial<SetupOptions> = {}) {
  const warnings: string[] = [];
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing(env, { exporter, warn: (m) => warnings.push(m), ...options });
  if (!tracing) throw new Error('tracing disabled');
  return { tracing, exporter, warnings, tracer: tracing.provider.getTracer('test') };
}

const config = (env: Env) => {
  const warnings: string[] = [];
  return { config: readConfig(env, (m) => warnings.push(m)), warnings };
};

const sampledParent = (flags = TraceFlags.SAMPLED): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote: true,
  });

afterEach(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('resource from the Lambda environment', () => {
  it('describes the function, its memory in bytes, its instance and region', async () => {
    const { tracer, tracing, exporter } = setup(lambdaEnv);
    tracer.startSpan('work').end();
    await tracing.flush(1000);
    const [span] = exporter.getFinishedSpans();
    expect(span?.resource.attributes).toMatchObject({
      'service.name': 'perkamo-emit',
      'faas.name': 'perkamo-emit',
      'faas.version': '$LATEST',
      'faas.max_memory': 512 * 1024 * 1024,
      'faas.instance': '2025/01/01/[$LATEST]0123456789abcdef',
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': 'eu-west-1',
      'telemetry.sdk.language': 'nodejs',
      // The layer's own SDK names itself, as the semantic conventions require of an SDK that is not OpenTelemetry's.
      'telemetry.sdk.name': 'perkamo-lambda',
    });
    // The account is not in the environment: the invocation span adds it from the invoked ARN.
    expect(span?.resource.attributes['cloud.account.id']).toBeUndefined();
  });

  it('OTEL_RESOURCE_ATTRIBUTES adds and overrides (percent-decoded), OTEL_SERVICE_NAME wins', () => {
    const { config: a } = config({
      ...lambdaEnv,
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=loyalty%20core,faas.name=custom',
    });
    expect(a.resource).toMatchObject({
      'deployment.environment.name': 'prod',
      team: 'loyalty core',
      'faas.name': 'custom',
      'service.name': 'perkamo-emit',
    });
    const { config: b } = config({ ...lambdaEnv, OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' });
    expect(b.resource['service.name']).toBe('from-attrs');
    const { config: c } = config({ ...lambdaEnv, OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs', OTEL_SERVICE_NAME: 'perkamo' });
    expect(c.resource['service.name']).toBe('perkamo');
  });

  it('outside Lambda claims no cloud and names the service unknown_service:node', () => {
    const { config: c } = config({});
    expect(c.resource).toEqual({ 'service.name': 'unknown_service:node' });
  });

  it('a bad memory size warns and is left out', () => {
    const { config: c, warnings } = config({ ...lambdaEnv, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' });
    expect(c.resource['faas.max_memory']).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')]);
  });
});

describe('configuration from the standard variables', () => {
  it('defaults: otlp over http/protobuf to localhost:4318, parentbased_always_on, tracecontext+baggage', () => {
    const { config: c, warnings } = config({});
    expect(c).toMatchObject({
      disabled: false,
      exporters: ['otlp'],
      otlp: { url: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', headers: {}, timeoutMs: 10_000 },
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      propagators: ['tracecontext', 'baggage'],
    });
    expect(warnings).toEqual([]);
  });

  it('endpoints: the base gets /v1/traces, the traces endpoint is used as given', () => {
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io/' }).config.otlp.url).toBe(
      'https://api.honeycomb.io/v1/traces',
    );
    expect(
      config({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://ignored.example',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/custom/path',
      }).config.otlp.url,
    ).toBe('https://collector.example/custom/path');
  });

  it('headers, timeout and protocol: traces-specific values win', () => {
    const { config: c, warnings } = config({
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc,Authorization=Basic%20dXNlcjpwYXNz',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-honeycomb-team=def',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    expect(c.otlp).toMatchObject({
      headers: { 'x-honeycomb-team': 'def', authorization: 'Basic dXNlcjpwYXNz' },
      timeoutMs: 2500,
      protocol: 'http/json',
    });
    expect(warnings).toEqual([]);
  });

  it('parses headers: trims, percent-decodes, keeps "=" in values, skips bad entries with a warning', () => {
    const warnings: string[] = [];
    const headers = parseHeaders(' a = 1 , b=x%3Dy==,novalue, =orphan,bad name=1,', 'H', (m) => warnings.push(m));
    expect(headers).toEqual({ a: '1', b: 'x=y==' });
    expect(warnings).toHaveLength(3);
    // A warning never repeats a value: it may be a secret.
    expect(warnings.join(' ')).not.toContain('orphan');
  });

  it('bad values: one warning each, and a sensible fallback', () => {
    const { config: c, warnings } = config({
      OTEL_SDK_DISABLED: 'maybe',
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TIMEOUT: '-1',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_PROPAGATORS: 'b3',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli',
    });
    expect(c).toMatchObject({
      disabled: false,
      exporters: ['otlp'],
      otlp: { url: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', timeoutMs: 10_000 },
      sampler: { name: 'parentbased_always_on' },
      propagators: ['tracecontext', 'baggage'],
    });
    for (const name of ['OTEL_SDK_DISABLED', 'zipkin', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'sometimes', 'b3', 'brotli']) {
      expect(warnings.some((w) => w.includes(name)), name).toBe(true);
    }
    expect(warnings.every((w) => !w.includes('\n'))).toBe(true);
  });

  it('span limits: the span variable, else the attribute one, else the SDK default; not a number: named and ignored', () => {
    expect(config({}).config.limits).toEqual({
      attributeCountLimit: 128,
      attributeValueLengthLimit: Infinity,
      eventCountLimit: 128,
      linkCountLimit: 128,
      attributePerEventCountLimit: 128,
      attributePerLinkCountLimit: 128,
    });
    const { config: c, warnings } = config({
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'lots',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '16',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: 'short',
      OTEL_SPAN_EVENT_COUNT_LIMIT: ' ',
      OTEL_SPAN_LINK_COUNT_LIMIT: '1.5',
    });
    expect(c.limits).toMatchObject({ attributeCountLimit: 16, attributeValueLengthLimit: 64, eventCountLimit: 128, linkCountLimit: 1.5 });
    // Each bad one named, with the fix, even where another variable decides the limit.
    expect(warnings).toEqual([
      'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="lots" is not a number (a count or length such as 128); ignored',
      'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT="short" is not a number (a count or length such as 128); ignored',
    ]);
  });

  it('OTEL_SDK_DISABLED=true: no provider at all, the API stays a no-op', () => {
    expect(setupTracing({ OTEL_SDK_DISABLED: 'true' }, { warn: () => undefined })).toBeUndefined();
    expect(setupTracing({ OTEL_SDK_DISABLED: 'TRUE' }, { warn: () => undefined })).toBeUndefined();
  });

  it('OTEL_TRACES_EXPORTER: none keeps nothing, lists are honoured', async () => {
    const none = setupTracing({ OTEL_TRACES_EXPORTER: 'none' }, { warn: () => undefined });
    expect(none?.processor).toBeUndefined();
    await expect(none?.flush(100)).resolves.toBeUndefined();
    expect(config({ OTEL_TRACES_EXPORTER: 'console, otlp,console' }).config.exporters).toEqual(['console', 'otlp']);
  });
});

describe('sampler', () => {
  const finished = async (env: Env, parent: Context = ROOT_CONTEXT) => {
    const { tracer, tracing, exporter, warnings } = setup(env);
    tracer.startSpan('work', {}, parent).end();
    await tracing.flush(1000);
    return { spans: exporter.getFinishedSpans(), warnings };
  };

  it('default parentbased_always_on: roots sampled, an unsampled parent is honoured', async () => {
    expect((await finished({})).spans).toHaveLength(1);
    expect((await finished({}, sampledParent(TraceFlags.NONE))).spans).toHaveLength(0);
  });

  it('always_on ignores an unsampled parent, always_off samples nothing', async () => {
    expect((await finished({ OTEL_TRACES_SAMPLER: 'always_on' }, sampledParent(TraceFlags.NONE))).spans).toHaveLength(1);
    expect((await finished({ OTEL_TRACES_SAMPLER: 'always_off' }, sampledParent())).spans).toHaveLength(0);
  });

  it('traceidratio uses OTEL_TRACES_SAMPLER_ARG; parentbased_* follow a sampled parent', async () => {
    expect((await finished({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })).spans).toHaveLength(0);
    expect((await finished({ OTEL_TRACES_SAMPLER: 'TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '1' })).spans).toHaveLength(1);
    expect((await finished({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' })).spans).toHaveLength(0);
    expect((await finished({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, sampledParent())).spans).toHaveLength(1);
    const env = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
    expect((await finished(env)).spans).toHaveLength(0);
    expect((await finished(env, sampledParent())).spans).toHaveLength(1);
  });

  it('a bad ratio warns and samples everything', async () => {
    const { spans, warnings } = await finished({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' });
    expect(spans).toHaveLength(1);
    expect(warnings).toEqual([expect.stringContaining('OTEL_TRACES_SAMPLER_ARG')]);
  });
});

describe('propagators', () => {
  const carrierOf = (env: Env) => {
    const { tracing } = setup(env);
    const carrier: Record<string, string> = {};
    const withBaggage = propagation.setBaggage(sampledParent(), propagation.createBaggage({ tenant: { value: 'acme' } }));
    tracing.propagator.inject(withBaggage, carrier, { set: (c, k, v) => void (c[k] = v) });
    return { carrier, tracing };
  };

  it('default: W3C traceparent and baggage', () => {
    const { carrier } = carrierOf({});
    expect(carrier).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      baggage: 'tenant=acme',
    });
  });

  it('xray adds X-Amzn-Trace-Id and extracts it', () => {
    const { carrier, tracing } = carrierOf({ OTEL_PROPAGATORS: 'tracecontext,xray' });
    expect(Object.keys(carrier).sort()).toEqual(['traceparent', 'x-amzn-trace-id']);
    expect(carrier['x-amzn-trace-id']).toBe('Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1');
    const extracted = tracing.propagator.extract(
      ROOT_CONTEXT,
      { 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' },
      { get: (c, k) => c[k], keys: (c) => Object.keys(c) },
    );
    expect(trace.getSpanContext(extracted)).toMatchObject({ traceId: '5759e988bd862e3fe1be46a994272793', spanId: '53995c3f42cd8ad8' });
  });

  it('none propagates nothing; unknown names warn and are skipped', () => {
    expect(carrierOf({ OTEL_PROPAGATORS: 'none' }).carrier).toEqual({});
    const { config: c, warnings } = config({ OTEL_PROPAGATORS: 'baggage,b3multi' });
    expect(c.propagators).toEqual(['baggage']);
    expect(warnings).toEqual([expect.stringContaining('b3multi')]);
  });
});

describe('registered globally', () => {
  it('the context manager carries the active span across awaits and timers', async () => {
    const { tracing, exporter } = setup({});
    tracing.register();
    const tracer = trace.getTracer('global');
    await tracer.startActiveSpan('invocation', { kind: SpanKind.SERVER }, async (parent: Span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await Promise.all([1, 2].map(async (n) => tracer.startSpan(`attempt ${n}`, { kind: SpanKind.CLIENT }).end()));
      const bound = context.bind(trace.setSpan(ROOT_CONTEXT, parent), () => tracer.startSpan('bound').end());
      context.with(ROOT_CONTEXT, bound);
      parent.end();
    });
    tracer.startSpan('outside').end();
    await tracing.flush(1000);
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'invocation')!;
    for (const name of ['attempt 1', 'attempt 2', 'bound']) {
      expect(spans.find((s) => s.name === name)?.parentSpanContext?.spanId, name).toBe(parent.spanContext().spanId);
    }
    expect(spans.find((s) => s.name === 'outside')?.parentSpanContext).toBeUndefined();
  });

  it('propagation uses the configured propagator', () => {
    const { tracing } = setup({ OTEL_PROPAGATORS: 'xray' });
    tracing.register();
    const carrier: Record<string, string> = {};
    propagation.inject(sampledParent(), carrier);
    expect(Object.keys(carrier)).toEqual(['x-amzn-trace-id']);
  });
});

describe('buffer and flush', () => {
  it('keeps at most maxBufferedSpans, dropping the oldest with one warning', async () => {
    const { tracer, tracing, exporter, warnings } = setup({}, { maxBufferedSpans: 3 });
    for (let i = 1; i <= 6; i++) tracer.startSpan(`span ${i}`).end();
    expect(tracing.processor?.buffered).toBe(3);
    await tracing.flush(1000);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['span 4', 'span 5', 'span 6']);
    expect(warnings).toEqual([expect.stringContaining('buffer full')]);
    expect(tracing.processor?.buffered).toBe(0);
  });

  it('an empty buffer flushes at once, without calling the exporter', async () => {
    let calls = 0;
    const exporter: SpanExporter = { export: () => void calls++, shutdown: async () => undefined };
    const { tracing } = setup({}, { exporter });
    await tracing.flush(1000);
    expect(calls).toBe(0);
  });

  it('a failing exporter: the spans are dropped, one warning per process, flush never rejects', async () => {
    const exporter: SpanExporter = {
      export: (_spans, done) => done({ code: ExportResultCode.FAILED, error: new Error('collector said no') }),
      shutdown: async () => undefined,
    };
    const { tracer, tracing, warnings } = setup({}, { exporter });
    tracer.startSpan('a').end();
    await expect(tracing.flush(1000)).resolves.toBeUndefined();
    tracer.startSpan('b').end();
    await tracing.flush(1000);
    expect(warnings).toEqual([expect.stringMatching(/dropped 1 span: collector said no/)]);
    expect(tracing.processor?.buffered).toBe(0);
  });

  it('an exporter that throws or never calls back is bounded too', async () => {
    const throwing: SpanExporter = {
      export: () => {
        throw new Error('boom');
      },
      shutdown: async () => undefined,
    };
    const a = setup({}, { exporter: throwing });
    a.tracer.startSpan('a').end();
    await expect(a.tracing.flush(1000)).resolves.toBeUndefined();
    expect(a.warnings).toEqual([expect.stringContaining('boom')]);

    const silent: SpanExporter = { export: () => undefined, shutdown: async () => undefined };
    const b = setup({}, { exporter: silent });
    b.tracer.startSpan('b').end();
    const started = performance.now();
    await b.tracing.flush(80);
    expect(performance.now() - started).toBeGreaterThanOrEqual(70);
    expect(performance.now() - started).toBeLessThan(500);
    expect(b.warnings).toEqual([expect.stringContaining('timed out after 80 ms')]);
  });

  it('no time left (timeoutMs <= 0): drops at once with the one warning', async () => {
    const { tracer, tracing, exporter, warnings } = setup({});
    tracer.startSpan('late').end();
    await tracing.flush(0);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(warnings).toEqual([expect.stringContaining('no time left')]);
  });

  it('only sampled spans are buffered', async () => {
    const { tracer, tracing, exporter } = setup({ OTEL_TRACES_SAMPLER: 'always_off' });
    tracer.startSpan('not sampled').end();
    expect(tracing.processor?.buffered).toBe(0);
    await tracing.flush(100);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});

describe('console exporter', () => {
  async function waterfall(): Promise<{ text: string; writes: number; tracing: Tracing }> {
    const out: string[] = [];
    const tracing = setupTracing({ OTEL_TRACES_EXPORTER: 'console' }, { write: (t) => out.push(t), warn: () => undefined })!;
    const tracer = tracing.provider.getTracer('test');
    const root = tracer.startSpan('POST /events', { kind: SpanKind.SERVER, attributes: { 'faas.trigger': 'http' } }, sampledParent());
    const rootContext = trace.setSpan(ROOT_CONTEXT, root);
    const op = tracer.startSpan('perkamo emit', { attributes: { 'perkamo.request_id': 'req_42' } }, rootContext);
    const opContext = trace.setSpan(ROOT_CONTEXT, op);
    const attempt = tracer.startSpan('POST', { kind: SpanKind.CLIENT }, opContext);
    attempt.setAttributes({ 'http.response.status_code': 503, 'error.type': '503' });
    attempt.end();
    const retry = tracer.startSpan('POST', { kind: SpanKind.CLIENT }, opContext);
    retry.setAttributes({ 'http.response.status_code': 202, 'perkamo.request_id': 'req_42' });
    retry.end();
    op.end();
    root.setAttribute('http.response.status_code', 202);
    root.end();
    const other = tracer.startSpan('process orders', { kind: SpanKind.CONSUMER });
    other.setStatus({ code: SpanStatusCode.ERROR, message: 'budget exhausted' });
    other.end();
    await tracing.flush(1000);
    return { text: out.join(''), writes: out.length, tracing };
  }

  it('prints one compact waterfall per trace, indented by parent, in one write', async () => {
    const { text, writes } = await waterfall();
    expect(writes).toBe(1);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^trace 0af7651916cd43dd8448eb211c80319c \(parent b7ad6b7169203331\) · 4 spans · [\d.]+ ms$/);
    expect(lines[1]).toMatch(/^ {2}POST \/events\s+SERVER\s+[\d.]+ ms\s+[·█]{24}\s+faas\.trigger=http http\.response\.status_code=202$/);
    expect(lines[2]).toMatch(/^ {4}perkamo emit\s+INTERNAL .*perkamo\.request_id=req_42$/);
    expect(lines[3]).toMatch(/^ {6}POST\s+CLIENT .*http\.response\.status_code=503 error\.type=503$/);
    expect(lines[4]).toMatch(/^ {6}POST\s+CLIENT .*http\.response\.status_code=202 perkamo\.request_id=req_42$/);
    expect(lines[5]).toMatch(/^trace [0-9a-f]{32} · 1 span · /);
    expect(lines[6]).toMatch(/process orders\s+CONSUMER .* error: budget exhausted$/);
  });

  it('draws each bar inside the trace: a child never starts before its parent', () => {
    const span = (name: string, start: number, end: number, parent?: string): ReadableSpan =>
      ({
        name,
        kind: SpanKind.INTERNAL,
        spanContext: () => ({ traceId: 'a'.repeat(32), spanId: name.padEnd(16, '0'), traceFlags: 1 }),
        parentSpanContext: parent ? { traceId: 'a'.repeat(32), spanId: parent.padEnd(16, '0'), traceFlags: 1 } : undefined,
        startTime: [0, start * 1e6],
        endTime: [0, end * 1e6],
        duration: [0, (end - start) * 1e6],
        status: { code: SpanStatusCode.UNSET },
        attributes: {},
      }) as unknown as ReadableSpan;
    const text = formatWaterfalls([span('b', 50, 100, 'a'), span('a', 0, 100)]);
    const bars = text.split('\n').slice(1, 3).map((l) => l.match(/[·█]{24}/)?.[0]);
    expect(bars).toEqual(['█'.repeat(24), '·'.repeat(12) + '█'.repeat(12)]);
  });
});

describe('OTEL_EXPORTER_OTLP_COMPRESSION', () => {
  it.each([
    [{}, false, 0],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, true, 0],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'GZIP' }, true, 0],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }, false, 0],
    // The signal-specific variable wins over the general one.
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }, false, 0],
    [{ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'zstd' }, false, 1],
  ] as [Env, boolean, number][])('%j → gzip %s', (env, gzip, warned) => {
    const { config: c, warnings } = config(env);
    expect(c.otlp.gzip).toBe(gzip);
    expect(warnings.filter((w) => w.includes('COMPRESSION'))).toHaveLength(warned);
  });
});

describe('PERKAMO_OTEL_FLUSH', () => {
  it.each([
    [undefined, 'after-response', 0],
    ['in-invocation', 'in-invocation', 0],
    ['After-Response', 'after-response', 0],
    ['later', 'after-response', 1],
  ])('%s → %s', (raw, mode, warned) => {
    const { config: c, warnings } = config(raw === undefined ? {} : { PERKAMO_OTEL_FLUSH: raw });
    expect(c.flush).toBe(mode);
    expect(warnings.filter((w) => w.includes('PERKAMO_OTEL_FLUSH'))).toHaveLength(warned);
  });
});

describe('the layer\'s warnings', () => {
  function capture(functionName: string | undefined): string {
    const saved = { write: process.stderr.write, name: process.env.AWS_LAMBDA_FUNCTION_NAME };
    let text = '';
    process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
    if (functionName === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = functionName;
    try {
      defaultWarn('export timed out after 300 ms');
    } finally {
      process.stderr.write = saved.write;
      if (saved.name === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = saved.name;
    }
    return text;
  }

  it('on Lambda: one JSON line in the functions\' log shape', () => {
    expect(JSON.parse(capture('perkamo-lambda-prod-emit'))).toEqual({
      level: 'WARN',
      message: '[otel] export timed out after 300 ms',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      function_name: 'perkamo-lambda-prod-emit',
    });
  });

  it('elsewhere (a local process): plain text', () => {
    expect(capture(undefined)).toBe('[otel] export timed out after 300 ms\n');
  });
});
