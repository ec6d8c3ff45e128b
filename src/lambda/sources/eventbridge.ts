import type { EventBridgeEvent } from 'aws-lambda';
import { attr } from '../../telemetry/attributes.ts';
import type { Command, Item, Origin } from '../invocation.ts';
import { recordParser } from '../function.ts';
import type { Defaults } from '../payload.ts';
import type { Source } from './source.ts';

export type AnyEventBridgeEvent = EventBridgeEvent<string, unknown>;

export function isEventBridgeEvent(event: unknown): event is AnyEventBridgeEvent {
  const e = event as Partial<AnyEventBridgeEvent> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e['detail-type'] === 'string' &&
    typeof e.source === 'string' &&
    'detail' in e
  );
}

/** `traceparent` / `tracestate` in `detail` carry the producer's trace; they are not payload fields. */
export const traceFields = ['traceparent', 'tracestate'] as const;

export function traceCarrier(detail: unknown): Record<string, string | undefined> {
  const d = detail as Record<string, unknown> | null;
  const carrier: Record<string, string | undefined> = {};
  for (const field of traceFields) if (typeof d?.[field] === 'string') carrier[field] = d[field] as string;
  return carrier;
}

function withoutTraceFields(detail: unknown): unknown {
  if (typeof detail !== 'object' || detail === null || !traceFields.some((f) => f in detail)) return detail;
  const { traceparent: _p, tracestate: _s, ...payload } = detail as Record<string, unknown>;
  return payload;
}

/**
 * `detail` carries the payload. Without its own transaction_id it gets `eb:<event id>`, and
 * then, without occurred_at, the event's `time`: both stay the same when EventBridge or Lambda retries.
 */
export function eventBridgeItems(
  event: AnyEventBridgeEvent,
  parseRecord: (payload: unknown, defaults: Defaults, origin: Origin) => Command,
): Item[] {
  const origin: Origin = { id: event.id };
  try {
    const payload = withoutTraceFields(event.detail);
    return [{ command: parseRecord(payload, { transactionId: `eb:${event.id}`, occurredAt: event.time }, origin) }];
  } catch (error) {
    return [{ origin, error: error as Error }];
  }
}

/** EventBridge (a rule's async invoke): one event, its `detail` the payload; failures are thrown, so Lambda retries. */
export const eventBridgeSource: Source<AnyEventBridgeEvent> = {
  trigger: 'eventbridge',
  matches: isEventBridgeEvent,
  span: (event) => ({
    name: `process ${event['detail-type']}`,
    kind: 'consumer',
    carrier: traceCarrier(event.detail),
    attributes: {
      [attr.faasTrigger]: 'pubsub',
      [attr.messagingSystem]: 'aws_eventbridge',
      [attr.messagingOperationType]: 'process',
      [attr.messagingDestinationName]: event.source,
      [attr.messagingMessageId]: event.id,
    },
  }),
  items: (request, { function: fn }) => eventBridgeItems(request.event, recordParser(fn)),
  answer: (_event, outcomes, { function: fn }) => fn.toValue(outcomes).value,
  failed: () => undefined,
};
