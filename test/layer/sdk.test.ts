// The layer's own tracer provider and spans (layers/otel/sdk.ts, span.ts) against the official SDK
// (@opentelemetry/sdk-trace-base's BasicTracerProvider): the same calls through the API on both — spans
// started under every kind of parent, attributes valid and not, events, links, status, names,
// exceptions, explicit times, calls after the end, all under the default and under tight span limits —
// and what each ends must be the same (ids and clock readings aside). Plus the samplers on the same
// trace ids, and the resource.
import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type HrTime,
  type Link,
  type Span,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../layers/otel/config.ts';
import { alwaysOff, alwaysOn, parentBased, resourceOf, traceIdRatio, TracerProvider } from '../../layers/otel/sdk.ts';
import { packageVersion } from '../../src/core/version.ts';

/** What this SDK says of itself in telemetry.sdk.* (the semantic conventions: an SDK that is not OpenTelemetry's own names itself). */
const ourSdk = { 'telemetry.sdk.name': 'perkamo-lambda', 'telemetry.sdk.version': packageVersion };

const limitNames = [
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT',
];
afterEach(() => {
  for (const name of limitNames) delete process.env[name];
});

const collector = () => {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => void ended.push(span),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  return { ended, processor };
};

const lambdaResource = readConfig({ AWS_LAMBDA_FUNCTION_NAME: 'perkamo-emit', AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }, () => undefined).resource;

/** Both providers, the official one as the layer built it before it had its own. Limits: from process.env, as the SDK reads them. */
function providers(sampler: 'parentbased_always_on' | 'always_on' = 'parentbased_always_on') {
  const official = collector();
  const ours = collector();
  const officialProvider = new BasicTracerProvider({
    // The official SDK's default resource with this SDK's name and version (the one difference: see 'the resource').
    resource: defaultResource().merge(resourceFromAttributes({ ...ourSdk, ...lambdaResource })),
    sampler: sampler === 'always_on' ? new AlwaysOnSampler() : new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [official.processor],
  });
  const ourProvider = new TracerProvider({
    resource: lambdaResource,
    sampler: sampler === 'always_on' ? alwaysOn() : parentBased(alwaysOn()),
    limits: readConfig(process.env, () => undefined).limits,
    processor: ours.processor,
  });
  return { official: { provider: officialProvider, ended: official.ended }, ours: { provider: ourProvider, ended: ours.ended } };
}

// ---- scripts of API calls -------------------------------------------------------------------------

type Parent = 'none' | 'remote-sampled' | 'remote-unsampled' | 'remote-with-state' | 'invalid' | 'suppressed' | number;
type Step =
  | { op: 'start'; name: string; kind?: SpanKind; attributes?: unknown; links?: Link[]; parent: Parent; root?: boolean; startTime?: TimeInput; active?: boolean }
  | { op: 'setAttribute'; span: number; key: string; value: unknown }
  | { op: 'setAttributes'; span: number; attributes: unknown }
  | { op: 'addEvent'; span: number; name: string; a?: unknown; b?: unknown }
  | { op: 'addLink'; span: number; link: Link }
  | { op: 'addLinks'; span: number; links: Link[] }
  | { op: 'setStatus'; span: number; code: SpanStatusCode; message?: unknown }
  | { op: 'updateName'; span: number; name: string }
  | { op: 'recordException'; span: number; exception: unknown; time?: TimeInput }
  | { op: 'end'; span: number; time?: TimeInput };

const remote = (flags: TraceFlags, traceState?: string): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote: true,
    ...(traceState && { traceState: createTraceState(traceState) }),
  });

