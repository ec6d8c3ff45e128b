import { PerkamoError } from '../../core/index.ts';
import { ForbiddenError, HttpError } from '../errors.ts';
import { defineFunction, single } from '../function.ts';
import { onlyFields, requireObject } from '../payload.ts';

/**
 * stream-token: a short-lived customer stream token for the browser of the authenticated user —
 * `{}` or `{ user_id }`, which must be that user: tokens are minted only for the caller.
 */
export const streamTokenFunction = /* @__PURE__ */ defineFunction({
  name: 'stream-token',
  route: 'POST /stream-token',
  scope: undefined,
  triggers: ['http'],
  parsePayload: (payload, _defaults, principal) => {
    if (!principal) throw new HttpError(401, 'unauthorized', 'stream tokens are minted only for an authenticated user');
    const body = payload === undefined || payload === '' ? {} : requireObject(payload, 'the stream-token request');
    onlyFields(body, ['user_id'], 'a stream-token');
    if (body.user_id !== undefined && body.user_id !== principal.userId) {
      throw new ForbiddenError('a stream token can only be minted for the authenticated user; omit user_id or send your own');
    }
    const userId = principal.userId;
    return [
      {
        kind: 'call',
        operation: 'browser_token',
        userId,
        call: ({ client, deadline, browserKey, streamTokenTtlSeconds }) => {
          if (!browserKey) throw new PerkamoError('PERKAMO_BROWSER_KEY is not set; stream tokens cannot be minted');
          return client.createStreamToken(browserKey, userId, streamTokenTtlSeconds ?? 120, { deadline });
        },
        origin: {},
      },
    ];
  },
  toValue: single,
  httpHeaders: { 'cache-control': 'no-store', pragma: 'no-cache' },
  browser: true,
  needsBrowserKey: true,
});
