import { PerkamoValidationError } from './errors.ts';
import { describeType, isPlainObject, jsonObjectMaxBytes, walkJsonObject, type JsonObject, type JsonValue } from './json-value.ts';
import { limits, reservedContextKeys } from './limits.ts';
import { checkedContextBytes, isCheckedEvent, markCheckedContext, markCheckedEvent } from './checked-mark.ts';

export type PerkamoContextValue = JsonValue;
export type PerkamoEventContext = { [key: string]: PerkamoContextValue };
export type PerkamoCustomerTraitValue = JsonValue | undefined;
export type PerkamoCustomerTraits = { [key: string]: PerkamoCustomerTraitValue };

/** One event as the Perkamo API takes it (`POST /v1/events`, one item of `events:batch`). */
export interface PerkamoEventInput {
  user_id: string;
  event: string;
  transaction_id: string;
  context?: PerkamoEventContext;
  /** ISO-8601 date-time with a zone (`2026-06-01T10:00:00.000Z`, `2026-06-01T12:00:00+02:00`). */
  occurred_at?: string;
}

export interface PerkamoIdentifyInput {
  user_id: string;
  traits?: PerkamoCustomerTraits;
}

const eventFields = ['user_id', 'event', 'transaction_id', 'context', 'occurred_at'] as const;

export function utf8Length(value: string): number {
  // As TextEncoder counts (a lone surrogate is the 3 bytes of U+FFFD), without making the bytes.
  return Buffer.byteLength(value, 'utf8');
}

/** Printable ASCII with at least one character that is not a space. */
const printableAscii = /^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/;

/**
 * A Perkamo identifier (`user_id`, `event`, `transaction_id`, …): a string of 1..maxBytes UTF-8
 * bytes, not blank (nor only invisible format characters), without control characters or broken
 * surrogate pairs.
 */
export function assertIdentifier(value: unknown, field: string, maxBytes: number): asserts value is string {
  // Most ids are short printable ASCII: one test settles every rule below (not blank, no control
  // character, well-formed, one byte per character), the per-record cost of an SQS batch.
  if (typeof value === 'string' && value.length <= maxBytes && printableAscii.test(value)) return;
  if (value === undefined || value === null) {
    throw new PerkamoValidationError(field, 'required', `'${field}' is required`);
  }
  if (typeof value !== 'string') {
    throw new PerkamoValidationError(field, 'not_string', `'${field}' must be a string, got ${describeType(value)}`);
  }
  // Blank includes ids made only of invisible format characters (U+200B …), which trim() keeps:
  // such an id cannot be shown, typed or told apart on any support screen.
  if (/^[\s\p{Cf}]*$/u.test(value)) {
    throw new PerkamoValidationError(field, 'empty', `'${field}' must not be empty or blank (whitespace and invisible characters only)`);
  }
  const bytes = utf8Length(value);
  if (bytes > maxBytes) {
    throw new PerkamoValidationError(
      field,
      'too_long',
      `'${field}' is ${bytes} bytes; the limit is ${maxBytes} bytes (UTF-8)`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    throw new PerkamoValidationError(field, 'control_character', `'${field}' contains a control character`);
  }
  if (!value.isWellFormed()) {
    throw new PerkamoValidationError(field, 'malformed_unicode', `'${field}' contains a lone UTF-16 surrogate`);
  }
}

export function assertUserId(value: unknown, field = 'user_id'): asserts value is string {
  assertIdentifier(value, field, limits.userIdBytes);
}

// YYYY-MM-DDThh:mm[:ss[.fraction]] followed by Z or ±hh:mm / ±hhmm. A zone is required: a local
// time names a different instant in every region the event may be replayed from.
const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

export function assertIsoDateTime(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new PerkamoValidationError(field, 'not_string', `'${field}' must be an ISO-8601 date-time string, got ${describeType(value)}`);
  }
  // The last valid value again (the records of an SQS batch sent together share their time): settled.
  if (value === lastValidDateTime) return;
  const utc = canonicalUtcValid(value);
  const m = utc === undefined ? isoDateTime.exec(value) : null;
  if (utc === false || (utc === undefined && (m === null || !validDateTimeParts(m)))) {
    throw new PerkamoValidationError(
      field,
      'invalid_date',
      `'${field}' must be an ISO-8601 date-time with a time zone, e.g. 2026-06-01T10:00:00.000Z; got ${JSON.stringify(value.slice(0, 64))}`,
    );
  }
  lastValidDateTime = value;
}

let lastValidDateTime: string | undefined;

// Digit positions of `YYYY-MM-DDTHH:MM:SS.sssZ`, and its separators.
const utcDigits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
const utcSeparators: [number, number][] = [[4, 0x2d], [7, 0x2d], [10, 0x54], [13, 0x3a], [16, 0x3a], [19, 0x2e], [23, 0x5a]];

