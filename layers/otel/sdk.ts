// The layer's tracer provider: what @opentelemetry/sdk-trace-base's BasicTracerProvider does for the
// functions' spans (which use only @opentelemetry/api) — tracers per instrumentation scope, random
// W3C ids, the samplers OTEL_TRACES_SAMPLER names, the span limits of the OTEL_*_LIMIT variables
// (config.ts reads them), one span processor — rule for rule, in a few KB of the cold start where
// the SDK, core and resources took 26. test/layer/sdk.test.ts drives it and the official SDK with
// the same calls and compares what each ends; the spans themselves are span.ts.
import {
  context as contextApi,
  INVALID_SPAN_CONTEXT,
  isValidTraceId,
  SamplingDecision,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Sampler,
  type SamplingResult,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerOptions,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed, type InstrumentationScope } from '@opentelemetry/core';
import type { SpanLimits, TracingConfig } from './config.ts';
import { RecordingSpan, sanitizeAttributes, type SpanResource, type SpanSink } from './span.ts';
import { packageVersion } from '../../src/core/version.ts';

// ---- ids: random, never all zeros, as the SDK's RandomIdGenerator -----------------------------------

const idBytes = Buffer.allocUnsafe(16);

function randomId(bytes: number): string {
  let any = 0;
  for (let i = 0; i < bytes; i += 4) {
    const word = (Math.random() * 2 ** 32) >>> 0;
    idBytes.writeUInt32BE(word, i);
    any |= word;
  }
  if (any === 0) idBytes[bytes - 1] = 1;
  return idBytes.toString('hex', 0, bytes);
}

function hasAny(attributes: Attributes | undefined): boolean {
  for (const _ in attributes) return true;
  return false;
}

// ---- samplers ---------------------------------------------------------------------------------------

const sampler = (decision: SamplingDecision): Sampler => ({ shouldSample: () => ({ decision }) });
export const alwaysOn = (): Sampler => sampler(SamplingDecision.RECORD_AND_SAMPLED);
export const alwaysOff = (): Sampler => sampler(SamplingDecision.NOT_RECORD);

