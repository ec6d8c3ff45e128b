// The OTLP trace request (opentelemetry-proto, collector/trace/v1 ExportTraceServiceRequest) in its
// two HTTP encodings: protobuf and JSON. Only what the layer sends: resource, scope, and spans with
// attributes, events, links and status. The output is byte for byte that of
// @opentelemetry/otlp-transformer's ProtobufTraceSerializer and JsonTraceSerializer for the spans the
// provider ends (test/layer/otlp-encode.test.ts compares them; the harness's receiver decodes it on its
// own). 5.5 KB built, where the transformer took 14 KB and brought a second copy of
// @opentelemetry/api (5 KB) into otel-export.mjs; faster, too (one pass, no size estimate first).
// Part of otel-export.mjs: loaded by the first export.
import type { Attributes, AttributeValue, HrTime, SpanContext } from '@opentelemetry/api';
import type { EndedSpan } from './span.ts';

type Scope = EndedSpan['instrumentationScope'];
type Resource = EndedSpan['resource'];

/** The spans by resource, then by instrumentation scope (each in the order first seen). */
function grouped(spans: readonly EndedSpan[]): Map<Resource, Map<Scope, EndedSpan[]>> {
  const resources = new Map<Resource, Map<Scope, EndedSpan[]>>();
  for (const span of spans) {
    let scopes = resources.get(span.resource);
    if (!scopes) resources.set(span.resource, (scopes = new Map()));
    const list = scopes.get(span.instrumentationScope);
    if (list) list.push(span);
    else scopes.set(span.instrumentationScope, [span]);
  }
  return resources;
}

/** Span.flags: the W3C trace flags, and whether the parent (or the link) is remote, as OTLP says it. */
const flagsOf = (context: SpanContext, isRemote: boolean | undefined): number => (context.traceFlags & 0xff) | (isRemote ? 0x300 : 0x100);

// ---- http/protobuf ------------------------------------------------------------------------------

/** A growing buffer; a nested message reserves one byte for its length and moves over if it needs more. */
class Writer {
  buf = Buffer.allocUnsafe(16 * 1024);
  pos = 0;

