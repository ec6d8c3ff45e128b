// One running emulator's settings and state, passed explicitly to the route handlers, the stream
// handling and the request handler, so each of those can live in its own module.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.ts';
import type { CompiledProgram } from './program.ts';
import { parseRateLimit, TokenBucket, type RateLimitOptions } from './rate-limit.ts';
import { Space, type LedgerSnapshot } from './space.ts';
import { newTokenId, scopesFor, signJwt, tokenIssuer, tokenType, type BrowserTokenClaims } from './tokens.ts';

/** The options of a start with their defaults applied; fixed for the emulator's life. */
export interface EmulatorSettings {
  program: CompiledProgram;
  serverKeys: ReadonlySet<string>;
  browserKeys: string[];
  signatureToleranceSeconds: number;
  requireSignatures: boolean;
  heartbeatMs: number;
  tokenSecret: string;
  quiet: boolean;
  log: (line: string) => void;
}

export interface Stream {
  res: ServerResponse;
  userId: string;
  heartbeat: NodeJS.Timeout;
}

export interface EmulatorState {
  readonly settings: EmulatorSettings;
  readonly space: Space;
  readonly faults: FaultInjector;
  rateLimit: RateLimitOptions | null;
  bucket: TokenBucket | null;
  readonly streams: Map<string, Set<Stream>>;
  readonly hung: Set<ServerResponse>;
  readonly timers: Set<NodeJS.Timeout>;
  /** `METHOD path` → count. */
  readonly requests: Map<string, number>;
  closed: boolean;
  /** Known once the server listens; '' until then. */
  url: string;
  audience: string;
  readonly idPrefix: string;
  idCounter: number;
}

export type LedgerView = LedgerSnapshot & { faults: Record<string, number>; requests: { total: number; by_route: Record<string, number> } };

export interface IssueTokenInput {
  userId: string;
  browserKey?: string;
  ttlSeconds?: number;
  purpose?: 'stream';
  /** Unix seconds to issue at (to mint expired or not-yet-valid tokens in tests). */
  now?: number;
}

export function createState(settings: EmulatorSettings, faults: FaultInjector, rateLimit: RateLimitOptions | null): EmulatorState {
  return {
    settings,
    space: new Space(settings.program),
    faults,
    rateLimit,
    bucket: rateLimit ? new TokenBucket(rateLimit) : null,
    streams: new Map(),
    hung: new Set(),
    timers: new Set(),
    requests: new Map(),
    closed: false,
    url: '',
    audience: '',
    idPrefix: randomBytes(6).toString('hex'),
    idCounter: 0,
  };
}

// Request ids: a random per-start prefix and a counter: unique, cheap, `req_<24 hex>`.
export function nextRequestId(state: EmulatorState): string {
  return `req_${state.idPrefix}${(++state.idCounter).toString(16).padStart(12, '0')}`;
}

export function ledger(state: EmulatorState): LedgerView {
  const { requests } = state;
  return {
    ...state.space.ledger(),
    faults: Object.fromEntries(state.faults.counts),
    requests: { total: [...requests.values()].reduce((a, b) => a + b, 0), by_route: Object.fromEntries(requests) },
  };
}

export function reset(state: EmulatorState): void {
  state.requests.clear();
  state.space.reset();
  state.faults.counts.clear();
  state.faults.set(state.faults.list());
  if (state.rateLimit) state.bucket = new TokenBucket(state.rateLimit);
}

export function setRateLimit(state: EmulatorState, value: RateLimitOptions | null): void {
  state.rateLimit = parseRateLimit(value);
  state.bucket = state.rateLimit ? new TokenBucket(state.rateLimit) : null;
}

export function issueToken(state: EmulatorState, { userId, browserKey, ttlSeconds, purpose, now }: IssueTokenInput): string {
  const iat = now ?? Math.floor(Date.now() / 1000);
  const claims: BrowserTokenClaims = {
    iss: tokenIssuer,
    aud: state.audience,
    sub: userId,
    scope: scopesFor(purpose),
    iat,
    nbf: iat,
    exp: iat + (ttlSeconds ?? 600),
    jti: newTokenId(),
  };
  const { browserKeys, tokenSecret } = state.settings;
  return signJwt({ alg: 'HS256', typ: tokenType, kid: browserKey ?? (browserKeys[0] as string) }, claims, tokenSecret);
}
