// What one OTLP export request may hold, held by construction rather than learned from a refusal:
// CloudWatch's OTLP traces endpoint rejects a request over 10,000 spans or 5 MB uncompressed, and
// any span over 200 KB (its published limits). They are sane bounds for any collector, so every
// export keeps them. Part of otel-export.mjs: loaded by the first export.
import type { Attributes, AttributeValue, Link } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { EndedSpan } from './span.ts';

export const requestLimits = {
  maxSpans: 10_000,
  maxBytes: 5 * 1024 * 1024,
  maxSpanBytes: 200 * 1024,
};

/** The attribute a trimmed span carries, so that a reader knows values were cut to fit. */
export const trimmedAttribute = 'perkamo.span.trimmed';

/** A trimmed span keeps string values up to this many characters, lists up to this many items… */
const trimmedValueChars = 1024;
const trimmedListItems = 64;
const trimmedKeyChars = 256;
/** …and this many events and links (the SDK's own defaults are 128 each, with 128 attributes apiece). */
const trimmedEvents = 16;
const trimmedLinks = 64;
const trimmedAttributesEach = 16;

/**
 * The span as it may be sent: unchanged when it cannot exceed `maxSpanBytes`, else a copy whose
 * values are cut (and, if that is not enough, one with only its identity, timing and status).
 * The estimate is an upper bound (3 bytes per UTF-16 unit, protobuf's overhead rounded up); only a
 * span over it pays for an exact count.
 */
export function boundSpan(span: EndedSpan, maxSpanBytes = requestLimits.maxSpanBytes): EndedSpan {
  if (spanBytes(span, roughText) <= maxSpanBytes || spanBytes(span, exactText) <= maxSpanBytes) return span;
  const trimmed = withParts(span, {
    attributes: { ...trimAttributes(span.attributes, Infinity), [trimmedAttribute]: true },
    events: span.events.slice(0, trimmedEvents).map((event) => ({ ...event, name: cut(event.name), attributes: trimAttributes(event.attributes, trimmedAttributesEach) })),
    links: span.links.slice(0, trimmedLinks).map((link) => ({ ...link, attributes: trimAttributes(link.attributes, trimmedAttributesEach) })),
  });
  if (spanBytes(trimmed, exactText) <= maxSpanBytes) return trimmed;
  return withParts(span, { attributes: { [trimmedAttribute]: true }, events: [], links: [] });
}

/**
 * The spans in requests within the limits: at most `maxSpans` each, and each serialized body at most
 * `maxBytes` (a body over it is split in halves until every part fits).
 */
export function limitedRequests<T>(
  spans: EndedSpan[],
  serialize: (spans: EndedSpan[]) => T & { byteLength: number },
  limits = requestLimits,
): { spans: EndedSpan[]; body: T }[] {
  const requests: { spans: EndedSpan[]; body: T }[] = [];
  const add = (part: EndedSpan[]) => {
    const body = serialize(part);
    if (body.byteLength <= limits.maxBytes || part.length === 1) requests.push({ spans: part, body });
    else {
      const half = Math.ceil(part.length / 2);
      add(part.slice(0, half));
      add(part.slice(half));
    }
  };
  for (let i = 0; i < spans.length; i += limits.maxSpans) add(spans.slice(i, i + limits.maxSpans));
  return requests;
}

type TextBytes = (text: string) => number;
const roughText: TextBytes = (text) => text.length * 3;
const exactText: TextBytes = (text) => Buffer.byteLength(text, 'utf8');

/** An upper bound of the span's OTLP size: every field's bytes plus a generous framing allowance. */
function spanBytes(span: EndedSpan, text: TextBytes): number {
  let bytes = 128 + text(span.name) + text(span.status.message ?? '') + attributesBytes(span.attributes, text);
  for (const event of span.events) bytes += 32 + text(event.name) + attributesBytes(event.attributes, text);
  for (const link of span.links) bytes += 64 + attributesBytes(link.attributes, text);
  return bytes;
}

function attributesBytes(attributes: Attributes | undefined, text: TextBytes): number {
  let bytes = 0;
  for (const key in attributes) bytes += 16 + text(key) + valueBytes(attributes[key], text);
  return bytes;
}

function valueBytes(value: AttributeValue | undefined, text: TextBytes): number {
  if (typeof value === 'string') return 8 + text(value);
  if (Array.isArray(value)) {
    let bytes = 8;
    for (const item of value) bytes += typeof item === 'string' ? 8 + text(item) : 16;
    return bytes;
  }
  return 16;
}

const cut = (text: string): string => (text.length > trimmedValueChars ? text.slice(0, trimmedValueChars) : text);

function trimAttributes(attributes: Attributes | undefined, max: number): Attributes {
  const out: Attributes = {};
  let kept = 0;
  for (const key in attributes) {
    if (kept >= max) break;
    if (key.length > trimmedKeyChars) continue;
    const value = attributes[key];
    out[key] =
      typeof value === 'string'
        ? cut(value)
        : Array.isArray(value)
          ? (value.slice(0, trimmedListItems).map((item) => (typeof item === 'string' ? cut(item) : item)) as AttributeValue)
          : value;
    kept++;
  }
  return out;
}

function withParts(
  span: EndedSpan,
  parts: { attributes: Attributes; events: TimedEvent[]; links: Link[] },
): EndedSpan {
  return {
    name: cut(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code, ...(span.status.message !== undefined && { message: cut(span.status.message) }) },
    attributes: parts.attributes,
    links: parts.links,
    events: parts.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount + Math.max(0, Object.keys(span.attributes).length + 1 - Object.keys(parts.attributes).length),
    droppedEventsCount: span.droppedEventsCount + span.events.length - parts.events.length,
    droppedLinksCount: span.droppedLinksCount + span.links.length - parts.links.length,
  };
}
