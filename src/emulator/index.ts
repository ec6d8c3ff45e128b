import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  assertSafeEventInput,
  assertUserId,
  isPlainObject,
  limits,
  PerkamoValidationError,
  toIdentifyBody,
  verifySignature,
  type PerkamoEventInput,
} from '../core/index.ts';
import { FaultInjector, parseFaults, type FaultRule } from './faults.ts';
import { readBody as readBounded } from './http-body.ts';
import { loadProgram, type CompiledProgram, type ProgramDefinition } from './program.ts';
import { parseRateLimit, TokenBucket, type RateLimitOptions } from './rate-limit.ts';
import { Space, type CustomerView, type IdentifyEntry, type IngestResult, type LedgerSnapshot } from './space.ts';
import { newTokenId, scopesFor, signJwt, tokenIssuer, tokenType, verifyJwt, type BrowserTokenClaims } from './tokens.ts';

export { compileProgram, loadProgram, defaultProgram, ProgramError } from './program.ts';
export type { ProgramDefinition, CompiledProgram, LevelState, PerkDefinition, EarningRuleDefinition, RewardDefinition } from './program.ts';
export { compileFormula, parseFormula, FormulaSyntaxError } from './formula.ts';
export { parseFaults, mulberry32, faultKinds, type FaultRule, type FaultKind } from './faults.ts';
export type { RateLimitOptions } from './rate-limit.ts';
export type { CustomerView, IngestResult, IdentifyEntry, IdentifyResult, LedgerEntry, LedgerSnapshot } from './space.ts';
export { tokenIssuer, tokenType } from './tokens.ts';

export const defaultKeys = { server: ['sk_test_emulator'], browser: ['pk_test_emulator'] } as const;

/** The largest request body the emulator reads (1 MiB); larger answers 413 payload_too_large. */
export const maxBodyBytes = 1024 * 1024;

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** A program object or the path of a program JSON file; default: the shipped default-program.json. */
  program?: ProgramDefinition | string;
  keys?: { server?: string[]; browser?: string[] };
  faults?: FaultRule[];
  rateLimit?: RateLimitOptions | null;
  /** Seed of the fault PRNG (default 1). */
  seed?: number;
  signatureToleranceSeconds?: number;
  requireSignatures?: boolean;
  heartbeatMs?: number;
  /** HS256 secret for browser and stream tokens; random per start by default. */
  tokenSecret?: string;
  /** No per-request log lines (default true; the CLI turns logging on). */
  quiet?: boolean;
  /** Where log lines go when not quiet (default: stdout). */
  log?: (line: string) => void;
}

export interface IssueTokenInput {
  userId: string;
  browserKey?: string;
  ttlSeconds?: number;
  purpose?: 'stream';
  /** Unix seconds to issue at (to mint expired or not-yet-valid tokens in tests). */
  now?: number;
}

export interface Emulator {
  url: string;
  port: number;
  host: string;
  keys: { server: string[]; browser: string[] };
  program: ProgramDefinition;
  close(): Promise<void>;
  /** Applied events, duplicates, conflicts, fault counts, and every API request received (`METHOD path` → count). */
  ledger(): LedgerSnapshot & { faults: Record<string, number>; requests: { total: number; by_route: Record<string, number> } };
  /** Clears customers, transactions, the ledger and fault counters; refills the rate bucket. Faults stay. */
  reset(): void;
  setFaults(faults: FaultRule[]): void;
  faults(): FaultRule[];
  setRateLimit(rateLimit: RateLimitOptions | null): void;
  customer(userId: string): CustomerView | undefined;
  customerIds(): string[];
  /** Every identify applied since the last reset, in order, with the traits it was given. */
  identifyLog(): IdentifyEntry[];
  /** Open customer streams. */
  streamCount(): number;
  /** Mints a browser/stream token exactly as `POST /v1/browser-tokens` would. */
  issueToken(input: IssueTokenInput): string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly reason?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Stream {
  res: ServerResponse;
  userId: string;
  heartbeat: NodeJS.Timeout;
}

const localOrigin = /^https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/;
const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };

function validationError(error: PerkamoValidationError): ApiError {
  return new ApiError(400, 'validation_failed', error.message, error.field, error.reason);
}

