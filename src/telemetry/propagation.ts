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

/** The parent context carried by headers (`traceparent`, `tracestate`, `baggage`, per OTEL_PROPAGATORS). */
export function extractFromHeaders(headers: Record<string, string | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, recordGetter);
}

/**
 * X-Ray's trace header (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`)
 * as a W3C span context, so an SQS message or a Lambda invocation traced by X-Ray joins the same trace.
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

/** A message's producer context: W3C fields first, else X-Ray's header. */
export function messageSpanContext(carrier: Record<string, string | undefined>, xrayHeader?: string): SpanContext | undefined {
  const extracted = trace.getSpanContext(extractFromHeaders(carrier));
  if (extracted && isSpanContextValid(extracted)) return extracted;
  return spanContextFromXRay(xrayHeader);
}

export function contextWithRemoteParent(spanContext: SpanContext | undefined, base: Context = ROOT_CONTEXT): Context {
  return spanContext ? trace.setSpanContext(base, spanContext) : base;
}

/** Writes the active context into outgoing headers (`traceparent` to Perkamo). */
export function injectInto(headers: Record<string, string>, ctx: Context = otelContext.active()): void {
  propagation.inject(ctx, headers);
}
