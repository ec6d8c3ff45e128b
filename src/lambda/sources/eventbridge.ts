import type { EventBridgeEvent } from 'aws-lambda';
import type { Command, Item, Origin } from '../commands.ts';
import type { Defaults } from '../payloads.ts';

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

/**
 * `detail` carries the payload. Without its own transaction_id it gets `eb:<event id>`, and
 * without occurred_at the event's `time`: both stay the same when EventBridge or Lambda retries.
 */
export function eventBridgeItems(
  event: AnyEventBridgeEvent,
  toCommand: (payload: unknown, defaults: Defaults, origin: Origin) => Command,
): Item[] {
  const origin: Origin = { trigger: 'eventbridge', id: event.id };
  try {
    return [{ command: toCommand(event.detail, { transactionId: `eb:${event.id}`, occurredAt: event.time }, origin) }];
  } catch (error) {
    return [{ origin, error: error as Error }];
  }
}