/**
 * The form Date#toISOString writes (`2026-06-01T10:00:00.000Z`, what most producers send and what an
 * SQS record's SentTimestamp becomes), checked without the regex: whether its parts are in range, or
 * undefined for any other form (the regex decides those).
 */
function canonicalUtcValid(value: string): boolean | undefined {
  if (value.length !== 24) return undefined;
  for (const [at, code] of utcSeparators) if (value.charCodeAt(at) !== code) return undefined;
  for (const at of utcDigits) {
    const code = value.charCodeAt(at);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const two = (at: number) => (value.charCodeAt(at) - 0x30) * 10 + value.charCodeAt(at + 1) - 0x30;
  const month = two(5);
  const day = two(8);
  const year = two(0) * 100 + two(2);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && two(11) <= 23 && two(14) <= 59 && two(17) <= 59;
}

/** Month 1–12, a day of that month, hour ≤ 23, minute and second ≤ 59, an offset's hours ≤ 23 and minutes ≤ 59. */
function validDateTimeParts(m: RegExpExecArray): boolean {
  const month = Number(m[2]);
  const day = Number(m[3]);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(Number(m[1]), month) &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    (m[6] === undefined || Number(m[6]) <= 59) &&
    (m[7] === undefined || Number(m[7]) <= 23) &&
    (m[8] === undefined || Number(m[8]) <= 59)
  );
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** As Date.UTC reckons it (years 0–99 are 1900–1999), which only February needs. */
function daysInMonth(year: number, month: number): number {
  return month === 2 ? new Date(Date.UTC(year, 2, 0)).getUTCDate() : (monthDays[month - 1] as number);
}

/** Accepts a Date or an ISO-8601 string and returns the wire form, validated. */
export function toOccurredAt(value: Date | string, field = 'occurred_at'): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new PerkamoValidationError(field, 'invalid_date', `'${field}' is an invalid Date`);
    }
    return value.toISOString();
  }
  assertIsoDateTime(value, field);
  return value;
}

export function assertEventContext(value: unknown, field = 'context'): asserts value is PerkamoEventContext {
  checkEventContext(value, field);
}

/** Validates a context and returns an upper bound of its JSON size in bytes. */
function checkEventContext(context: unknown, field: string): number {
  const maxBytes = jsonObjectMaxBytes(context, field);
  // for…in with an own-key test reads the keys Object.keys would, in its order, without an array per event.
  for (const key in context as JsonObject) {
    if (!Object.hasOwn(context as JsonObject, key)) continue;
    if (reservedContextKeys.includes(key.toLowerCase())) {
      throw new PerkamoValidationError(
        `${field}.${key}`,
        'reserved_key',
        `'${field}.${key}' is a reserved Perkamo field (${reservedContextKeys.join(', ')}); Perkamo computes it from the program's rules — send the business facts instead`,
      );
    }
  }
  return maxBytes;
}

/** Exact only when needed: `maxBytes` (an upper bound from the walk) within the limit settles it. */
function assertPayloadSize(payload: unknown, field: string, what: string, maxBytes = Infinity): void {
  if (maxBytes <= limits.maxPayloadBytes) return;
  const bytes = utf8Length(JSON.stringify(payload));
  if (bytes > limits.maxPayloadBytes) {
    throw new PerkamoValidationError(
      field,
      'too_large',
      `${what} is ${bytes} bytes as JSON; the limit is ${limits.maxPayloadBytes} bytes — keep '${field}' concise`,
    );
  }
}

/**
 * Validates one event in the wire shape and throws a PerkamoValidationError naming the first
 * field that breaks a rule. Nothing is sent for an event that fails here.
 */
export function assertSafeEventInput(input: unknown): asserts input is PerkamoEventInput {
  if (isCheckedEvent(input)) return;
  checkEvent(input);
}

// Events checked once, by identity: a checked event is not checked again, and its context's size
// bound is kept (checked-mark.ts). Only code that owns the objects marks them, and changes them no
// more: the function's parser, which made them from the trigger's payload. The markers
// (checkedEvent, toCheckedBatchEvents) are in no entry point of the package (core, sdk, lambda): a
// caller could mark an event, change it, and have the change skip every check
// (test/sdk/package.test.ts holds that for the built entries). A function's parser, which a team
// composing its own function may call, returns commands whose events are marked: to send as they are.

function checkedOrSafe(input: unknown, mark: boolean): PerkamoEventInput {
  if (mark) return checkedEvent(input);
  assertSafeEventInput(input);
  return input;
}

