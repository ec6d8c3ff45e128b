import {
  ROOT_CONTEXT,
  TraceFlags,
  context as otelContext,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()] ?? carrier[key],
};

/**
 * The parent context of an invocation, from its carrier (HTTP headers, EventBridge `detail` fields,
 * `{}` for SQS and direct invokes) through the global propagator, per OTEL_PROPAGATORS: `traceparent`,
 * `tracestate`, `baggage`; with `xray-lambda`, the X-Ray header Lambda hands the invocation when the
 * carrier gave no span context. That rule belongs to the layer's propagators, not to this module.
 */
export function extractFromHeaders(headers: Record<string, string | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, recordGetter);
}

/**
 * X-Ray's trace header (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`)
 * as a W3C span context: an SQS message's `AWSTraceHeader`, linked whatever OTEL_PROPAGATORS says.
 */
export function spanContextFromXRay(header: string | undefined): SpanContext | undefined {
  if (!header) return undefined;
  const fields = Object.fromEntries(
    header.split(';').map((part) => {
      const i = part.indexOf('=');
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
    }),
  );
  const root = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/i.exec(fields.Root ?? '');
  const parent = fields.Parent;
  if (!root || !parent || !/^[0-9a-f]{16}$/i.test(parent)) return undefined;
  const spanContext: SpanContext = {
    traceId: `${root[1]}${root[2]}`.toLowerCase(),
    spanId: parent.toLowerCase(),
    traceFlags: fields.Sampled === '1' ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * Stands in for a parent while a message's carrier is extracted, so that a propagator which falls
 * back on ambient state when it finds no span context (`xray-lambda`: the invocation's own X-Ray
 * header) keeps this one instead: what comes back is only what the message carried.
 */
const placeholder: SpanContext = { traceId: 'f'.repeat(32), spanId: 'f'.repeat(16), traceFlags: TraceFlags.NONE, isRemote: true };
const placeholderContext = trace.setSpanContext(ROOT_CONTEXT, placeholder);

/**
 * A message's producer context, to link to (never a parent): the W3C fields of its carrier (per
 * OTEL_PROPAGATORS), else its X-Ray `AWSTraceHeader`.
 */
export function messageSpanContext(carrier: Record<string, string | undefined>, xrayHeader?: string): SpanContext | undefined {
  const extracted = trace.getSpanContext(propagation.extract(placeholderContext, carrier, recordGetter));
  if (extracted && extracted !== placeholder && isSpanContextValid(extracted)) return extracted;
  return spanContextFromXRay(xrayHeader);
}

/** Writes the active context into outgoing headers (`traceparent` to Perkamo). */
export function injectInto(headers: Record<string, string>, ctx: Context = otelContext.active()): void {
  propagation.inject(ctx, headers);
}
