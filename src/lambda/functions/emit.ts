import { defineFunction, single } from '../function.ts';
import { parseEventPayload } from '../payload.ts';

/** emit: one event, from an HTTP backend (`POST /events`), an EventBridge rule or a direct invoke. */
export const emitFunction = /* @__PURE__ */ defineFunction({
  name: 'emit',
  route: 'POST /events',
  scope: 'perkamo:emit',
  triggers: ['http', 'eventbridge', 'direct'],
  parsePayload: (payload, defaults) => [{ kind: 'emit', event: parseEventPayload(payload, defaults), origin: {} }],
  parseRecord: (payload, defaults, origin) => ({ kind: 'emit', event: parseEventPayload(payload, defaults), origin }),
  toValue: single,
});