function run(tracer: Tracer, steps: Step[]): Span[] {
  const spans: Span[] = [];
  const pick = (i: number) => spans[i % spans.length];
  for (const step of steps) {
    if (step.op === 'start') {
      const parent =
        step.parent === 'none'
          ? ROOT_CONTEXT
          : step.parent === 'remote-sampled'
            ? remote(TraceFlags.SAMPLED)
            : step.parent === 'remote-unsampled'
              ? remote(TraceFlags.NONE)
              : step.parent === 'remote-with-state'
                ? remote(TraceFlags.SAMPLED, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
                : step.parent === 'invalid'
                  ? trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 })
                  : step.parent === 'suppressed'
                    ? suppressTracing(ROOT_CONTEXT)
                    : spans.length > 0
                      ? trace.setSpan(ROOT_CONTEXT, pick(step.parent)!)
                      : ROOT_CONTEXT;
      const options = { kind: step.kind, attributes: step.attributes as Attributes, links: step.links, root: step.root, startTime: step.startTime };
      if (step.active) tracer.startActiveSpan(step.name, options, parent, (span) => void spans.push(span));
      else spans.push(tracer.startSpan(step.name, options, parent));
      continue;
    }
    const span = pick(step.span);
    if (!span) continue;
    if (step.op === 'setAttribute') span.setAttribute(step.key, step.value as never);
    else if (step.op === 'setAttributes') span.setAttributes(step.attributes as Attributes);
    else if (step.op === 'addEvent') span.addEvent(step.name, step.a as Attributes, step.b as TimeInput);
    else if (step.op === 'addLink') span.addLink(step.link);
    else if (step.op === 'addLinks') span.addLinks(step.links);
    else if (step.op === 'setStatus') span.setStatus({ code: step.code, message: step.message as string });
    else if (step.op === 'updateName') span.updateName(step.name);
    else if (step.op === 'recordException') span.recordException(step.exception as Error, step.time);
    else span.end(step.time);
  }
  for (const span of spans) span.end();
  return spans;
}

const ms = (time: HrTime) => time[0] * 1e3 + time[1] / 1e6;

/** What a span says, its ids as the order they were first seen; its clock readings apart (`times`, in ms). */
function normalized(spans: Span[], ended: ReadableSpan[]) {
  const times: number[] = [];
  const ids = new Map<string, number>();
  const id = (value: string | undefined) => (value === undefined ? undefined : ids.get(value) ?? (ids.set(value, ids.size), ids.size - 1));
  const context = (c: ReturnType<Span['spanContext']> | undefined) =>
    c && { traceId: id(c.traceId), spanId: id(c.spanId), traceFlags: c.traceFlags, traceState: c.traceState?.serialize(), isRemote: c.isRemote };
  const time = (t: HrTime) => {
    times.push(ms(t));
    return 'time';
  };
  const started = spans.map((span) => ({ context: context(span.spanContext()), recording: span.isRecording() }));
  const finished = ended.map((span) => ({
    name: span.name,
    kind: span.kind,
    context: context(span.spanContext()),
    parent: context(span.parentSpanContext),
    attributes: span.attributes,
    links: span.links.map((link) => ({ ...link, context: context(link.context) })),
    events: span.events.map((event) => ({ ...event, time: time(event.time) })),
    status: span.status,
    startTime: time(span.startTime),
    endTime: time(span.endTime),
    durationNonNegative: span.duration[0] >= 0 && span.duration[1] >= 0,
    ended: span.ended,
    dropped: [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount],
    scope: span.instrumentationScope,
    resource: span.resource.attributes,
  }));
  return { started, finished, times };
}

function expectSameSpans(steps: Step[], sampler?: 'always_on'): void {
  const { official, ours } = providers(sampler);
  const theirs = run(official.provider.getTracer('perkamo-lambda', '0.1.0'), steps);
  const mine = run(ours.provider.getTracer('perkamo-lambda', '0.1.0'), steps);
  const a = normalized(mine, ours.ended);
  const b = normalized(theirs, official.ended);
  expect({ ...a, times: a.times.length }).toEqual({ ...b, times: b.times.length });
  // The same clock readings, within the time between the two runs.
  a.times.forEach((t, i) => expect(Math.abs(t - b.times[i]!), `time ${i}: ${t} against ${b.times[i]}`).toBeLessThan(50));
}

// ---- generators -------------------------------------------------------------------------------------

