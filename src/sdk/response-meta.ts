/** Rate-limit state from `ratelimit-*` or `x-ratelimit-*` headers, as Perkamo or an API gateway sends them. */
export interface RateLimit {
  limit: number | null;
  remaining: number | null;
  /** As sent: epoch seconds or seconds until reset, depending on the gateway. */
  reset: string | null;
}

/** What the HTTP exchange said about a successful result. Read it with `responseMeta(result)`. */
export interface ResponseMeta {
  status: number;
  requestId: string | undefined;
  rateLimit: RateLimit | undefined;
  /** HTTP attempts made, retries included. */
  attempts: number;
  /** UTF-8 bytes of the request body sent (0 for a GET) and of the answer read. */
  requestBytes: number;
  responseBytes: number;
}

// A WeakMap keeps results plain JSON objects (they serialize and compare as the API sent them)
// while still letting tracing read the request id of a success.
const metas = new WeakMap<object, ResponseMeta>();

export function attachMeta<T>(result: T, meta: ResponseMeta): T {
  if (typeof result === 'object' && result !== null) metas.set(result, meta);
  return result;
}

/** A value made from a client's result (a view of it) keeps the result's request id, status and attempts. */
export function carryResponseMeta<T>(from: unknown, to: T): T {
  const meta = responseMeta(from);
  return meta ? attachMeta(to, meta) : to;
}

/** The request id, status and attempts behind a result returned by the client. */
export function responseMeta(result: unknown): ResponseMeta | undefined {
  return typeof result === 'object' && result !== null ? metas.get(result) : undefined;
}

export function requestIdFromHeaders(headers: Headers): string | undefined {
  for (const name of ['x-perkamo-request-id', 'x-request-id']) {
    // Bounded: it is repeated in logs, spans and answers.
    const value = headers.get(name)?.trim().slice(0, 128);
    if (value) return value;
  }
  return undefined;
}

/** `retry-after` in seconds: delta-seconds, or an HTTP date turned into seconds from `now`. */
export function retryAfterOf(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export function rateLimitOf(headers: Headers): RateLimit | undefined {
  const read = (name: string) => headers.get(`ratelimit-${name}`) ?? headers.get(`x-ratelimit-${name}`);
  const limit = read('limit');
  const remaining = read('remaining');
  const reset = read('reset');
  if (limit === null && remaining === null && reset === null) return undefined;
  const count = (v: string | null) => (v !== null && /^\d+$/.test(v.trim()) ? Number(v.trim()) : null);
  return { limit: count(limit), remaining: count(remaining), reset: reset?.trim() || null };
}
