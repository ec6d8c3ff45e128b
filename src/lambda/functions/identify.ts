import { toIdentifyBody, type JsonObject } from '../../core/index.ts';
import { defineFunction, single, withoutTraitValues } from '../function.ts';
import type { Command, Origin } from '../invocation.ts';
import { onlyFields, requireObject } from '../payload.ts';

/** `{ user_id, traits? }` → the identify call; its answer names the traits, never their values. */
function identify(payload: unknown, origin: Origin): Command {
  const body = requireObject(payload, 'the identify payload');
  onlyFields(body, ['user_id', 'traits'], 'an identify');
  const { user_id, traits }: { user_id: string; traits: JsonObject } = toIdentifyBody(body as { user_id: unknown; traits?: unknown });
  return {
    kind: 'call',
    operation: 'identify',
    userId: user_id,
    call: async ({ client, deadline }) => withoutTraitValues(await client.identify(user_id, traits, { deadline })),
    origin,
  };
}

/** identify: a customer's traits, from an HTTP backend (`POST /identify`), SQS, EventBridge or a direct invoke. */
export const identifyFunction = /* @__PURE__ */ defineFunction({
  name: 'identify',
  route: 'POST /identify',
  scope: 'perkamo:identify',
  triggers: ['http', 'sqs', 'eventbridge', 'direct'],
  parsePayload: (payload) => [identify(payload, {})],
  parseRecord: (payload, _defaults, origin) => identify(payload, origin),
  toValue: single,
});
