// Authenticates HTTP callers: a bearer JWT verified here with node:crypto (jwt-verify.ts, keys
// from jwks.ts), or the claims of API Gateway's JWT authorizer. Writes `request.internal.principal`.
// SQS, EventBridge and direct invokes are authorized by IAM and pass untouched.
//
// Decisions:
// - A token must carry `exp`: a token that never expires is refused (401).
// - Tokens over 8 KiB are refused before anything parses them.
// - The algorithm allow-list is narrowed to what the key source can verify: HMAC algorithms only
//   with AUTH_JWT_SECRET, never with a JWKS, so HS/RS key confusion cannot even reach a key.
// - When the JWKS cannot be fetched (network, timeout, non-200, malformed set), the caller gets
//   503 `auth_unavailable`, not 401: the token may be fine, the failure is ours and is retryable.
// - Error messages say what was wrong in general terms and name a claim at most; they never hold
//   the token, a claim value or the scheme's credentials. A rejection carries no cause.
import { createSecretKey } from 'node:crypto';
import { PerkamoConfigurationError } from '../../sdk/index.ts';
import type { AuthConfig } from '../config/index.ts';
import { AuthenticationError, ForbiddenError, HttpError } from '../errors.ts';
import { required, type PerkamoMiddleware, type PerkamoRequest, type Principal } from '../request.ts';
import { sourceOf } from '../sources/index.ts';
import { isHmacAlgorithm } from '../jws-algorithms.ts';
import { withinDeadline } from '../wait.ts';
import { KeySetUnavailable, remoteKeySet, type KeySetOptions } from './jwks.ts';
import { JwtRejected, verifyJwt, type JwtClaims, type KeyLookup } from './jwt-verify.ts';


export interface AuthOptions {
  config: AuthConfig;
  /** The scope this function requires (`perkamo:emit`, `perkamo:identify`); none: any valid user. */
  scope?: string;
  /** Clock for exp/nbf checks, epoch milliseconds. */
  now?: () => number;
  /** A fetch of the JWKS failed, a refresh of held keys or not (once per run of failures): jwks.ts. */
  onKeySetFetchError?: KeySetOptions['onFetchError'];
}

/** Largest bearer token accepted, in bytes (tokens are ASCII). */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Largest user id accepted from the user-id claim, in UTF-8 bytes. */
export const MAX_USER_ID_BYTES = 256;

const HOW_TO = 'send Authorization: Bearer <JWT>';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const defaults = { now: Date.now };

export function auth(options: AuthOptions): PerkamoMiddleware {
  const { config, scope } = options;
  const now = options.now ?? defaults.now;
  const verify = config.mode === 'jwt' ? verifier(config, now, { onFetchError: options.onKeySetFetchError }) : undefined;
  // Only a JWKS does I/O: its fetch is held to the invocation's budget; HS keys are local.
  const fetchesKeys = config.jwksUrl !== undefined;

  const authBefore = async (request: PerkamoRequest<any, any>): Promise<void> => {
    if (sourceOf(request).trigger !== 'http') return;
    const http = required(request, 'http');
    const claims = verify
      ? await withinDeadline(verify(bearerToken(http.headers)), fetchesKeys ? request.internal.deadline : undefined, keysTooSlow, now)
      : authorizerClaims(http.authorizerClaims);
    const principal: Principal = { userId: userIdOf(claims, config.userIdClaim), scopes: scopesOf(claims) };
    if (scope !== undefined && !principal.scopes.includes(scope)) {
      throw new ForbiddenError(`the token lacks the scope "${scope}" that this route requires`);
    }
    request.internal.principal = principal;
  };

  return { before: authBefore };
}