const key = fc.oneof(fc.constantFrom('', 'http.route', 'perkamo.request_id', 'a', 'b', 'c', 'd'), fc.string({ maxLength: 6 }));
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean());
const value = fc.oneof(
  scalar,
  fc.constantFrom(null, undefined),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)), { maxLength: 4 }),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.array(scalar, { maxLength: 3 }), // mixed types: invalid
  fc.constantFrom({ nested: 1 }, [{ a: 1 }], new Date(0), () => 1, Symbol.for('s')),
);
const attributes = fc.oneof(fc.dictionary(key, value, { maxKeys: 6 }), fc.constantFrom(undefined, null, 'text', 42));
const epoch = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const time = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 5000 }).map((d) => epoch + d),
  fc.integer({ min: 0, max: 5000 }).map((d) => new Date(epoch + d)),
  fc.tuple(fc.integer({ min: 1_767_000_000, max: 1_767_000_005 }), fc.integer({ min: 0, max: 999_999_999 })).map(([s, n]) => [s, n] as HrTime),
);
const link: fc.Arbitrary<Link> = fc.record({
  context: fc.record({
    traceId: fc.constantFrom('4bf92f3577b34da6a3ce929d0e0e4736', '5759e988bd862e3fe1be46a994272793'),
    spanId: fc.constantFrom('00f067aa0ba902b7', '53995c3f42cd8ad8'),
    traceFlags: fc.constantFrom(TraceFlags.NONE, TraceFlags.SAMPLED),
    isRemote: fc.option(fc.boolean(), { nil: undefined }),
  }),
  // Invalid values too, as a caller may pass them.
  attributes: fc.option(fc.dictionary(key, value, { maxKeys: 4 }), { nil: undefined }) as fc.Arbitrary<Attributes | undefined>,
});
const span = fc.nat(9);
const exception = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom(undefined, null, 0, new Error('boom'), new TypeError('bad type')),
  // Plain objects: given one without a prototype and nothing to record, the official SDK throws
  // (formatting it into a diagnostic no logger reads); the layer's records nothing, as for any other.
  fc.record(
    { code: fc.option(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { nil: undefined }), name: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }), message: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }), stack: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }) },
    { noNullPrototype: true },
  ),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('start' as const), name: fc.string({ maxLength: 8 }), kind: fc.option(fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER), { nil: undefined }), attributes, links: fc.option(fc.array(link, { maxLength: 4 }), { nil: undefined }), parent: fc.oneof(fc.constantFrom<Parent>('none', 'remote-sampled', 'remote-unsampled', 'remote-with-state', 'invalid', 'suppressed'), fc.nat(9)), root: fc.option(fc.boolean(), { nil: undefined }), startTime: time, active: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('setAttribute' as const), span, key, value }) },
  fc.record({ op: fc.constant('setAttributes' as const), span, attributes }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('addEvent' as const), name: fc.string({ maxLength: 8 }), span, a: fc.oneof(attributes, time), b: time }) },
  fc.record({ op: fc.constant('addLink' as const), span, link }),
  fc.record({ op: fc.constant('addLinks' as const), span, links: fc.array(link, { maxLength: 3 }) }),
  fc.record({ op: fc.constant('setStatus' as const), span, code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR), message: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(undefined, null, 42)) }),
  fc.record({ op: fc.constant('updateName' as const), span, name: fc.string({ maxLength: 8 }) }),
  fc.record({ op: fc.constant('recordException' as const), span, exception, time }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('end' as const), span, time }) },
);
const script = fc.array(step, { minLength: 1, maxLength: 25 });

// ---- the comparisons --------------------------------------------------------------------------------

