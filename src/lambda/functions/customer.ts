import { PerkamoValidationError, assertUserId } from '../../core/index.ts';
import { defineFunction, single, withoutTraitValues } from '../function.ts';
import { onlyFields, requireObject } from '../payload.ts';

/**
 * customer: the authenticated caller's own customer state — wallets, level, perks, flags (trait
 * names, not values). Over HTTP the request has no body and reads the token's subject; a direct
 * invoke names the user (`{ user_id }`).
 */
export const customerFunction = /* @__PURE__ */ defineFunction({
  name: 'customer',
  route: 'GET /customer',
  scope: 'perkamo:read',
  triggers: ['http', 'direct'],
  parsePayload: (payload, _defaults, principal) => {
    let userId: string;
    if (principal) {
      if (payload !== undefined) throw new PerkamoValidationError('', 'unexpected_body', `${customerFunction.route} takes no body: it reads the authenticated user's own state`);
      userId = principal.userId;
    } else {
      const body = requireObject(payload, 'the customer request');
      onlyFields(body, ['user_id'], 'a customer request');
      assertUserId(body.user_id);
      userId = body.user_id;
    }
    return [
      {
        kind: 'call',
        operation: 'customer',
        userId,
        call: async ({ client, deadline }) => withoutTraitValues(await client.customer(userId, { deadline })),
        origin: {},
      },
    ];
  },
  toValue: single,
  // The caller's own state: never cached by a shared cache, nor kept by the browser.
  httpHeaders: { 'cache-control': 'private, no-store' },
  browser: true,
});
