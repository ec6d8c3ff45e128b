import { signRequest, utf8Length } from '../core/index.ts';
import { readBounded } from '../core/bounded-body.ts';
import { echoableStrings, redact } from '../core/text.ts';
import {
  PerkamoApiError,
  PerkamoConfigurationError,
  PerkamoDeadlineExceededError,
  PerkamoNetworkError,
  PerkamoRedirectError,
  PerkamoResponseError,
  PerkamoTimeoutError,
} from './errors.ts';
import { attachMeta, rateLimitOf, requestIdFromHeaders, retryAfterOf } from './response-meta.ts';
import { userAgent } from './version.ts';

export type PerkamoOperation =
  | 'identify'
  | 'emit'
  | 'batch'
  | 'customer'
  | 'program'
  | 'browser_token'
  | 'stream';

/** What the client tells a custom fetch about the attempt it is making (tracing reads it). */
export interface PerkamoAttemptInfo {
  operation: PerkamoOperation;
  /** 0 for the first attempt, 1 for the first retry, … (OpenTelemetry's `http.request.resend_count`). */
  attempt: number;
  /** The caller's deadline (epoch ms), when it gave one. */
  deadline: number | undefined;
  /** The timeout the client applies to this attempt, in ms (undefined: none). */
  timeoutMs: number | undefined;
}

export interface PerkamoRequestInit extends RequestInit {
  perkamo?: PerkamoAttemptInfo;
}

/** A fetch-compatible function; `globalThis.fetch` qualifies. */
export type PerkamoFetch = (url: string, init: PerkamoRequestInit) => Promise<Response>;

export type ApiKeySupplier = string | (() => string | undefined | Promise<string | undefined>);

export interface RetryOptions {
  /** Total attempts, the first included. Default 3. */
  attempts?: number;
  /** Backoff base: the n-th retry waits a random time up to base·2ⁿ⁻¹ (full jitter). Default 100 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts; a `Retry-After` beyond it ends the retries. Default 20 s. */
  maxDelayMs?: number;
}

export interface CallOptions {
  /** Epoch ms by which every attempt, and the waits between them, must be over. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface TransportOptions {
  apiKey: ApiKeySupplier;
  baseUrl: string;
  fetch: PerkamoFetch;
  timeoutMs: number | undefined;
  retry: Required<RetryOptions> | undefined;
  /** A request with less time than this before the deadline is not started. */
  minRequestMs: number;
  /** A 2xx body larger than this fails the call; an error body larger than this is dropped. */
  maxResponseBytes: number;
}

/** Perkamo's answers are small JSON documents; 1 MiB leaves room and keeps Lambda far below its 6 MB answer limit. */
export const defaultMaxResponseBytes = 1024 * 1024;

export interface RequestSpec {
  operation: PerkamoOperation;
  method: 'GET' | 'POST';
  /** The path alone, already encoded: it is signed as is. */
  path: string;
  body?: unknown;
}

const noRetry: Required<RetryOptions> = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as Promise<T> | undefined)?.then === 'function';