describe('spans: the same as the official SDK ends them', () => {
  it('an invocation as the functions make it', () => {
    expectSameSpans([
      { op: 'start', name: 'POST /events', kind: SpanKind.SERVER, parent: 'remote-sampled', attributes: { 'faas.coldstart': true, 'http.route': '/events' }, links: [{ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true }, attributes: { 'messaging.message.id': 'm-1' } }] },
      { op: 'start', name: 'perkamo emit', parent: 0, active: true, attributes: { 'perkamo.operation': 'emit' } },
      { op: 'start', name: 'POST', kind: SpanKind.CLIENT, parent: 1 },
      { op: 'setAttribute', span: 2, key: 'http.response.status_code', value: 503 },
      { op: 'setStatus', span: 2, code: SpanStatusCode.ERROR, message: 'Perkamo answered 503' },
      { op: 'recordException', span: 2, exception: new Error('Perkamo answered 503') },
      { op: 'end', span: 2 },
      { op: 'setAttribute', span: 1, key: 'perkamo.request_id', value: 'req_1' },
      { op: 'end', span: 1 },
      { op: 'setStatus', span: 0, code: SpanStatusCode.OK },
      { op: 'setStatus', span: 0, code: SpanStatusCode.ERROR, message: 'after OK: ignored' },
      { op: 'end', span: 0 },
      { op: 'setAttribute', span: 0, key: 'after.end', value: 'ignored' },
    ]);
  });

  it('any script of API calls, default limits (property-based)', () => {
    fc.assert(fc.property(script, (steps) => expectSameSpans(steps)), { numRuns: 300 });
    fc.assert(fc.property(script, (steps) => expectSameSpans(steps, 'always_on')), { numRuns: 100 });
  });

  it.each([
    { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '3', OTEL_SPAN_EVENT_COUNT_LIMIT: '2', OTEL_SPAN_LINK_COUNT_LIMIT: '1', OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: '1', OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT: '1' },
    { OTEL_ATTRIBUTE_COUNT_LIMIT: '1', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '2' },
    { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '0', OTEL_SPAN_EVENT_COUNT_LIMIT: '0', OTEL_SPAN_LINK_COUNT_LIMIT: '0', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '0' },
    { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: ' ', OTEL_ATTRIBUTE_COUNT_LIMIT: 'lots', OTEL_SPAN_EVENT_COUNT_LIMIT: '1.5', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '-1' },
  ])('any script under span limits %j (property-based)', (limits) => {
    Object.assign(process.env, limits);
    fc.assert(fc.property(script, (steps) => expectSameSpans(steps)), { numRuns: 150 });
  });

  it('explicit times: epoch milliseconds, Dates and HrTimes are kept as given', () => {
    const { ours } = providers();
    const span = ours.provider.getTracer('t').startSpan('timed', { startTime: new Date(epoch) });
    span.addEvent('hr', [1_767_000_000, 5]);
    span.end(epoch + 1234.5);
    const [ended] = ours.ended;
    expect(ended!.startTime).toEqual([Math.trunc(epoch / 1000), 678_000_000]);
    expect(ended!.events[0]!.time).toEqual([1_767_000_000, 5]);
    expect(ended!.endTime).toEqual([Math.trunc(epoch / 1000) + 1, 912_500_000]);
    expect(ended!.duration).toEqual([1, 234_500_000]);
  });
});

describe('samplers: the same decisions as the official ones', () => {
  const traceIds = fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9A-F]{32}$/), fc.constantFrom('0'.repeat(32), 'f'.repeat(32), 'ffffffff'.padEnd(32, '0'), 'not a trace id', ''));
  const ratios = fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constantFrom(0, 1, 0.5, NaN, 1e-9));
  const parents = fc.constantFrom<Context>(ROOT_CONTEXT, remote(TraceFlags.SAMPLED), remote(TraceFlags.NONE), trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: false }), trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE }));
  const decide = (sampler: Sampler | ReturnType<typeof alwaysOn>, parent: Context, traceId: string) => sampler.shouldSample(parent, traceId, 'span', SpanKind.INTERNAL, {}, []).decision;

  it('traceidratio and the parent-based ones, on any trace id and ratio (property-based)', () => {
    fc.assert(
      fc.property(traceIds, ratios, parents, (traceId, ratio, parent) => {
        const pairs: [Sampler, ReturnType<typeof alwaysOn>][] = [
          [new TraceIdRatioBasedSampler(ratio), traceIdRatio(ratio)],
          [new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }), parentBased(traceIdRatio(ratio))],
          [new ParentBasedSampler({ root: new AlwaysOnSampler() }), parentBased(alwaysOn())],
          [new ParentBasedSampler({ root: new AlwaysOffSampler() }), parentBased(alwaysOff())],
          [new AlwaysOnSampler(), alwaysOn()],
          [new AlwaysOffSampler(), alwaysOff()],
        ];
        for (const [official, ours] of pairs) expect(decide(ours, parent, traceId)).toBe(decide(official, parent, traceId));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the resource', () => {
  it('the same attributes, in the same order, as defaultResource() merged with the configured ones; telemetry.sdk.* names this SDK', () => {
    // The semantic conventions: an SDK that is not OpenTelemetry's own MUST name itself.
    const official = { ...defaultResource().merge(resourceFromAttributes(lambdaResource)).attributes, ...ourSdk };
    expect(Object.entries(resourceOf(lambdaResource).attributes)).toEqual(Object.entries(official));
    // A configured telemetry.sdk.name wins, as on the official SDK.
    const overridden = { ...lambdaResource, 'telemetry.sdk.name': 'custom' };
    expect(Object.entries(resourceOf(overridden).attributes)).toEqual(Object.entries({ ...defaultResource().merge(resourceFromAttributes(overridden)).attributes, 'telemetry.sdk.version': packageVersion }));
  });
});
