/** A token bucket shared by every `/v1/` request (one Space, one bucket). */

export interface RateLimitOptions {
  /** Bucket size: the burst allowed from full. */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
  /** Header family: `ratelimit-*` (IETF draft, default) or `x-ratelimit-*`. */
  headers?: 'ratelimit' | 'x-ratelimit';
}

export interface RateLimitOutcome {
  allowed: boolean;
  headers: Record<string, string>;
  /** Whole seconds until one token is back (for `retry-after`); 0 when allowed. */
  retryAfterSeconds: number;
}

export function parseRateLimit(input: unknown): RateLimitOptions | null {
  if (input === null || input === undefined || input === false) return null;
  if (typeof input !== 'object' || Array.isArray(input)) throw new TypeError('rateLimit must be { capacity, refillPerSecond, headers? } or null');
  const r = input as Record<string, unknown>;
  if (typeof r.capacity !== 'number' || !Number.isInteger(r.capacity) || r.capacity < 1) {
    throw new TypeError('rateLimit.capacity must be an integer ≥ 1');
  }
  if (typeof r.refillPerSecond !== 'number' || !(r.refillPerSecond > 0) || !Number.isFinite(r.refillPerSecond)) {
    throw new TypeError('rateLimit.refillPerSecond must be a number > 0');
  }
  if (r.headers !== undefined && r.headers !== 'ratelimit' && r.headers !== 'x-ratelimit') {
    throw new TypeError("rateLimit.headers must be 'ratelimit' or 'x-ratelimit'");
  }
  return { capacity: r.capacity, refillPerSecond: r.refillPerSecond, headers: (r.headers as RateLimitOptions['headers']) ?? 'ratelimit' };
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = options.capacity;
    this.updatedAt = this.now();
  }

  take(): RateLimitOutcome {
    const { capacity, refillPerSecond } = this.options;
    const now = this.now();
    this.tokens = Math.min(capacity, this.tokens + ((now - this.updatedAt) / 1000) * refillPerSecond);
    this.updatedAt = now;
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    const family = this.options.headers ?? 'ratelimit';
    const headers = {
      [`${family}-limit`]: String(capacity),
      [`${family}-remaining`]: String(Math.max(0, Math.floor(this.tokens))),
      [`${family}-reset`]: String(Math.ceil((capacity - this.tokens) / refillPerSecond)),
    };
    const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / refillPerSecond));
    return { allowed, headers, retryAfterSeconds };
  }
}