function itemError(error: PerkamoValidationError, index: number): ApiError {
  return validationError(error.within(`events[${index}]`));
}

/** Legacy `tenant`/`space` fields are ignored; PHP's `[]` for an empty object is read as `{}`. */
function normalizeEvent(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const { tenant: _tenant, space: _space, ...rest } = value;
  if (Array.isArray(rest.context) && rest.context.length === 0) rest.context = {};
  return rest;
}

function emptyAsObject(value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? {} : value;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const program: CompiledProgram = await loadProgram(options.program);
  const serverKeys = [...(options.keys?.server ?? defaultKeys.server)];
  const browserKeys = [...(options.keys?.browser ?? defaultKeys.browser)];
  if (serverKeys.length === 0) throw new TypeError('keys.server must list at least one key');
  const serverKeySet = new Set(serverKeys);
  const tolerance = options.signatureToleranceSeconds ?? 300;
  const requireSignatures = options.requireSignatures ?? true;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const tokenSecret = options.tokenSecret ?? randomBytes(32).toString('hex');
  const quiet = options.quiet ?? true;
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const seed = options.seed ?? 1;
  const faults = new FaultInjector(parseFaults(options.faults), seed);
  let rateLimit = parseRateLimit(options.rateLimit);
  let bucket = rateLimit ? new TokenBucket(rateLimit) : null;
  const space = new Space(program);
  const streams = new Map<string, Set<Stream>>();
  const hung = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let url = '';
  let audience = '';

  // Request ids: a random per-start prefix and a counter: unique, cheap, `req_<24 hex>`.
  const idPrefix = randomBytes(6).toString('hex');
  let idCounter = 0;
  const nextRequestId = (): string => `req_${idPrefix}${(++idCounter).toString(16).padStart(12, '0')}`;

  // ---- customer streams -------------------------------------------------------------------
  const pushCustomer = (stream: Stream): void => {
    const { view, version } = space.snapshot(stream.userId);
    stream.res.write(`event: customer\nid: ${version}\ndata: ${JSON.stringify(view)}\n\n`);
  };
  space.onChange((userId) => {
    const set = streams.get(userId);
    if (!set) return;
    const { view, version } = space.snapshot(userId);
    const frame = `event: customer\nid: ${version}\ndata: ${JSON.stringify(view)}\n\n`;
    for (const stream of set) stream.res.write(frame);
  });

  const issueToken = ({ userId, browserKey, ttlSeconds, purpose, now }: IssueTokenInput): string => {
    const iat = now ?? Math.floor(Date.now() / 1000);
    const claims: BrowserTokenClaims = {
      iss: tokenIssuer,
      aud: audience,
      sub: userId,
      scope: scopesFor(purpose),
      iat,
      nbf: iat,
      exp: iat + (ttlSeconds ?? 600),
      jti: newTokenId(),
    };
    return signJwt({ alg: 'HS256', typ: tokenType, kid: browserKey ?? (browserKeys[0] as string) }, claims, tokenSecret);
  };

  // ---- helpers ------------------------------------------------------------------------------
  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const { body, tooLarge } = await readBounded(req, maxBodyBytes);
    if (tooLarge) throw new ApiError(413, 'payload_too_large', `the request body is over ${maxBodyBytes} bytes (1 MiB)`);
    return body;
  };

  const parseJson = (raw: Buffer): unknown => {
    if (raw.length === 0) throw new ApiError(400, 'invalid_json', 'the request body is empty; send a JSON object');
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new ApiError(400, 'invalid_json', `the request body is not valid JSON: ${(error as Error).message}`);
    }
  };

  const requireKey = (req: IncomingMessage): string => {
    const key = req.headers['x-perkamo-api-key'];
    if (typeof key !== 'string' || key.trim() === '') {
      throw new ApiError(401, 'missing_api_key', 'the x-perkamo-api-key header is missing; send your server API key');
    }
    if (!serverKeySet.has(key)) {
      throw new ApiError(401, 'invalid_api_key', 'the x-perkamo-api-key header does not name a server key of this emulator');
    }
    return key;
  };

  /** Key, raw body, signature and timestamp window, then JSON: the order every POST goes through. */
  const signedJson = async (req: IncomingMessage, path: string): Promise<unknown> => {
    const apiKey = requireKey(req);
    const raw = await readBody(req);
    const timestamp = req.headers['x-perkamo-timestamp'];
    const signature = req.headers['x-perkamo-signature'];
    const hasTs = typeof timestamp === 'string' && timestamp !== '';
    const hasSig = typeof signature === 'string' && signature !== '';
    if (hasTs || hasSig || requireSignatures) {
      if (!hasTs || !hasSig) {
        throw new ApiError(
          401,
          'missing_signature',
          'POST requests must be signed: send x-perkamo-timestamp (Unix seconds) and x-perkamo-signature (v1=<hex HMAC-SHA256>)',
        );
      }
      if (!/^\d{1,12}$/.test(timestamp)) {
        throw new ApiError(401, 'invalid_timestamp', 'x-perkamo-timestamp must be the Unix time in whole seconds');
      }
      const ok = verifySignature({ apiKey, timestamp, signature, method: req.method ?? 'POST', path, body: raw });
      if (!ok) {
        throw new ApiError(
          401,
          'invalid_signature',
          'x-perkamo-signature does not match: sign "v1.<timestamp>.<METHOD>.<path>.<sha256 hex of the exact body bytes>" with the API key',
        );
      }
      const skew = Math.floor(Date.now() / 1000) - Number(timestamp);
      if (Math.abs(skew) > tolerance) {
        throw new ApiError(
          401,
          'stale_timestamp',
          `x-perkamo-timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'in the past' : 'in the future'}; signed requests must be within ±${tolerance} s of the server clock`,
        );
      }
    }
    return parseJson(raw);
  };

  const bodyObject = (body: unknown): Record<string, unknown> => {
    if (!isPlainObject(body)) throw new ApiError(400, 'validation_failed', 'the request body must be a JSON object', '', 'not_object');
    return body;
  };

  const validateEvent = (value: unknown): PerkamoEventInput => {
    const event = normalizeEvent(value);
    assertSafeEventInput(event);
    return event;
  };

  const decodeUserId = (segment: string): string => {
    let userId: string;
    try {
      userId = decodeURIComponent(segment);
    } catch {
      throw new ApiError(400, 'validation_failed', 'the user id in the path is not valid percent-encoding', 'user_id', 'invalid_encoding');
    }
    try {
      assertUserId(userId);
    } catch (error) {
      if (error instanceof PerkamoValidationError) throw validationError(error);
      throw error;
    }
    return userId;
  };

  // ---- routes -------------------------------------------------------------------------------
  const routeIdentify = async (req: IncomingMessage, path: string): Promise<Reply> => {
    const body = bodyObject(await signedJson(req, path));
    const input = toIdentifyBody({ user_id: body.user_id, traits: emptyAsObject(body.traits) });
    return { status: 200, body: space.identify(input.user_id, input.traits) };
  };

  const routeEvent = async (req: IncomingMessage, path: string, requestId: string): Promise<Reply> => {
    const body = bodyObject(await signedJson(req, path));
    const event = validateEvent(body);
    const outcome = space.ingest(event, requestId);
    if (outcome.kind === 'conflict') throw new ApiError(409, 'transaction_id_conflict', outcome.message, 'transaction_id');
    return { status: 200, body: outcome.result };
  };

  const routeBatch = async (req: IncomingMessage, path: string, requestId: string): Promise<Reply> => {
    const body = bodyObject(await signedJson(req, path));
    const events = body.events;
    if (!Array.isArray(events)) {
      throw new ApiError(400, 'validation_failed', "'events' must be a list of 1–100 events", 'events', events === undefined ? 'required' : 'not_array');
    }
    if (events.length === 0) throw new ApiError(400, 'validation_failed', "'events' is empty; send 1–100 events", 'events', 'empty');
    if (events.length > limits.batchMaxEvents) {
      throw new ApiError(
        413,
        'batch_too_large',
        `'events' has ${events.length} events; a batch takes at most ${limits.batchMaxEvents}`,
        'events',
        'too_many',
      );
    }
    const inputs = events.map((item, i) => {
      try {
        return validateEvent(item);
      } catch (error) {
        if (error instanceof PerkamoValidationError) throw itemError(error, i);
        throw error;
      }
    });
    const results: IngestResult[] = inputs.map((input) => space.ingest(input, requestId).result);
    return { status: 200, body: { results } };
  };

  const routeCustomer = (req: IncomingMessage, segment: string): Reply => {
    requireKey(req);
    const userId = decodeUserId(segment);
    const customer = space.customer(userId);
    if (!customer) throw new ApiError(404, 'customer_not_found', 'no customer with this user_id; identify it or emit an event for it first');
    return { status: 200, body: customer };
  };

  const routeProgram = (req: IncomingMessage): Reply => {
    requireKey(req);
    return { status: 200, body: program.json };
  };

  const routeBrowserToken = async (req: IncomingMessage, path: string): Promise<Reply> => {
    const body = bodyObject(await signedJson(req, path));
    const browserKey = body.browser_key;
    if (typeof browserKey !== 'string' || browserKey.trim() === '') {
      throw new ApiError(400, 'validation_failed', "'browser_key' is required: the public browser key (pk_…)", 'browser_key', 'required');
    }
    if (!browserKeys.includes(browserKey.trim())) {
      throw new ApiError(400, 'unknown_browser_key', "'browser_key' is not a browser key of this emulator", 'browser_key');
    }
    try {
      assertUserId(body.user_id);
    } catch (error) {
      if (error instanceof PerkamoValidationError) throw validationError(error);
      throw error;
    }
    const { min, max } = limits.browserTokenTtlSeconds;
    const ttl = body.ttl_seconds ?? 600;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < min || ttl > max) {
      throw new ApiError(400, 'validation_failed', `'ttl_seconds' must be an integer ${min}–${max}`, 'ttl_seconds', 'out_of_range');
    }
    const purpose = body.purpose ?? undefined;
    if (purpose !== undefined && purpose !== 'stream') {
      throw new ApiError(400, 'validation_failed', `'purpose' must be "stream" or omitted`, 'purpose', 'invalid');
    }
    const iat = Math.floor(Date.now() / 1000);
    const token = issueToken({ userId: body.user_id, browserKey: browserKey.trim(), ttlSeconds: ttl, purpose, now: iat });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: { token, token_type: 'Bearer', expires_at: new Date((iat + ttl) * 1000).toISOString(), expires_in: ttl },
    };
  };

  const routeStream = (req: IncomingMessage, res: ServerResponse, segment: string, query: string, requestId: string): void => {
    const userId = decodeUserId(segment);
    const auth = req.headers.authorization;
    let token: string | null = null;
    if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) token = auth.replace(/^bearer\s+/i, '').trim();
    else if (query) token = new URLSearchParams(query).get('access_token');
    const challenge = { 'www-authenticate': 'Bearer realm="perkamo-client"' };
    if (!token) {
      throw new ApiError(401, 'missing_token', 'send the stream token as "authorization: Bearer <token>" or ?access_token=<token>', undefined, undefined, challenge);
    }
    const check = verifyJwt(token, { secret: tokenSecret, audience, browserKeys });
    if (!check.ok) throw new ApiError(401, 'invalid_token', check.message, undefined, undefined, challenge);
    if (!check.claims.scope.includes('stream:read')) {
      throw new ApiError(403, 'forbidden', "the token lacks the 'stream:read' scope; mint it with purpose \"stream\"");
    }
    if (check.claims.sub !== userId) throw new ApiError(403, 'forbidden', 'the token was issued for another customer');

    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-perkamo-request-id': requestId,
    });
    res.write('retry: 2000\n\n');
    const stream: Stream = {
      res,
      userId,
      heartbeat: setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs),
    };
    stream.heartbeat.unref();
    let set = streams.get(userId);
    if (!set) streams.set(userId, (set = new Set()));
    set.add(stream);
    res.on('close', () => {
      clearInterval(stream.heartbeat);
      set.delete(stream);
      if (set.size === 0 && streams.get(userId) === set) streams.delete(userId);
    });
    pushCustomer(stream);
  };

  // ---- control routes (/__emulator/*, no key: a loopback dev tool) ---------------------------
  const requests = new Map<string, number>();
  const ledger = (): LedgerSnapshot & { faults: Record<string, number>; requests: { total: number; by_route: Record<string, number> } } => ({
    ...space.ledger(),
    faults: Object.fromEntries(faults.counts),
    requests: { total: [...requests.values()].reduce((a, b) => a + b, 0), by_route: Object.fromEntries(requests) },
  });
  const reset = (): void => {
    requests.clear();
    space.reset();
    faults.counts.clear();
    faults.set(faults.list());
    if (rateLimit) bucket = new TokenBucket(rateLimit);
  };
  const setRateLimit = (value: RateLimitOptions | null): void => {
    rateLimit = parseRateLimit(value);
    bucket = rateLimit ? new TokenBucket(rateLimit) : null;
  };

  const control = async (req: IncomingMessage, path: string, method: string): Promise<Reply> => {
    const readControlJson = async (): Promise<unknown> => parseJson(await readBody(req));
    switch (`${method} ${path}`) {
      case 'GET /__emulator/health':
        return {
          status: 200,
          body: { ok: true, url, customers: space.customerIds().length, applied: space.appliedCount, streams: streamCount() },
        };
      case 'GET /__emulator/ledger':
        return { status: 200, body: ledger() };
      case 'POST /__emulator/reset':
        reset();
        return { status: 200, body: { ok: true } };
      case 'GET /__emulator/faults':
        return { status: 200, body: { faults: faults.list() } };
      case 'PUT /__emulator/faults': {
        const body = await readControlJson();
        try {
          faults.set(parseFaults(isPlainObject(body) && 'faults' in body ? body.faults : body));
        } catch (error) {
          throw new ApiError(400, 'invalid_faults', (error as Error).message);
        }
        return { status: 200, body: { faults: faults.list() } };
      }
      case 'GET /__emulator/rate-limit':
        return { status: 200, body: { rateLimit } };
      case 'PUT /__emulator/rate-limit': {
        const body = await readControlJson();
        try {
          setRateLimit(body as RateLimitOptions | null);
        } catch (error) {
          throw new ApiError(400, 'invalid_rate_limit', (error as Error).message);
        }
        return { status: 200, body: { rateLimit } };
      }
    }
    throw new ApiError(404, 'not_found', `no control route ${method} ${path}; see GET /__emulator/health, /ledger, /faults, /rate-limit, POST /reset`);
  };

  // ---- dispatch -----------------------------------------------------------------------------
  const routeApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    query: string,
    requestId: string,
  ): Promise<Reply | null> => {
    const only = (allowed: string): void => {
      if (method !== allowed) {
        throw new ApiError(405, 'method_not_allowed', `${path} takes ${allowed}`, undefined, undefined, { allow: allowed });
      }
    };
    switch (path) {
      case '/v1/identify':
        only('POST');
        return routeIdentify(req, path);
      case '/v1/events':
        only('POST');
        return routeEvent(req, path, requestId);
      case '/v1/events:batch':
      case '/v1/events%3Abatch':
      case '/v1/events%3abatch':
        only('POST');
        return routeBatch(req, path, requestId);
      case '/v1/program':
        only('GET');
        return routeProgram(req);
      case '/v1/browser-tokens':
        only('POST');
        return routeBrowserToken(req, path);
    }
    const customer = /^\/v1\/(?:customer|profile)\/([^/]+)$/.exec(path);
    if (customer) {
      only('GET');
      return routeCustomer(req, customer[1] as string);
    }
    const stream = /^\/v1\/client\/customer\/([^/]+)\/stream$/.exec(path);
    if (stream) {
      only('GET');
      routeStream(req, res, stream[1] as string, query, requestId);
      return null;
    }
    throw new ApiError(404, 'not_found', `no route ${method} ${path}`);
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    if (res.destroyed || res.writableEnded) return;
    const json = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...jsonHeaders, ...reply.headers, 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };

  const errorReply = (error: unknown): Reply => {
    if (error instanceof PerkamoValidationError) error = validationError(error);
    if (error instanceof ApiError) {
      const body: Record<string, unknown> = { message: error.message, code: error.code };
      if (error.field !== undefined) body.field = error.field;
      if (error.reason !== undefined) body.reason = error.reason;
      return { status: error.status, body, headers: error.headers };
    }
    return { status: 500, body: { message: `emulator error: ${(error as Error)?.message ?? String(error)}`, code: 'internal_error' } };
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = quiet ? 0 : performance.now();
    const requestId = nextRequestId();
    res.setHeader('x-perkamo-request-id', requestId);
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const method = req.method ?? 'GET';
    if (!quiet) res.on('finish', () => log(`${method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms ${requestId}`));

    try {
      if (path.startsWith('/__emulator/')) {
        send(res, await control(req, path, method));
        return;
      }
      // Every API request counts, refused ones too: tests prove bad input never reaches Perkamo.
      const route = `${method} ${path}`;
      requests.set(route, (requests.get(route) ?? 0) + 1);
      if (path.startsWith('/v1/client/')) {
        const origin = req.headers.origin;
        if (typeof origin === 'string' && localOrigin.test(origin)) {
          res.setHeader('access-control-allow-origin', origin);
          res.setHeader('access-control-expose-headers', 'x-perkamo-request-id');
        }
        res.setHeader('vary', 'origin');
        if (method === 'OPTIONS') {
          if (typeof origin === 'string' && localOrigin.test(origin)) {
            res.setHeader('access-control-allow-methods', 'GET, OPTIONS');
            res.setHeader('access-control-allow-headers', 'authorization, last-event-id, cache-control, content-type');
            res.setHeader('access-control-max-age', '600');
          }
          res.writeHead(204);
          res.end();
          return;
        }
      }

      let errorAfter: FaultRule | null = null;
      if (faults.active) {
        const decision = faults.decide(path);
        if (decision.latencyMs > 0) {
          await delay(decision.latencyMs);
          if (closed) return;
        }
        const fault = decision.fault;
        switch (fault?.kind) {
          case 'error_before':
            send(res, {
              status: fault.status ?? 503,
              body: { message: 'injected fault: the request failed before it was applied (error_before)', code: 'injected_fault', fault: 'error_before' },
            });
            return;
          case 'rate_limit': {
            const retryAfter = fault.retryAfterSeconds ?? 1;
            send(res, {
              status: 429,
              headers: { 'retry-after': String(retryAfter) },
              body: { message: `injected fault: rate limited; retry after ${retryAfter} s`, code: 'rate_limited', fault: 'rate_limit' },
            });
            return;
          }
          case 'reset':
            req.socket.destroy();
            return;
          case 'hang':
            hung.add(res);
            res.on('close', () => hung.delete(res));
            req.resume();
            return;
          case 'error_after':
            errorAfter = fault;
            break;
        }
      }

      if (bucket && path.startsWith('/v1/')) {
        const outcome = bucket.take();
        for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
        if (!outcome.allowed) {
          send(res, {
            status: 429,
            headers: { 'retry-after': String(outcome.retryAfterSeconds) },
            body: { message: `rate limit of ${bucket.options.capacity} requests exceeded; retry after ${outcome.retryAfterSeconds} s`, code: 'rate_limited' },
          });
          return;
        }
      }

      let reply: Reply | null;
      try {
        if (errorAfter && /^\/v1\/client\/customer\/[^/]+\/stream$/.test(path)) {
          reply = null; // a stream is not opened under error_after: it fails like error_before
        } else {
          reply = await routeApi(req, res, method, path, query, requestId);
        }
      } catch (error) {
        reply = errorReply(error);
      }
      if (errorAfter) {
        send(res, {
          status: errorAfter.status ?? 502,
          body: { message: 'injected fault: the request was applied but its response was lost (error_after)', code: 'injected_fault', fault: 'error_after' },
        });
        return;
      }
      if (reply) send(res, reply);
    } catch (error) {
      send(res, errorReply(error));
    }
  };

  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  url = `http://${urlHost}:${port}`;
  audience = `${url}/v1/client`;

  const streamCount = (): number => {
    let n = 0;
    for (const set of streams.values()) n += set.size;
    return n;
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const set of streams.values()) for (const stream of set) {
      clearInterval(stream.heartbeat);
      stream.res.end();
    }
    streams.clear();
    for (const res of hung) res.destroy();
    hung.clear();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await done;
  };

  return {
    url,
    port,
    host,
    keys: { server: [...serverKeys], browser: [...browserKeys] },
    program: program.definition,
    close,
    ledger,
    reset,
    setFaults: (list) => faults.set(parseFaults(list)),
    faults: () => faults.list(),
    setRateLimit,
    customer: (userId) => space.customer(userId),
    customerIds: () => space.customerIds(),
    identifyLog: () => space.identifyLog(),
    streamCount,
    issueToken,
  };
}
