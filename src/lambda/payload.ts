import { PerkamoValidationError, describeType, isPlainObject, type PerkamoEventInput } from '../core/index.ts';
// Not in an entry point (core, sdk, lambda): a caller could mark an event, then change it unchecked (core/validation.ts).
import { checkedEvent } from '../core/validation.ts';

/**
 * What every function's payload parser shares. Payloads use Perkamo's own snake_case fields on
 * every trigger, so a payload moves between HTTP, SQS, EventBridge and direct invokes unchanged;
 * each function's own fields are parsed in its module (`functions/`).
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
  /**
   * The payload is the parser's to keep (an SQS body, parsed for this one record): it becomes the
   * event itself rather than a copy. Any other payload (the invoke's event, an EventBridge detail)
   * is copied before a default is added to it or it is marked checked.
   */
  ownPayload?: boolean;
}

/** The payload as an object, or a validation error saying what `what` should be. */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) {
    throw new PerkamoValidationError('', 'required', `${what} is missing: send it as a JSON object (the body or payload is empty)`);
  }
  if (!isPlainObject(value)) {
    throw new PerkamoValidationError('', 'not_object', `${what} must be a JSON object, got ${describeType(value)}`);
  }
  return value;
}

/** Refuses a field outside `fields`, naming it: `'<field>' is not <kind> field (<fields>)`. */
export function onlyFields(body: Record<string, unknown>, fields: readonly string[], kind: string, hint = ` (${fields.join(', ')})`): void {
  const unknown = Object.keys(body).find((key) => !fields.includes(key));
  if (unknown !== undefined) throw new PerkamoValidationError(unknown, 'unknown_field', `'${unknown}' is not ${kind} field${hint}`);
}

/** `{ user_id, event, context?, transaction_id?, occurred_at? }` → one event (emit, and each of batch's records). */
export function parseEventPayload(value: unknown, defaults: Defaults = {}): PerkamoEventInput {
  const body = requireObject(value, 'the event');
  const event = defaults.ownPayload === true ? body : { ...body };
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
  // Checked here, at the edge, once: the client does not check it again (core/validation.ts).
  return checkedEvent(event);
}
