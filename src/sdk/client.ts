import {
  PerkamoValidationError,
  assertIdentifier,
  assertSafeEventInput,
  assertUserId,
  createTransactionId,
  isPlainObject,
  limits,
  toIdentifyBody,
  toBatchEvents,
  toOccurredAt,
  type PerkamoEventInput,
} from '../core/index.ts';
import { PerkamoConfigurationError, PerkamoResponseError } from './errors.ts';
import { encodePathSegment } from './paths.ts';
import { responseMeta } from './response-meta.ts';
import { subscribeCustomer, type CustomerSubscription } from './stream.ts';
import {
  createTransport,
  defaultMaxResponseBytes,
  normalizeRetry,
  type ApiKeySupplier,
  type CallOptions,
  type PerkamoFetch,
  type RetryOptions,
} from './transport.ts';
import type {
  BatchIngestResponse,
  BrowserToken,
  EventIngestResponse,
  IdentifyResponse,
  PerkamoBatchEvent,
  PerkamoCustomer,
  PerkamoCustomerTraits,
  PerkamoEventContext,
  PerkamoProgram,
  PerkamoProgramEvent,
} from './types.ts';

export const defaultBaseUrl = 'https://api.perkamo.com';

export interface PerkamoClientOptions {
  /** The server API key, or a (possibly async) supplier called once per client call. */
  apiKey: ApiKeySupplier;
  /** Defaults to the hosted API, https://api.perkamo.com. */
  baseUrl?: string;
  /** A fetch-compatible adapter; defaults to the global fetch. */
  fetch?: PerkamoFetch;
  /** Abort each HTTP attempt after this many ms. Default: no timeout (as the official SDK). */
  timeoutMs?: number;
  /** Retry 429, 5xx, network errors and timeouts. Off by default; `true` takes the defaults. */
  retry?: boolean | RetryOptions;
  /** With a deadline, a request with less time left than this is not started. Default 25 ms. */
  minRequestMs?: number;
  /** A successful answer larger than this fails (`PerkamoResponseError`); a larger error body is dropped. Default 1 MiB. */
  maxResponseBytes?: number;
}

export interface EmitOptions extends CallOptions {
  /** The idempotency key. Pass a stable business id; a `tx_<uuid>` is generated when omitted. */
  txId?: string;
  occurredAt?: Date | string;
}

export type PerkamoClient = ReturnType<typeof createPerkamoClient>;
/** The client's calls, without its stream (`subscribeCustomer`). */
export type PerkamoCalls = ReturnType<typeof createPerkamoCalls>;

/** The Perkamo client: every call of the API, and the customer stream. */
export function createPerkamoClient(options: PerkamoClientOptions) {
  const { calls, baseUrl, fetch } = resolveCalls(options);
  return {
    ...calls,
    /** Preview: live customer state over the emulator's stream protocol (see README). */
    subscribeCustomer: (
      userId: string,
      streamToken: string,
      onCustomer: (customer: PerkamoCustomer) => void,
      onError?: (error: Error) => void,
    ): CustomerSubscription => subscribeCustomer({ baseUrl, fetch }, userId, streamToken, onCustomer, onError),
  };
}

/**
 * The client without the customer stream: what the Lambda functions use (src/lambda/runtime.ts), so
 * that the stream's code stays out of their bundles. The same options, checks and calls.
 */
export function createPerkamoCalls(options: PerkamoClientOptions) {
  return resolveCalls(options).calls;
}

/**
 * The calls, and where they go as resolved from the options (the base URL, the fetch): the stream
 * goes there too. Not on the calls object, so the public type (PerkamoCalls) does not show it.
 */
