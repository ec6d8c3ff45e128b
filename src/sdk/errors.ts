import { PerkamoError } from '../core/index.ts';
import { keepClassNames } from '../core/errors.ts';
import { boundText, maxUpstreamMessageLength, upstreamCode } from '../core/text.ts';
import type { RateLimit } from './response-meta.ts';

/** Perkamo answered with a non-2xx status. */
export class PerkamoApiError extends PerkamoError {
  override readonly name = 'PerkamoApiError';
  readonly status: number;
  /** The decoded JSON body, or the raw text when it was not JSON, or undefined when empty. */
  readonly body: unknown;
  /** The body's machine `code`, when it has one. */
  readonly code: string | undefined;
  /** `x-perkamo-request-id` or `x-request-id`: quote it to Perkamo support. */
  readonly requestId: string | undefined;
  /** Seconds to wait, from `retry-after` as delta-seconds or an HTTP date. */
  readonly retryAfter: number | undefined;
  readonly rateLimit: RateLimit | undefined;
  /** How many HTTP attempts were made before this error was raised. */
  attempts = 1;

  constructor(init: {
    status: number;
    body: unknown;
    requestId: string | undefined;
    retryAfter: number | undefined;
    rateLimit: RateLimit | undefined;
  }) {
    const bodyMessage = messageOf(init.body);
    super(bodyMessage ? `Perkamo API error: ${bodyMessage}` : `HTTP ${init.status}`);
    this.status = init.status;
    this.body = init.body;
    this.code = codeOf(init.body);
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.rateLimit = init.rateLimit;
  }

  /** 429 and 5xx may succeed later; any other status will fail the same way again. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** No HTTP response: connection refused or reset, DNS failure, TLS failure. */
export class PerkamoNetworkError extends PerkamoError {
  override readonly name = 'PerkamoNetworkError';
  /** The system error code when there is one (`ECONNRESET`, `ECONNREFUSED`, …). */
  readonly code: string | undefined;
  attempts = 1;
  readonly retryable = true;

  constructor(operation: string, cause: unknown) {
    const code = systemCode(cause);
    super(`Perkamo ${operation} request failed before a response${code ? ` (${code})` : ''}; check PERKAMO_BASE_URL and the network`, { cause });
    this.code = code;
  }
}

/** The request was aborted after `timeoutMs` (or the time left before the deadline) without an answer. */
export class PerkamoTimeoutError extends PerkamoError {
  override readonly name = 'PerkamoTimeoutError';
  override get timeout(): boolean {
    return true;
  }
  readonly timeoutMs: number;
  attempts = 1;
  readonly retryable = true;

  constructor(operation: string, timeoutMs: number) {
    super(`Perkamo ${operation} request got no answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Not started because the deadline is too close for a request to finish. When retries stopped for
 * this reason, `lastError` is the failure that made a retry necessary.
 */
export class PerkamoDeadlineExceededError extends PerkamoError {
  override readonly name = 'PerkamoDeadlineExceededError';
  override get timeout(): boolean {
    return true;
  }
  readonly remainingMs: number;
  readonly lastError: Error | undefined;
  attempts = 0;
  readonly retryable = false;

  constructor(operation: string, remainingMs: number, lastError?: Error) {
    super(
      `Perkamo ${operation} request not started: ${Math.max(0, Math.round(remainingMs))} ms left before the deadline` +
        (lastError ? ` (previous attempt: ${lastError.message})` : ''),
    );
    this.remainingMs = remainingMs;
    this.lastError = lastError;
  }
}

/** A 2xx answer whose body is not what the API documents; retrying will not help. */
export class PerkamoResponseError extends PerkamoError {
  override readonly name = 'PerkamoResponseError';
  readonly status: number;
  readonly requestId: string | undefined;

  constructor(operation: string, status: number, requestId: string | undefined, problem: string) {
    super(`Perkamo ${operation} answered ${status} with an unexpected body: ${problem}`);
    this.status = status;
    this.requestId = requestId;
  }
}

/**
 * Perkamo's URL answered a redirect (3xx). Redirects are never followed: the request carries the
 * server key and its signature, and a 307/308 would resend the whole signed POST to wherever
 * `Location` points — and that host's 200 would count as Perkamo's answer. Not retried: a redirect
 * is configuration (an http:// base URL the API moves to https://, a proxy), not a passing fault;
 * a queued record fails and comes back later, as for any upstream fault. The message never repeats
 * `Location`, which is the upstream's text.
 */
export class PerkamoRedirectError extends PerkamoError {
  override readonly name = 'PerkamoRedirectError';
  readonly status: number;
  readonly requestId: string | undefined;
  attempts = 1;
  readonly retryable = false;

  constructor(operation: string, status: number, requestId: string | undefined, hasLocation: boolean) {
    super(
      `Perkamo ${operation} answered ${status}, a redirect${hasLocation ? ' to another location' : ' without a Location'}; ` +
        'redirects are not followed (they would send the server key elsewhere): check PERKAMO_BASE_URL (https, the exact API host)',
    );
    this.status = status;
    this.requestId = requestId;
  }
}

/** The client was set up wrongly (no API key, a bad base URL). */
export class PerkamoConfigurationError extends PerkamoError {
  override readonly name: string = 'PerkamoConfigurationError';
}

/** The body's `message`, bounded and on one line. */
function messageOf(body: unknown): string | undefined {
  const message = (body as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  const bounded = boundText(message, maxUpstreamMessageLength);
  return bounded === '' ? undefined : bounded;
}

function codeOf(body: unknown): string | undefined {
  return upstreamCode((body as { code?: unknown } | null)?.code);
}

function systemCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

keepClassNames({ PerkamoApiError, PerkamoNetworkError, PerkamoTimeoutError, PerkamoDeadlineExceededError, PerkamoResponseError, PerkamoRedirectError, PerkamoConfigurationError });
