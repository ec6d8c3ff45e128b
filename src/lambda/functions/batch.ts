import { isPlainObject } from '../../core/index.ts';
// Not in an entry point: it marks the events checked, and these are the parser's own (core/validation.ts).
import { toCheckedBatchEvents } from '../../core/validation.ts';
import { defineFunction, many } from '../function.ts';
import { onlyFields, parseEventPayload, requireObject } from '../payload.ts';

/**
 * batch: up to 100 events in one call (`POST /events/batch`, a direct invoke), or an SQS queue's
 * records, each one event. With an Idempotency-Key, an event without its own transaction_id gets
 * `<key>:<index>`.
 */
export const batchFunction = /* @__PURE__ */ defineFunction({
  name: 'batch',
  route: 'POST /events/batch',
  scope: 'perkamo:emit',
  triggers: ['http', 'sqs', 'direct'],
  parsePayload: (payload, defaults) => {
    const body = requireObject(payload, 'the batch');
    onlyFields(body, ['events'], 'a batch', '; send { "events": [ … ] }');
    const key = defaults.transactionId;
    const events =
      Array.isArray(body.events) && key !== undefined
        ? body.events.map((item: unknown, i) => (isPlainObject(item) && item.transaction_id === undefined ? { ...item, transaction_id: `${key}:${i}` } : item))
        : body.events;
    return toCheckedBatchEvents(events).map((event, i) => ({ kind: 'emit', event, origin: { id: String(i) } }));
  },
  parseRecord: (payload, defaults, origin) => ({ kind: 'emit', event: parseEventPayload(payload, defaults), origin }),
  toValue: many,
});