  room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** An unsigned varint; negative integers as int64 two's complement (10 bytes). */
  varint(value: number): void {
    this.room(10);
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    const abs = Math.abs(value);
    let low = abs >>> 0;
    let high = (abs / 0x100000000) >>> 0;
    if (value < 0) {
      low = (~low + 1) >>> 0;
      high = (~high + (low === 0 ? 1 : 0)) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      this.buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buf[this.pos++] = low;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  uint(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }

  string(field: number, text: string): void {
    this.tag(field, 2);
    const length = text.length;
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (text.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      const bytes = Buffer.byteLength(text, 'utf8');
      this.varint(bytes);
      this.room(bytes);
      this.pos += this.buf.write(text, this.pos, bytes, 'utf8');
      return;
    }
    this.varint(length);
    this.room(length);
    for (let i = 0; i < length; i++) this.buf[this.pos++] = text.charCodeAt(i);
  }

  /** A trace or span id: its hex as bytes. */
  id(field: number, hex: string): void {
    const bytes = hex.length >>> 1;
    this.tag(field, 2);
    this.varint(bytes);
    this.room(bytes);
    const written = this.buf.write(hex, this.pos, bytes, 'hex');
    this.buf.fill(0, this.pos + written, this.pos + bytes);
    this.pos += bytes;
  }

  fixed32(field: number, value: number): void {
    this.tag(field, 5);
    this.room(4);
    this.pos = this.buf.writeUInt32LE(value >>> 0, this.pos);
  }

  /** An HrTime as fixed64 nanoseconds, computed in 32-bit halves (seconds × 1e9 is past 2^53). */
  time(field: number, [seconds, nanos]: HrTime): void {
    this.tag(field, 1);
    this.room(8);
    const low16 = (seconds & 0xffff) * 1e9;
    const high = ((seconds / 0x10000) >>> 0) * 1e9;
    const low = (low16 >>> 0) + (((high & 0xffff) * 0x10000) >>> 0) + nanos;
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE((Math.floor(low16 / 0x100000000) + ((high / 0x10000) >>> 0) + Math.floor(low / 0x100000000)) >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** Starts a nested message: its tag and a one-byte length to fill in by `end`. */
  start(field: number): number {
    this.tag(field, 2);
    this.room(1);
    return this.pos++;
  }

  end(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    let size = 1;
    while (length >= 2 ** (7 * size)) size++;
    this.room(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    const end = this.pos;
    this.pos = at;
    this.varint(length);
    this.pos = end;
  }
}

/** AnyValue (common/v1): strings, booleans, int64 or double numbers, arrays of these; anything else empty. */
function writeValue(w: Writer, value: AttributeValue | null | undefined): void {
  if (typeof value === 'string') w.string(1, value);
  else if (typeof value === 'boolean') w.uint(2, value ? 1 : 0);
  else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) w.uint(3, value);
    else {
      w.tag(4, 1);
      w.room(8);
      w.pos = w.buf.writeDoubleLE(value, w.pos);
    }
  } else if (Array.isArray(value)) {
    const array = w.start(5);
    for (const item of value) {
      const at = w.start(1);
      writeValue(w, item);
      w.end(at);
    }
    w.end(array);
  }
}

function writeAttributes(w: Writer, field: number, attributes: Attributes | undefined): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const pair = w.start(field);
    w.string(1, key);
    const value = w.start(2);
    writeValue(w, attributes[key]);
    w.end(value);
    w.end(pair);
  }
}

function writeSpan(w: Writer, span: EndedSpan): void {
  const at = w.start(2);
  const context = span.spanContext();
  w.id(1, context.traceId);
  w.id(2, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) w.string(3, traceState);
  if (span.parentSpanContext?.spanId) w.id(4, span.parentSpanContext.spanId);
  w.string(5, span.name);
  // OTLP's SpanKind counts from 1: 0 is "unspecified", which the API has not.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind) w.uint(6, kind);
  w.time(7, span.startTime);
  w.time(8, span.endTime);
  writeAttributes(w, 9, span.attributes);
  w.uint(10, span.droppedAttributesCount);
  for (const event of span.events) {
    const e = w.start(11);
    w.time(1, event.time);
    w.string(2, event.name);
    writeAttributes(w, 3, event.attributes);
    w.uint(4, event.droppedAttributesCount || 0);
    w.end(e);
  }
  w.uint(12, span.droppedEventsCount);
  for (const link of span.links) {
    const l = w.start(13);
    w.id(1, link.context.traceId);
    w.id(2, link.context.spanId);
    const linkState = link.context.traceState?.serialize();
    if (linkState) w.string(3, linkState);
    writeAttributes(w, 4, link.attributes);
    w.uint(5, link.droppedAttributesCount || 0);
    w.fixed32(6, flagsOf(link.context, link.context.isRemote));
    w.end(l);
  }
  w.uint(14, span.droppedLinksCount);
  const status = w.start(15);
  if (span.status.message) w.string(2, span.status.message);
  w.uint(3, span.status.code);
  w.end(status);
  w.fixed32(16, flagsOf(context, span.parentSpanContext?.isRemote));
  w.end(at);
}

/** ExportTraceServiceRequest, protobuf-encoded. */
export function encodeProtobuf(spans: readonly EndedSpan[]): Uint8Array {
  const w = new Writer();
  for (const [resource, scopes] of grouped(spans)) {
    const resourceSpans = w.start(1);
    const r = w.start(1);
    writeAttributes(w, 1, resource.attributes);
    w.uint(2, 0);
    w.end(r);
    for (const [scope, list] of scopes) {
      const scopeSpans = w.start(2);
      const s = w.start(1);
      w.string(1, scope.name);
      if (scope.version) w.string(2, scope.version);
      w.end(s);
      for (const span of list) writeSpan(w, span);
      if (scope.schemaUrl) w.string(3, scope.schemaUrl);
      w.end(scopeSpans);
    }
    if (resource.schemaUrl) w.string(3, resource.schemaUrl);
    w.end(resourceSpans);
  }
  return w.buf.subarray(0, w.pos);
}

// ---- http/json ----------------------------------------------------------------------------------

/** OTLP/JSON: ids as hex, times as decimal strings of nanoseconds, int64 as numbers. */
const nanos = ([seconds, ns]: HrTime): string =>
  // Whole seconds (exact as a number) and 0–999,999,999 ns, what the spans hold: by text, without two BigInts per time.
  Number.isInteger(seconds) && seconds > 0 && seconds <= Number.MAX_SAFE_INTEGER && Number.isInteger(ns) && ns >= 0 && ns < 1e9
    ? `${seconds}${String(ns).padStart(9, '0')}`
    : (BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.trunc(ns))).toString();

type JsonValue = Record<string, unknown>;

function jsonValue(value: AttributeValue | null | undefined): JsonValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: Array.from(value, jsonValue) } };
  return {};
}

const jsonAttributes = (attributes: Attributes | undefined) =>
  attributes ? Object.keys(attributes).map((key) => ({ key, value: jsonValue(attributes[key]) })) : [];

function jsonSpan(span: EndedSpan): JsonValue {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId || undefined,
    traceState: context.traceState?.serialize(),
    name: span.name,
    kind: span.kind == null ? 0 : span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: jsonAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      attributes: jsonAttributes(event.attributes),
      name: event.name,
      timeUnixNano: nanos(event.time),
      droppedAttributesCount: event.droppedAttributesCount || 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    status: { code: span.status.code, message: span.status.message },
    links: span.links.map((link) => ({
      attributes: jsonAttributes(link.attributes),
      spanId: link.context.spanId,
      traceId: link.context.traceId,
      traceState: link.context.traceState?.serialize(),
      droppedAttributesCount: link.droppedAttributesCount || 0,
      flags: flagsOf(link.context, link.context.isRemote),
    })),
    droppedLinksCount: span.droppedLinksCount,
    flags: flagsOf(context, span.parentSpanContext?.isRemote),
  };
}

/** ExportTraceServiceRequest as OTLP/JSON, UTF-8. */
export function encodeJson(spans: readonly EndedSpan[]): Uint8Array {
  const resourceSpans = [...grouped(spans)].map(([resource, scopes]) => ({
    resource: { attributes: jsonAttributes(resource.attributes), droppedAttributesCount: 0, schemaUrl: resource.schemaUrl || undefined },
    scopeSpans: [...scopes.values()].map((list) => {
      const { name, version, schemaUrl } = list[0]!.instrumentationScope;
      return { scope: { name, version }, spans: list.map(jsonSpan), schemaUrl };
    }),
    schemaUrl: resource.schemaUrl || undefined,
  }));
  return Buffer.from(JSON.stringify({ resourceSpans }), 'utf8');
}