/** Samples the `ratio` of trace ids whose four 32-bit words XOR to under ratio × 2^32, as the SDK's TraceIdRatioBasedSampler. */
export function traceIdRatio(ratio: number): Sampler {
  const normal = typeof ratio !== 'number' || Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
  const upperBound = normal === 1 ? 0x100000000 : Math.floor(normal * 0xffffffff);
  return {
    shouldSample(_context, traceId) {
      let accumulated = 0;
      for (let i = 0; i < 32; i += 8) accumulated = (accumulated ^ Number.parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
      return { decision: isValidTraceId(traceId) && accumulated < upperBound ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
    },
  };
}

/** The root sampler for spans without a valid parent; a parent's sampled flag decides for the others. */
export function parentBased(root: Sampler): Sampler {
  const on = alwaysOn();
  const off = alwaysOff();
  return {
    shouldSample(context, traceId, name, kind, attributes, links) {
      const parent = trace.getSpanContext(context);
      const chosen = !parent || !trace.isSpanContextValid(parent) ? root : parent.traceFlags & TraceFlags.SAMPLED ? on : off;
      return chosen.shouldSample(context, traceId, name, kind, attributes, links);
    },
  };
}

export function buildSampler({ name, ratio }: TracingConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return alwaysOn();
    case 'always_off':
      return alwaysOff();
    case 'traceidratio':
      return traceIdRatio(ratio);
    case 'parentbased_always_off':
      return parentBased(alwaysOff());
    case 'parentbased_traceidratio':
      return parentBased(traceIdRatio(ratio));
    case 'parentbased_always_on':
      return parentBased(alwaysOn());
  }
}

// ---- the resource -----------------------------------------------------------------------------------

/**
 * The SDK that made the spans, in the keys and order of @opentelemetry/resources' defaultResource().
 * The semantic conventions say an SDK other than OpenTelemetry's own MUST name itself there: this
 * one is ours (it follows the official SDK's rules, test/layer/sdk.test.ts), so it says so.
 */
const sdkAttributes = { 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'perkamo-lambda', 'telemetry.sdk.version': packageVersion };

/** The configured attributes first; telemetry.sdk.* where they say nothing (as the SDK merges resources). */
export function resourceOf(attributes: Attributes): SpanResource {
  // (The configuration always names the service: config.ts.)
  const all: Attributes = { ...attributes };
  for (const [key, value] of Object.entries(sdkAttributes)) all[key] ??= value;
  return { attributes: all };
}

// ---- tracers and the provider -------------------------------------------------------------------------

interface TracerSetup {
  resource: SpanResource;
  sampler: Sampler;
  limits: SpanLimits;
  processor: SpanSink | undefined;
}

class SdkTracer implements Tracer {
  constructor(
    readonly instrumentationScope: InstrumentationScope,
    private readonly setup: TracerSetup,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, context: Context = contextApi.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    const parentSpan = trace.getSpan(context);
    if (isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = parentSpan?.spanContext();
    const spanId = randomId(8);
    const validParent = parent && trace.isSpanContextValid(parent) ? parent : undefined;
    const traceId = validParent ? validParent.traceId : randomId(16);
    const kind = options.kind ?? SpanKind.INTERNAL;
    // Sanitized here, once: the sampler sees them so, and the span keeps them as they are.
    const links = (options.links ?? []).map((link) => ({ context: link.context, attributes: sanitizeAttributes(link.attributes) }));
    const attributes = sanitizeAttributes(options.attributes);
    const result: SamplingResult = this.setup.sampler.shouldSample(context, traceId, name, kind, attributes, links);
    const traceState = result.traceState ?? validParent?.traceState;
    const traceFlags = result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const spanContext = { traceId, spanId, traceFlags, traceState };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    return new RecordingSpan({
      resource: this.setup.resource,
      scope: this.instrumentationScope,
      spanContext,
      name,
      kind,
      links,
      parentSpanContext: validParent,
      // Sanitized once already: only a sampler's own attributes need it again (as the SDK merges them).
      attributes: hasAny(result.attributes) ? sanitizeAttributes(Object.assign(attributes, result.attributes)) : attributes,
      startTime: options.startTime,
      sink: this.setup.processor,
      limits: this.setup.limits,
    });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan(name: string, ...args: unknown[]): unknown {
    // (name, fn), (name, options, fn) or (name, options, context, fn), as the SDK reads them.
    const [a, b, c] = args;
    if (args.length === 0) return undefined;
    const fn = (args.length === 1 ? a : args.length === 2 ? b : c) as (span: Span) => unknown;
    const options = args.length > 1 ? (a as SpanOptions | undefined) : undefined;
    const parent = (args.length > 2 ? (b as Context | undefined) : undefined) ?? contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), fn, undefined, span);
  }
}

export interface TracerProviderOptions {
  resource: Attributes;
  sampler: Sampler;
  limits: SpanLimits;
  processor?: SpanSink;
}

/**
 * Only the API's TracerProvider: getTracer. No forceFlush or shutdown as the SDK's has — nothing of the
 * functions' reaches them through the API, and the layer flushes its processor itself (setup.ts).
 */
export class TracerProvider implements ApiTracerProvider {
  private readonly tracers = new Map<string, SdkTracer>();
  private readonly setup: TracerSetup;

  constructor(options: TracerProviderOptions) {
    this.setup = { resource: resourceOf(options.resource), sampler: options.sampler, limits: options.limits, processor: options.processor };
  }

  /** One tracer per name, version and schema URL. */
  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version || ''}:${options?.schemaUrl || ''}`;
    let tracer = this.tracers.get(key);
    if (!tracer) this.tracers.set(key, (tracer = new SdkTracer({ name, version, schemaUrl: options?.schemaUrl }, this.setup)));
    return tracer;
  }
}