export function createTransport(options: TransportOptions) {
  const retry = options.retry ?? noRetry;

  function checkedKey(key: string | undefined): string {
    if (typeof key !== 'string' || key.trim() === '') {
      throw new PerkamoConfigurationError(
        'Perkamo apiKey is empty: set PERKAMO_SECRET_KEY (or pass apiKey to createPerkamoClient)',
      );
    }
    return key;
  }

  /**
   * The key, waited for no longer than the deadline: a supplier that reads a secret store can hang.
   * A key at hand — a string, or a supplier's cached one returned as is — needs no timer.
   */
  function keyBefore(operation: PerkamoOperation, deadline: number | undefined): string | Promise<string> {
    const supplied = typeof options.apiKey === 'function' ? options.apiKey() : options.apiKey;
    if (!isPromise(supplied)) return checkedKey(supplied);
    // Any thenable a supplier returns, as a Promise.
    const key = Promise.resolve(supplied).then(checkedKey);
    if (deadline === undefined) return key;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      const remaining = deadline - Date.now();
      timer = setTimeout(
        () => reject(new PerkamoDeadlineExceededError(operation, 0, new PerkamoConfigurationError('the API key (apiKey supplier) was not available before the deadline'))),
        Math.max(0, remaining),
      );
    });
    key.catch(() => undefined);
    return Promise.race([key, late]).finally(() => clearTimeout(timer));
  }

  async function request<T>(spec: RequestSpec, call: CallOptions = {}): Promise<T> {
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const apiKey = await keyBefore(spec.operation, call.deadline);
    let lastError: Error | undefined;

    for (let attempt = 0; ; attempt++) {
      const remaining = call.deadline === undefined ? Infinity : call.deadline - Date.now();
      if (remaining < options.minRequestMs) {
        throw new PerkamoDeadlineExceededError(spec.operation, remaining, lastError);
      }
      const timeoutMs = Math.min(options.timeoutMs ?? Infinity, remaining);
      try {
        const { data, response, text } = await attemptOnce<T>(spec, body, apiKey, call, {
          operation: spec.operation,
          attempt,
          deadline: call.deadline,
          timeoutMs: Number.isFinite(timeoutMs) ? Math.floor(timeoutMs) : undefined,
        });
        return attachMeta(data, {
          status: response.status,
          requestId: requestIdFromHeaders(response.headers),
          rateLimit: rateLimitOf(response.headers),
          attempts: attempt + 1,
          requestBytes: body === undefined ? 0 : utf8Length(body),
          responseBytes: utf8Length(text),
        });
      } catch (error) {
        if (!isRetryable(error)) throw withAttempts(error, attempt + 1);
        lastError = withAttempts(error as Error, attempt + 1);
      }
      if (attempt + 1 >= retry.attempts) throw lastError;
      const wait = backoff(retry, attempt, (lastError as { retryAfter?: number }).retryAfter);
      if (wait === undefined) throw lastError;
      if (call.deadline !== undefined && Date.now() + wait + options.minRequestMs > call.deadline) throw lastError;
      await sleep(wait, call.signal);
    }
  }

  async function attemptOnce<T>(
    spec: RequestSpec,
    body: string | undefined,
    apiKey: string,
    call: CallOptions,
    info: PerkamoAttemptInfo,
  ): Promise<{ data: T; response: Response; text: string }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': userAgent,
      'x-perkamo-api-key': apiKey,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (spec.method !== 'GET') {
      // Signed afresh on every attempt: a retry gets a current timestamp over the same bytes.
      Object.assign(headers, signRequest({ apiKey, method: spec.method, path: spec.path, body }));
    }

    const controller = new AbortController();
    // The error is made only when the timer fires: capturing a stack on every attempt costs more than the request's own work.
    const timeoutMs = info.timeoutMs;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new PerkamoTimeoutError(spec.operation, timeoutMs)), timeoutMs);
    const onCallerAbort = () => controller.abort(call.signal?.reason);
    call.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (call.signal?.aborted) onCallerAbort();

    try {
      let response: Response;
      try {
        response = await options.fetch(options.baseUrl + spec.path, {
          method: spec.method,
          headers,
          body,
          signal: controller.signal,
          // Never follow a redirect: it would carry the key and the signed body to another host.
          redirect: 'manual',
          perkamo: info,
        });
      } catch (error) {
        throw controller.signal.aborted ? controller.signal.reason : new PerkamoNetworkError(spec.operation, error);
      }
      if (response.status >= 300 && response.status < 400) {
        // Its body is not read (it is the redirecting host's text); the connection is released.
        await response.body?.cancel().catch(() => undefined);
        throw new PerkamoRedirectError(spec.operation, response.status, requestIdFromHeaders(response.headers), response.headers.has('location'));
      }
      let text: string | undefined;
      try {
        text = await readBounded(response, options.maxResponseBytes);
      } catch (error) {
        throw controller.signal.aborted ? controller.signal.reason : new PerkamoNetworkError(spec.operation, error);
      }
      if (!response.ok) {
        // The body is upstream text that may echo the request: the key or a trait value must not
        // reach a log line, a span or an answer through it.
        const echoed = text === undefined ? undefined : redact(text, [apiKey, ...echoableStrings(spec.body)]);
        const parsed = echoed === undefined ? { ok: true as const, value: undefined } : parseJson(echoed);
        throw new PerkamoApiError({
          status: response.status,
          body: parsed.ok ? parsed.value : echoed || undefined,
          requestId: requestIdFromHeaders(response.headers),
          retryAfter: retryAfterOf(response.headers),
          rateLimit: rateLimitOf(response.headers),
        });
      }
      if (text === undefined) {
        throw new PerkamoResponseError(spec.operation, response.status, requestIdFromHeaders(response.headers), `the answer is over ${options.maxResponseBytes} bytes`);
      }
      const parsed = parseJson(text);
      if (!parsed.ok) {
        throw new PerkamoResponseError(spec.operation, response.status, requestIdFromHeaders(response.headers), 'not JSON');
      }
      return { data: (parsed.value ?? {}) as T, response, text };
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return { request };
}

export type Transport = ReturnType<typeof createTransport>;

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isRetryable(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === true;
}

function withAttempts<E>(error: E, attempts: number): E {
  if (error instanceof Error && 'attempts' in error) (error as { attempts: number }).attempts = attempts;
  return error;
}

/** Full-jitter exponential backoff, never shorter than Retry-After; undefined when Retry-After is beyond maxDelayMs. */
export function backoff(retry: Required<RetryOptions>, attempt: number, retryAfterSeconds?: number): number | undefined {
  const jittered = Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
  if (retryAfterSeconds === undefined) return jittered;
  const asked = retryAfterSeconds * 1000;
  return asked > retry.maxDelayMs ? undefined : Math.max(asked, jittered);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function normalizeRetry(retry: boolean | RetryOptions | undefined): Required<RetryOptions> | undefined {
  if (!retry) return undefined;
  const given = retry === true ? {} : retry;
  const resolved = { attempts: 3, baseDelayMs: 100, maxDelayMs: 20_000, ...given };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new PerkamoConfigurationError(`retry.attempts must be a whole number ≥ 1, got ${resolved.attempts}`);
  }
  if (!(resolved.baseDelayMs >= 0) || !(resolved.maxDelayMs >= 0)) {
    throw new PerkamoConfigurationError('retry.baseDelayMs and retry.maxDelayMs must be ≥ 0');
  }
  return resolved;
}