function resolveCalls(options: PerkamoClientOptions) {
  if (!options || (typeof options.apiKey !== 'string' && typeof options.apiKey !== 'function')) {
    throw new PerkamoConfigurationError(
      'createPerkamoClient needs apiKey: a string or a function returning one, e.g. () => process.env.PERKAMO_SECRET_KEY',
    );
  }
  if (typeof options.apiKey === 'string' && options.apiKey.trim() === '') {
    throw new PerkamoConfigurationError('Perkamo apiKey is empty: set PERKAMO_SECRET_KEY (or pass apiKey to createPerkamoClient)');
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new PerkamoConfigurationError(`timeoutMs must be a positive number of ms, got ${options.timeoutMs}`);
  }
  if (options.maxResponseBytes !== undefined && !(Number.isInteger(options.maxResponseBytes) && options.maxResponseBytes > 0)) {
    throw new PerkamoConfigurationError(`maxResponseBytes must be a whole number of bytes > 0, got ${options.maxResponseBytes}`);
  }
  const baseUrl = normalizeBaseUrl(options.baseUrl ?? defaultBaseUrl);
  const fetchImpl: PerkamoFetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const transport = createTransport({
    apiKey: options.apiKey,
    baseUrl,
    fetch: fetchImpl,
    timeoutMs: options.timeoutMs,
    retry: normalizeRetry(options.retry),
    minRequestMs: options.minRequestMs ?? 25,
    maxResponseBytes: options.maxResponseBytes ?? defaultMaxResponseBytes,
  });

  async function emit(
    userId: string,
    event: string,
    context: PerkamoEventContext = {},
    { txId, occurredAt, ...call }: EmitOptions = {},
  ): Promise<EventIngestResponse> {
    if (txId !== undefined) assertIdentifier(txId, 'txId', limits.transactionIdBytes);
    const body: PerkamoEventInput = {
      user_id: userId,
      event,
      transaction_id: txId ?? createTransactionId(),
      context,
    };
    if (occurredAt !== undefined) body.occurred_at = toOccurredAt(occurredAt, 'occurredAt');
    assertSafeEventInput(body);
    const result = await transport.request<EventIngestResponse>(
      { operation: 'emit', method: 'POST', path: '/v1/events', body },
      call,
    );
    assertIngestResult(result, 'emit');
    return result;
  }

  async function batch(events: PerkamoBatchEvent[], call: CallOptions = {}): Promise<BatchIngestResponse> {
    const body = { events: toBatchEvents(events) };
    const result = await transport.request<BatchIngestResponse>(
      { operation: 'batch', method: 'POST', path: '/v1/events:batch', body },
      call,
    );
    if (!Array.isArray(result?.results) || result.results.length !== body.events.length) {
      throw new PerkamoResponseError(
        'batch',
        responseMeta(result)?.status ?? 200,
        responseMeta(result)?.requestId,
        `expected results for ${body.events.length} events, got ${Array.isArray(result?.results) ? result.results.length : 'none'}`,
      );
    }
    result.results.forEach((item, i) => {
      assertIngestResult(item, 'batch');
      // Results are matched to events by position; one that names another transaction shows the order cannot be trusted.
      const tx = (item as { transaction_id?: unknown }).transaction_id;
      if (tx !== undefined && tx !== body.events[i]?.transaction_id) {
        throw new PerkamoResponseError('batch', responseMeta(result)?.status ?? 200, responseMeta(result)?.requestId, `result ${i} is for another transaction than event ${i}; results must follow the events' order`);
      }
    });
    return result;
  }

  async function identify(
    userId: string,
    traits: PerkamoCustomerTraits = {},
    call: CallOptions = {},
  ): Promise<IdentifyResponse> {
    const body = toIdentifyBody({ user_id: userId, traits });
    return transport.request<IdentifyResponse>({ operation: 'identify', method: 'POST', path: '/v1/identify', body }, call);
  }

  async function customer(userId: string, call: CallOptions = {}): Promise<PerkamoCustomer> {
    assertUserId(userId, 'userId');
    return transport.request<PerkamoCustomer>(
      { operation: 'customer', method: 'GET', path: `/v1/customer/${encodePathSegment(userId)}` },
      call,
    );
  }

  async function program(call: CallOptions = {}): Promise<PerkamoProgram> {
    return transport.request<PerkamoProgram>({ operation: 'program', method: 'GET', path: '/v1/program' }, call);
  }

  /** The program's earning rules as a list, whether the API sends a list or a keyed map. */
  async function eventCatalog(call: CallOptions = {}): Promise<PerkamoProgramEvent[]> {
    const rules = (await program(call))?.blueprint?.earningRules;
    if (Array.isArray(rules)) return rules;
    return isPlainObject(rules) ? (Object.values(rules) as PerkamoProgramEvent[]) : [];
  }

  async function mintToken(
    browserKey: string,
    userId: string,
    ttlSeconds: number | undefined,
    purpose: 'stream' | undefined,
    call: CallOptions,
  ): Promise<BrowserToken> {
    assertIdentifier(browserKey, 'browserKey', limits.userIdBytes);
    assertUserId(userId, 'userId');
    const { min, max } = limits.browserTokenTtlSeconds;
    if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds >= min && ttlSeconds <= max)) {
      throw new PerkamoValidationError(
        'ttlSeconds',
        'out_of_range',
        `'ttlSeconds' must be a whole number of seconds from ${min} to ${max}, got ${ttlSeconds}`,
      );
    }
    const body: Record<string, unknown> = { browser_key: browserKey, user_id: userId };
    if (ttlSeconds !== undefined) body.ttl_seconds = ttlSeconds;
    if (purpose) body.purpose = purpose;
    const token = await transport.request<BrowserToken>(
      { operation: 'browser_token', method: 'POST', path: '/v1/browser-tokens', body },
      call,
    );
    if (
      typeof token?.token !== 'string' ||
      token.token === '' ||
      typeof token.expires_at !== 'string' ||
      !Number.isInteger(token.expires_in)
    ) {
      throw new PerkamoResponseError(
        'browser_token',
        responseMeta(token)?.status ?? 200,
        responseMeta(token)?.requestId,
        'expected { token, token_type, expires_at, expires_in }',
      );
    }
    return token;
  }

  const calls = {
    emit,
    batch,
    identify,
    customer,
    program,
    eventCatalog,
    /** A short-lived browser token for `userId` (TTL 1–1800 s; the server's default when omitted). */
    createBrowserToken: (browserKey: string, userId: string, ttlSeconds?: number, call: CallOptions = {}) =>
      mintToken(browserKey, userId, ttlSeconds, undefined, call),
    /** A customer stream token (`purpose: "stream"`), 120 s by default. */
    createStreamToken: (browserKey: string, userId: string, ttlSeconds = 120, call: CallOptions = {}) =>
      mintToken(browserKey, userId, ttlSeconds, 'stream', call),
  };
  return { calls, baseUrl, fetch: fetchImpl };
}

function assertIngestResult(result: EventIngestResponse, operation: 'emit' | 'batch'): void {
  if (typeof result?.applied !== 'boolean' || typeof result.duplicate !== 'boolean') {
    throw new PerkamoResponseError(
      operation,
      responseMeta(result)?.status ?? 200,
      responseMeta(result)?.requestId,
      'expected booleans `applied` and `duplicate`',
    );
  }
}

function normalizeBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PerkamoConfigurationError(`baseUrl ${JSON.stringify(value)} is not a URL; use e.g. https://api.perkamo.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PerkamoConfigurationError(`baseUrl must be http(s), got ${url.protocol}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new PerkamoConfigurationError('baseUrl must not carry a query, fragment or credentials');
  }
  return url.toString().replace(/\/+$/, '');
}
