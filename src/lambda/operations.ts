import type { Command, Item, Origin, Outcome } from './invocation.ts';
import { BatchItemsFailedError, HttpError, toHttpError } from './errors.ts';
import type { Principal, Trigger } from './request.ts';
import { parseBatchPayload, parseCustomerPayload, parseEventPayload, parseIdentifyPayload, parseMintPayload, type Defaults } from './payloads.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What one function does: its HTTP route and scope, the triggers it takes, how a payload becomes
 * commands, and how outcomes become an HTTP or direct-invoke answer. SQS and EventBridge answers
 * are the same for every operation and live in their sources. The list of functions is `functions.ts`.
 */
export interface Operation<Name extends string = string> {
  /** The function's name: its file (`functions/<name>.ts`), bundle and deployed function. */
  name: Name;
  /** `METHOD /path`; a `{name}` segment is a path parameter (`GET /customers/{id}`). */
  route: `${HttpMethod} /${string}`;
  /** Scope the HTTP caller's token must hold; undefined: any authenticated user. */
  scope: string | undefined;
  triggers: Trigger[];
  /** Called from browsers: CORS preflights answered, CORS headers on every answer. */
  browser?: boolean;
  /** Needs PERKAMO_BROWSER_KEY (minting stream tokens). */
  needsBrowserKey?: boolean;
  /** The payload of an HTTP request (with the route's path parameters) or a direct invoke → commands. */
  parsePayload(payload: unknown, defaults: Defaults, principal: Principal | undefined, params?: Record<string, string>): Command[];
  /** One SQS record body or EventBridge detail → one command. */
  parseRecord?(payload: unknown, defaults: Defaults, origin: Origin): Command;
  /** Outcomes → the value returned to an HTTP caller (as JSON) or a direct invoker. */
  toValue(outcomes: Outcome[]): { status: number; value: unknown; headers?: Record<string, string> };
  /** Answer headers for HTTP (e.g. no-store on tokens). */
  httpHeaders?: Record<string, string>;
}

/** Keeps an operation's name as a literal type, so the function list's names are a union. */
export const defineOperation = <Name extends string>(operation: Operation<Name>): Operation<Name> => operation;

const at = (trigger: Trigger, id?: string): Origin => ({ trigger, ...(id !== undefined && { id }) });

/** One command, one answer: its value, or its error thrown. */
function single(outcomes: Outcome[]): { status: number; value: unknown } {
  const [outcome] = outcomes;
  if (!outcome) throw new Error('no outcome');
  if (!outcome.ok) throw outcome.error;
  return { status: 200, value: outcome.value };
}

/** All results on success; when any failed, the first failure's status with per-item errors beside the results. */
function many(outcomes: Outcome[]): { status: number; value: unknown } {
  const results = outcomes.map((o) => (o.ok ? o.value : toHttpError(o.error).toBody()));
  const failure = outcomes.find((o): o is Extract<Outcome, { ok: false }> => !o.ok);
  if (!failure) return { status: 200, value: { results } };
  const http = toHttpError(failure.error);
  throw new BatchItemsFailedError(http.status, http.code, `${outcomes.filter((o) => !o.ok).length} of ${outcomes.length} events failed; retry the whole batch with the same transaction ids — applied ones come back as duplicates. First: ${http.message}`, {
    headers: http.headers,
    requestId: http.requestId,
    details: { results },
  });
}

export const emitOperation = /* @__PURE__ */ defineOperation({
  name: 'emit',
  route: 'POST /events',
  scope: 'perkamo:emit',
  triggers: ['http', 'eventbridge', 'direct'],
  parsePayload: (payload, defaults) => [{ kind: 'emit', event: parseEventPayload(payload, defaults), origin: at('direct') }],
  parseRecord: (payload, defaults, origin) => ({ kind: 'emit', event: parseEventPayload(payload, defaults), origin }),
  toValue: single,
});

export const batchOperation = /* @__PURE__ */ defineOperation({
  name: 'batch',
  route: 'POST /events/batch',
  scope: 'perkamo:emit',
  triggers: ['http', 'sqs', 'direct'],
  parsePayload: (payload, defaults) =>
    parseBatchPayload(payload, defaults).map((event, i) => ({ kind: 'emit', event, origin: at('direct', String(i)) })),
  parseRecord: (payload, defaults, origin) => ({ kind: 'emit', event: parseEventPayload(payload, defaults), origin }),
  toValue: many,
});

export const identifyOperation = /* @__PURE__ */ defineOperation({
  name: 'identify',
  route: 'POST /identify',
  scope: 'perkamo:identify',
  triggers: ['http', 'sqs', 'eventbridge', 'direct'],
  parsePayload: (payload) => [{ kind: 'identify', ...parseIdentifyPayload(payload), origin: at('direct') }],
  parseRecord: (payload, _defaults, origin) => ({ kind: 'identify', ...parseIdentifyPayload(payload), origin }),
  toValue: single,
});

export const streamTokenOperation = /* @__PURE__ */ defineOperation({
  name: 'stream-token',
  route: 'POST /stream-token',
  scope: undefined,
  triggers: ['http'],
  parsePayload: (payload, _defaults, principal) => {
    if (!principal) throw new HttpError(401, 'unauthorized', 'stream tokens are minted only for an authenticated user');
    return [{ kind: 'mint', ...parseMintPayload(payload, principal), origin: at('http') }];
  },
  toValue: single,
  httpHeaders: { 'cache-control': 'no-store', pragma: 'no-cache' },
  browser: true,
  needsBrowserKey: true,
});

/**
 * The authenticated caller's own customer state: wallets, level, perks, flags (trait names, not
 * values). Over HTTP only for the token's subject; a direct invoke names the user (`{ user_id }`).
 */
export const customerOperation = /* @__PURE__ */ defineOperation({
  name: 'customer',
  route: 'GET /customer',
  scope: 'perkamo:read',
  triggers: ['http', 'direct'],
  parsePayload: (payload, _defaults, principal) => [{ kind: 'read', ...parseCustomerPayload(payload, principal), origin: at(principal ? 'http' : 'direct') }],
  toValue: single,
  // The caller's own state: never cached by a shared cache, nor kept by the browser.
  httpHeaders: { 'cache-control': 'private, no-store' },
  browser: true,
});

/** The operation's record parser (SQS bodies, EventBridge details), with an error naming the function when it has none. */
export function recordParser(operation: Operation): NonNullable<Operation['parseRecord']> {
  if (!operation.parseRecord) throw new TypeError(`the ${operation.name} function has no record parser`);
  return operation.parseRecord;
}

export type { Item };
