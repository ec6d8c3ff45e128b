// The layer's recording span: what @opentelemetry/sdk-trace's SpanImpl does for the API's Span —
// attributes (sanitized, counted and cut to the span limits), events, links, status, name, end —
// rule for rule, without its diagnostics (the layer sets no diag logger: they would print nothing)
// and its self-metrics (no meter either). test/layer/sdk.test.ts drives it and the official SDK
// with the same calls and compares what each ends. Timing as the SDK's: the start from Date.now(),
// the end (and events) as the start plus performance.now()'s elapsed time.
import {
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { SpanLimits } from './config.ts';

/**
 * A span's resource as the layer makes it: the OTLP resource's attributes and schema URL, all that
 * an exporter reads. The SDK's Resource adds merging and asynchronous detection, which a span that
 * is already made never needs.
 */
export type SpanResource = Pick<Resource, 'attributes' | 'schemaUrl'>;

/** An ended span, as the processor and the exporters take it: the SDK's ReadableSpan, with the layer's resource. */
export type EndedSpan = Omit<ReadableSpan, 'resource'> & { readonly resource: SpanResource };

/** Where a span goes when it ends (the layer's BufferedSpanProcessor). */
export interface SpanSink {
  onEnd(span: EndedSpan): void;
}

export interface SpanStart {
  resource: SpanResource;
  scope: InstrumentationScope;
  spanContext: SpanContext;
  name: string;
  kind: SpanKind;
  /** Their attributes sanitized already (the sampler sees them so). */
  links: { context: SpanContext; attributes: Attributes }[];
  parentSpanContext: SpanContext | undefined;
  attributes: Attributes;
  startTime: TimeInput | undefined;
  sink: SpanSink | undefined;
  limits: SpanLimits;
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

// ---- time, as @opentelemetry/core counts it --------------------------------------------------------
// Core's own helpers (millisToHrTime, addHrTimes, isTimeInput; sanitizeAttributes, isAttributeValue
// below) are in neither bundle otherwise: imported, they made otel-init.mjs 450 bytes larger than these
// copies (200 for the time ones alone, 250 for the attribute ones). test/layer/sdk.test.ts holds them
// to the SDK's results.

const toHrTime = (ms: number): HrTime => [Math.trunc(ms / 1000), Math.round((ms % 1000) * 1e6)];

function addHrTimes(a: HrTime, b: HrTime): HrTime {
  const out: HrTime = [a[0] + b[0], a[1] + b[1]];
  if (out[1] >= 1e9) {
    out[1] -= 1e9;
    out[0] += 1;
  }
  return out;
}

const isHrTime = (value: unknown): value is HrTime =>
  Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number';

const isTimeInput = (value: unknown): value is TimeInput => isHrTime(value) || typeof value === 'number' || value instanceof Date;

// ---- attributes, as @opentelemetry/core sanitizes them -----------------------------------------------

/** A string, number or boolean; or an array of one of these types (nulls allowed); or null/undefined. */
function isAttributeValue(value: unknown): boolean {
  if (value == null) return true;
  if (!Array.isArray(value)) return isPrimitive(typeof value);
  let type: string | undefined;
  for (const item of value) {
    if (item == null) continue;
    const itemType = typeof item;
    if (itemType === type) continue;
    if (type === undefined && isPrimitive(itemType)) type = itemType;
    else return false;
  }
  return true;
}

/**
 * Room for one more event or link under its count limit, as the official SDK keeps them: when full,
 * the oldest goes (`oldest dropped`); a limit of 0 keeps none (`none`: the new one is dropped).
 */
function makeRoom(list: unknown[], limit: number): 'room' | 'oldest dropped' | 'none' {
  if (limit === 0) return 'none';
  if (list.length < limit) return 'room';
  list.shift();
  return 'oldest dropped';
}

const isPrimitive = (type: string): boolean => type === 'number' || type === 'boolean' || type === 'string';

/** The valid attributes of `attributes` (arrays copied); an empty object for anything else. */
export function sanitizeAttributes(attributes: unknown): Attributes {
  const out: Attributes = {};
  if (typeof attributes !== 'object' || attributes == null) return out;
  for (const key in attributes) {
    if (!hasOwn(attributes, key) || key === '') continue;
    const value = (attributes as Record<string, unknown>)[key];
    if (!isAttributeValue(value)) continue;
    out[key] = (Array.isArray(value) ? value.slice() : value) as AttributeValue;
  }
  return out;
}

// ---- the span -------------------------------------------------------------------------------------------

export class RecordingSpan implements Span, EndedSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly startTime: HrTime;
  readonly resource: SpanResource;
  readonly instrumentationScope: InstrumentationScope;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributesCount = 0;
  private readonly context: SpanContext;
  private readonly sink: SpanSink | undefined;
  private readonly limits: SpanLimits;
  private readonly performanceStart: number;
  /** Date.now() less performance's idea of it: turns a performance.now() reading into an epoch time. */
  private readonly performanceOffset: number;
  private readonly startTimeGiven: boolean;

  constructor(start: SpanStart) {
    const now = Date.now();
    this.context = start.spanContext;
    this.performanceStart = performance.now();
    this.performanceOffset = now - (this.performanceStart + performance.timeOrigin);
    this.startTimeGiven = start.startTime != null;
    this.limits = start.limits;
    this.sink = start.sink;
    this.name = start.name;
    this.parentSpanContext = start.parentSpanContext;
    this.kind = start.kind;
    for (const link of start.links) this.keepLink(link.context, link.attributes);
    this.startTime = this.time(start.startTime ?? now);
    this.resource = start.resource;
    this.instrumentationScope = start.scope;
    this.setAttributes(start.attributes);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this.ended || key.length === 0 || !isAttributeValue(value)) return this;
    const isNew = !hasOwn(this.attributes, key);
    if (isNew && this.attributesCount >= this.limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = this.cut(value);
    if (isNew) this.attributesCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.limits;
    const room = makeRoom(this.events, eventCountLimit);
    if (room !== 'room') this.droppedEventsCount++;
    if (room === 'none') return this;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributesOrTime = undefined;
    }
    const [attributes, droppedAttributesCount] = this.limited(sanitizeAttributes(attributesOrTime), attributePerEventCountLimit);
    this.events.push({ name, attributes, time: this.time(time), droppedAttributesCount });
    return this;
  }

  addLink(link: Link): this {
    return this.keepLink(link.context, sanitizeAttributes(link.attributes));
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** UNSET changes nothing, OK is final; only ERROR keeps a message (a string). */
  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR && typeof status.message === 'string') next.message = status.message;
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.endTime = this.time(endTime);
    let seconds = this.endTime[0] - this.startTime[0];
    let nanos = this.endTime[1] - this.startTime[1];
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1e9;
    }
    this.duration = [seconds, nanos];
    if (seconds < 0) {
      this.endTime = this.startTime.slice() as HrTime;
      this.duration = [0, 0];
    }
    this.ended = true;
    this.sink?.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /** An `exception` event with the semantic conventions' exception.type, .message and .stacktrace. */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }

  /** The time of a start, event or end: given, or the start plus the time elapsed since. */
  private time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number') {
      // At most performance.now(): a performance timestamp; else epoch milliseconds.
      if (input <= performance.now()) return addHrTimes(toHrTime(performance.timeOrigin), toHrTime(input + this.performanceOffset));
      return toHrTime(input);
    }
    if (input instanceof Date) return toHrTime(input.getTime());
    if (isHrTime(input)) return input;
    // A start given by the caller is not on the performance clock: the end can only be now.
    if (this.startTimeGiven) return toHrTime(Date.now());
    return addHrTimes(this.startTime, toHrTime(performance.now() - this.performanceStart));
  }

  /** A link whose attributes are sanitized already, kept within the link limits. */
  private keepLink(context: SpanContext, attributes: Attributes): this {
    if (this.ended) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.limits;
    const room = makeRoom(this.links, linkCountLimit);
    if (room !== 'room') this.droppedLinksCount++;
    if (room === 'none') return this;
    const [kept, dropped] = this.limited(attributes, attributePerLinkCountLimit);
    const link: Link = { context };
    if (Object.keys(kept).length > 0) link.attributes = kept;
    if (dropped > 0) link.droppedAttributesCount = dropped;
    this.links.push(link);
    return this;
  }

  /** An event's or link's sanitized attributes: at most `max` of them, each cut to the value length limit. */
  private limited(sanitized: Attributes, max: number): [Attributes, number] {
    const out: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in sanitized) {
      if (count >= max) dropped++;
      else {
        out[key] = this.cut(sanitized[key]!);
        count++;
      }
    }
    return [out, dropped];
  }

  /** Strings (and the strings of an array) cut to the value length limit; a limit of 0 or less cuts nothing. */
  private cut(value: AttributeValue): AttributeValue {
    const limit = this.limits.attributeValueLengthLimit;
    if (limit <= 0) return value;
    const cutText = (text: string) => (text.length <= limit ? text : text.substring(0, limit));
    if (typeof value === 'string') return cutText(value);
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? cutText(item) : item)) as AttributeValue;
    return value;
  }
}