/** Builds the token check once per middleware instance, so a JWKS (and its key cache) is shared by invocations. */
function verifier(config: AuthConfig, now: () => number, keySet: KeySetOptions): (token: string) => Promise<JwtClaims> {
  if ((config.jwksUrl === undefined) === (config.secret === undefined)) {
    throw new PerkamoConfigurationError('auth: set exactly one of AUTH_JWKS_URL and AUTH_JWT_SECRET');
  }
  const algorithms = config.algorithms.filter((alg) => isHmacAlgorithm(alg) === (config.secret !== undefined));
  if (algorithms.length === 0) {
    throw new PerkamoConfigurationError(
      `auth: none of the algorithms [${config.algorithms.join(', ')}] can be verified with ${config.secret ? 'AUTH_JWT_SECRET (HS256)' : 'AUTH_JWKS_URL (RS256, ES256, …)'}`,
    );
  }
  const keys: KeyLookup = config.secret ? hmacKey(config.secret) : remoteKeySet(new URL(config.jwksUrl!), keySet);

  return async function verifyToken(token) {
    try {
      return await verifyJwt(token, keys, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockToleranceSeconds: config.clockToleranceSeconds,
        now: now(),
      });
    } catch (error) {
      if (error instanceof KeySetUnavailable) {
        throw new HttpError(503, 'auth_unavailable', 'the signing keys could not be fetched from AUTH_JWKS_URL; retry later', {
          headers: { 'retry-after': '5' },
          cause: error,
        });
      }
      // A JwtRejected's message is written to be shown; anything else is not, and is not attached.
      throw new AuthenticationError(`invalid bearer token: ${error instanceof JwtRejected ? error.message : 'the token could not be verified'}`);
    }
  };
}

/** The token could not be checked in time: the keys are ours to fetch, so 503 (retryable), not 401. */
function keysTooSlow(budgetMs: number): HttpError {
  return new HttpError(503, 'auth_unavailable', `AUTH_JWKS_URL did not answer within this invocation's time budget (${budgetMs} ms); retry later`, {
    headers: { 'retry-after': '5' },
  });
}

/** The HS256/384/512 key, made once: the secret is the same for every algorithm and every request. */
function hmacKey(secret: Uint8Array): KeyLookup {
  const key = [createSecretKey(secret)];
  return () => key;
}

function bearerToken(headers: Record<string, string>): string {
  const header = headers['authorization']?.trim();
  if (!header) throw new AuthenticationError(`missing Authorization header: ${HOW_TO}`);
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    throw new AuthenticationError(`the Authorization header must use the Bearer scheme: ${HOW_TO}`);
  }
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (token.length > MAX_TOKEN_BYTES) {
    throw new AuthenticationError(`the bearer token is larger than ${MAX_TOKEN_BYTES / 1024} KiB`);
  }
  if (!JWT_SHAPE.test(token)) {
    throw new AuthenticationError(`the bearer token is not a JWT (three base64url parts joined by dots): ${HOW_TO}`);
  }
  return token;
}

function authorizerClaims(claims: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!claims || Object.keys(claims).length === 0) {
    throw new AuthenticationError(`no authorizer claims: this route expects API Gateway's JWT authorizer to verify the token; ${HOW_TO}`);
  }
  return claims;
}

function userIdOf(claims: Record<string, unknown>, claim: string): string {
  const value = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value, 'utf8') > MAX_USER_ID_BYTES) {
    throw new AuthenticationError(
      `the token has no usable "${claim}" claim to identify the user (a non-empty string of at most ${MAX_USER_ID_BYTES} bytes)`,
    );
  }
  return value;
}

/**
 * Scopes from `scope` (space-separated) and `scp` (array, or a space-separated string). API Gateway
 * flattens array claims to "[a b]" strings; that form is read too.
 */
function scopesOf(claims: Record<string, unknown>): string[] {
  const scopes = new Set<string>();
  for (const name of ['scope', 'scp']) {
    const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
    const items = typeof value === 'string' ? splitScopes(value) : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').map((v) => v.trim()) : [];
    for (const item of items) if (item !== '') scopes.add(item);
  }
  return [...scopes];
}

function splitScopes(value: string): string[] {
  const trimmed = value.trim();
  const inner = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  return inner.split(/\s+/);
}
