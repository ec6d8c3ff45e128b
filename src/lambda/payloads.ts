import {
  PerkamoValidationError,
  assertSafeEventInput,
  assertUserId,
  describeType,
  isPlainObject,
  toBatchEvents,
  toIdentifyBody,
  type PerkamoEventInput,
} from '../core/index.ts';
import { ForbiddenError } from './errors.ts';
import type { Principal } from './request.ts';

/**
 * Payload schemas shared by every trigger (all use Perkamo's own snake_case fields), so that a
 * payload moves between HTTP, SQS, EventBridge and direct invokes unchanged.
 */
export interface Defaults {
  /** Used when the payload has no transaction_id (sqs:<messageId>, eb:<id>, the Idempotency-Key). */
  transactionId?: string;
  /**
   * The delivery's time (SQS `SentTimestamp`, EventBridge `time`), used as occurred_at only together
   * with the delivery's transaction id: both belong to one message, and its redeliveries repeat both.
   * A payload that names its own transaction_id may be sent twice by its producer (two messages, two
   * times): it keeps the occurred_at it carries, or none, so the repeat stays the same event.
   */
  occurredAt?: string;
}

function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) {
    throw new PerkamoValidationError('', 'required', `${what} is missing: send it as a JSON object (the body or payload is empty)`);
  }
  if (!isPlainObject(value)) {
    throw new PerkamoValidationError('', 'not_object', `${what} must be a JSON object, got ${describeType(value)}`);
  }
  return value;
}

/** `{ user_id, event, context?, transaction_id?, occurred_at? }` → one event. */
export function parseEventPayload(value: unknown, defaults: Defaults = {}): PerkamoEventInput {
  const body = requireObject(value, 'the event');
  const event = { ...body };
  if (event.transaction_id === undefined) {
    if (defaults.transactionId === undefined) {
      throw new PerkamoValidationError(
        'transaction_id',
        'required',
        "'transaction_id' is required: send one in the body or an Idempotency-Key header, so that a retry is not counted twice",
      );
    }
    event.transaction_id = defaults.transactionId;
    if (event.occurred_at === undefined && defaults.occurredAt !== undefined) event.occurred_at = defaults.occurredAt;
  }
  assertSafeEventInput(event);
  return event;
}

/**
 * `{ events: [...] }` (1–100) → events. With an Idempotency-Key, an event without its own
 * transaction_id gets `<key>:<index>`.
 */
export function parseBatchPayload(value: unknown, defaults: Defaults = {}): PerkamoEventInput[] {
  const body = requireObject(value, 'the batch');
  const unknown = Object.keys(body).find((key) => key !== 'events');
  if (unknown !== undefined) {
    throw new PerkamoValidationError(unknown, 'unknown_field', `'${unknown}' is not a batch field; send { "events": [ … ] }`);
  }
  const events = Array.isArray(body.events) && defaults.transactionId !== undefined
    ? body.events.map((item: unknown, i) =>
        isPlainObject(item) && item.transaction_id === undefined ? { ...item, transaction_id: `${defaults.transactionId}:${i}` } : item,
      )
    : body.events;
  return toBatchEvents(events);
}

/** `{ user_id, traits? }` → identify body with undefined traits dropped. */
export function parseIdentifyPayload(value: unknown) {
  const body = requireObject(value, 'the identify payload');
  const unknown = Object.keys(body).find((key) => key !== 'user_id' && key !== 'traits');
  if (unknown !== undefined) {
    throw new PerkamoValidationError(unknown, 'unknown_field', `'${unknown}' is not an identify field (user_id, traits)`);
  }
  return toIdentifyBody(body as { user_id: unknown; traits?: unknown });
}

/** `{}` or `{ user_id }`, which must be the authenticated subject: tokens are minted only for the caller. */
export function parseMintPayload(value: unknown, principal: Principal): { user_id: string } {
  const body = value === undefined || value === '' ? {} : requireObject(value, 'the stream-token request');
  const unknown = Object.keys(body).find((key) => key !== 'user_id');
  if (unknown !== undefined) {
    throw new PerkamoValidationError(unknown, 'unknown_field', `'${unknown}' is not a stream-token field (user_id)`);
  }
  if (body.user_id !== undefined && body.user_id !== principal.userId) {
    throw new ForbiddenError('a stream token can only be minted for the authenticated user; omit user_id or send your own');
  }
  return { user_id: principal.userId };
}

/**
 * A customer read: over HTTP (a principal) the request has no body and reads the caller's own
 * state; a direct invoke sends `{ user_id }`.
 */
export function parseCustomerPayload(value: unknown, principal: Principal | undefined): { user_id: string } {
  if (principal) {
    if (value !== undefined) throw new PerkamoValidationError('', 'unexpected_body', 'GET /customer takes no body: it reads the authenticated user\'s own state');
    return { user_id: principal.userId };
  }
  const body = requireObject(value, 'the customer request');
  const unknown = Object.keys(body).find((key) => key !== 'user_id');
  if (unknown !== undefined) {
    throw new PerkamoValidationError(unknown, 'unknown_field', `'${unknown}' is not a customer request field (user_id)`);
  }
  assertUserId(body.user_id);
  return { user_id: body.user_id };
}
