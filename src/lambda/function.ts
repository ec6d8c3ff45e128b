import type { Command, Origin, Outcome } from './invocation.ts';
import { BatchItemsFailedError, toHttpError } from './errors.ts';
import type { Principal, Trigger } from './request.ts';
import type { Defaults } from './payload.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One of the package's Lambda functions, whole: its HTTP route and scope, the triggers it takes,
 * how a payload becomes commands (each with its Perkamo call), and how outcomes become an HTTP or
 * direct-invoke answer. SQS and EventBridge answers are the same for every function and live in
 * their sources. Each function is one module in `functions/`; their list is `functions/index.ts`.
 */
export interface PerkamoFunction<Name extends string = string> {
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

/** Keeps a function's name as a literal type, so the function list's names are a union. */
export const defineFunction = <Name extends string>(fn: PerkamoFunction<Name>): PerkamoFunction<Name> => fn;

/** The function's record parser (SQS bodies, EventBridge details), with an error naming the function when it has none. */
export function recordParser(fn: PerkamoFunction): NonNullable<PerkamoFunction['parseRecord']> {
  if (!fn.parseRecord) throw new TypeError(`the ${fn.name} function has no record parser`);
  return fn.parseRecord;
}

// --- How answers are shaped, shared by the functions ----------------------------------------------

/** One command, one answer: its value, or its error thrown. */
export function single(outcomes: Outcome[]): { status: number; value: unknown } {
  const [outcome] = outcomes;
  if (!outcome) throw new Error('no outcome');
  if (!outcome.ok) throw outcome.error;
  return { status: 200, value: outcome.value };
}

/** All results on success; when any failed, the first failure's status with per-item errors beside the results. */
export function many(outcomes: Outcome[]): { status: number; value: unknown } {
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

/**
 * A Perkamo answer (identify, customer) with `traits` replaced by `trait_names`: trait values are
 * customer data (emails, names) that must not travel back through HTTP answers, invoke results or
 * DLQ payloads. Changed in place (the client's own parsed answer), so its response metadata — the
 * request id for the answer's header — stays attached.
 */
export function withoutTraitValues<T extends { traits?: unknown }>(answer: T): Omit<T, 'traits'> & { trait_names?: string[] } {
  if (answer.traits === undefined) return answer;
  const { traits } = answer;
  const names = typeof traits === 'object' && traits !== null && !Array.isArray(traits) ? Object.keys(traits).sort() : [];
  delete answer.traits;
  return Object.assign(answer, { trait_names: names });
}
