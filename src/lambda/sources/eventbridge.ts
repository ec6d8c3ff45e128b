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

export function eventBridgeItems(
  event: AnyEventBridgeEvent,
  toCommand: (payload: unknown, defaults: Defaults, origin: Origin) => Command,
): Item[] {
  const origin: Origin = { trigger: 'eventbridge', id: event.id };
  try {
    const payload = withoutTraceFields(event.detail);
    return [{ command: toCommand(payload, { transactionId: `eb:${event.id}`, occurredAt: event.time }, origin) }];
  } catch (error) {
    return [{ origin, error: error as Error }];
  }
}