/** Checks an event and marks it checked: the client will not check it again. */
export function checkedEvent(input: unknown): PerkamoEventInput {
  if (isCheckedEvent(input)) return input as PerkamoEventInput;
  const contextBytes = checkEvent(input);
  const event = input as PerkamoEventInput;
  if (event.context !== undefined) markCheckedContext(event.context, contextBytes);
  markCheckedEvent(event);
  return event;
}

/** The event's checks; returns the upper bound of its context's size the walk found (0 without one). */
function checkEvent(input: unknown): number {
  if (!isPlainObject(input)) {
    throw new PerkamoValidationError('', 'not_object', `an event must be a JSON object, got ${describeType(input)}`);
  }
  // for…in with an own-key test reads the keys Object.keys would, in its order, without an array per event.
  for (const key in input) {
    if (!(eventFields as readonly string[]).includes(key) && Object.hasOwn(input, key)) {
      const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      const hint = (eventFields as readonly string[]).includes(snake) ? ` — did you mean '${snake}'?` : '';
      throw new PerkamoValidationError(
        key,
        'unknown_field',
        `'${key}' is not an event field (${eventFields.join(', ')})${hint}`,
      );
    }
  }
  assertUserId(input.user_id);
  assertIdentifier(input.event, 'event', limits.eventBytes);
  assertIdentifier(input.transaction_id, 'transaction_id', limits.transactionIdBytes);
  const context = input.context;
  const contextBytes = context === undefined ? 0 : (checkedContextBytes(context) ?? checkEventContext(context, 'context'));
  if (input.occurred_at !== undefined) assertIsoDateTime(input.occurred_at, 'occurred_at');
  const idBytes = 6 * (input.user_id.length + input.event.length + input.transaction_id.length + ((input.occurred_at as string | undefined)?.length ?? 0));
  assertPayloadSize(input, 'context', 'the event', 100 + idBytes + contextBytes);
  return contextBytes;
}

/**
 * Validates identify traits and returns them ready to send: undefined properties are dropped (as
 * JSON would), undefined inside arrays is an error, every other value must be JSON-safe.
 */
export function normalizeTraits(traits: unknown, field = 'traits'): JsonObject {
  if (traits === undefined) return {};
  const { value, maxBytes } = walkJsonObject(traits, field, { undefinedProperty: 'drop' });
  assertPayloadSize(value, field, 'the traits object', maxBytes);
  return value;
}

/** Validates an identify call and returns its wire body. */
export function toIdentifyBody(input: { user_id: unknown; traits?: unknown }): PerkamoIdentifyInput & { traits: JsonObject } {
  assertUserId(input.user_id);
  return { user_id: input.user_id, traits: normalizeTraits(input.traits) };
}

/**
 * Validates a batch (1–100 events, each with its own transaction_id) and returns its wire events;
 * a `Date` in `occurred_at` becomes its ISO string. Errors name the index: `events[3].user_id`.
 * It marks nothing: any other argument is not read.
 */
export function toBatchEvents(events: unknown): PerkamoEventInput[] {
  return batchEvents(events, false);
}

/** toBatchEvents that also marks each event checked (`checkedEvent`): for code that owns the events. */
export function toCheckedBatchEvents(events: unknown): PerkamoEventInput[] {
  return batchEvents(events, true);
}

function batchEvents(events: unknown, mark: boolean): PerkamoEventInput[] {
  if (!Array.isArray(events)) {
    throw new PerkamoValidationError('events', 'not_array', `'events' must be an array of 1–${limits.batchMaxEvents} events`);
  }
  if (events.length === 0 || events.length > limits.batchMaxEvents) {
    throw new PerkamoValidationError(
      'events',
      events.length === 0 ? 'empty' : 'too_many',
      `'events' has ${events.length} events; a batch takes 1–${limits.batchMaxEvents}`,
    );
  }
  const seen = new Map<string, number>();
  return events.map((item: unknown, index) => {
    try {
      // A checked event is final (its occurred_at a string): nothing to convert or check.
      const checked = isCheckedEvent(item)
        ? (item as PerkamoEventInput)
        : checkedOrSafe(isPlainObject(item) && item.occurred_at instanceof Date ? { ...item, occurred_at: toOccurredAt(item.occurred_at) } : item, mark);
      const first = seen.get(checked.transaction_id);
      if (first !== undefined) {
        throw new PerkamoValidationError(
          'transaction_id',
          'repeated',
          `'transaction_id' repeats events[${first}].transaction_id; each event in a batch needs its own`,
        );
      }
      seen.set(checked.transaction_id, index);
      return checked;
    } catch (error) {
      throw error instanceof PerkamoValidationError ? error.within(`events[${index}]`) : error;
    }
  });
}
