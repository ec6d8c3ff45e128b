// Authenticates HTTP callers: a bearer JWT verified here with jose, or the claims of API Gateway's
// JWT authorizer. Writes `request.internal.principal`. SQS, EventBridge and direct invokes are
// authorized by IAM and pass untouched.
//
// Decisions:
// - A token must carry `exp`: a token that never expires is refused (401).
// - Tokens over 8 KiB are refused before anything parses them.
// - The algorithm allow-list is narrowed to what the key source can verify: HMAC algorithms only
//   with AUTH_JWT_SECRET, never with a JWKS, so HS/RS key confusion cannot even reach a key.
// - When the JWKS cannot be fetched (network, timeout, non-200, malformed set), the caller gets
//   503 `auth_unavailable`, not 401: the token may be fine, the failure is ours and is retryable.
// - Error messages say what was wrong in general terms and name a claim at most; they never hold
//   the token, a claim value or the scheme's credentials. jose's errors (which carry the claims
//   set) are never attached as a cause.
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { compactVerify, createRemoteJWKSet, customFetch, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { readBounded } from '../../core/bounded-body.ts';
import { PerkamoConfigurationError } from '../../sdk/index.ts';
import type { AuthConfig } from '../config/index.ts';
import { AuthenticationError, ForbiddenError, HttpError } from '../errors.ts';
import { required, type PerkamoInternal, type PerkamoRequest, type Principal } from '../request.ts';
import { sourceOf } from '../sources/index.ts';
import { isHmacAlgorithm } from '../jws-algorithms.ts';
import { withinDeadline } from '../wait.ts';

export interface AuthOptions {
  config: AuthConfig;
  /** The scope this function requires (`perkamo:emit`, `perkamo:identify`); none: any valid user. */
  scope?: string;
  /** Clock for exp/nbf checks, epoch milliseconds. */
  now?: () => number;
}

/** Largest bearer token accepted, in bytes (tokens are ASCII). */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Largest user id accepted from the user-id claim, in UTF-8 bytes. */
export const MAX_USER_ID_BYTES = 256;

const HOW_TO = 'send Authorization: Bearer <JWT>';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const defaults = { now: Date.now };

export function auth(options: AuthOptions): MiddlewareObj<any, any, Error, Context, PerkamoInternal> {
  const { config, scope } = options;
  const now = options.now ?? defaults.now;
  const verify = config.mode === 'jwt' ? verifier(config, now) : undefined;
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
function verifier(config: AuthConfig, now: () => number): (token: string) => Promise<JWTPayload> {
  if ((config.jwksUrl === undefined) === (config.secret === undefined)) {
    throw new PerkamoConfigurationError('auth: set exactly one of AUTH_JWKS_URL and AUTH_JWT_SECRET');
  }
  const algorithms = config.algorithms.filter((alg) => alg !== 'none' && isHmacAlgorithm(alg) === (config.secret !== undefined));
  if (algorithms.length === 0) {
    throw new PerkamoConfigurationError(
      `auth: none of the algorithms [${config.algorithms.join(', ')}] can be verified with ${config.secret ? 'AUTH_JWT_SECRET (HS256)' : 'AUTH_JWKS_URL (RS256, ES256, …)'}`,
    );
  }
  const key: JWTVerifyGetKey = config.secret ? hmacKeys(config.secret) : keySet(new URL(config.jwksUrl!));

  return async function verifyToken(token) {
    const verifyOptions: JWTVerifyOptions = {
      algorithms,
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceSeconds,
      requiredClaims: ['exp'],
      currentDate: new Date(now()),
    };
    try {
      const { payload } = await jwtVerify(token, key, verifyOptions);
      return payload;
    } catch (error) {
      if (error instanceof KeySetUnavailable) {
        throw new HttpError(503, 'auth_unavailable', 'the signing keys could not be fetched from AUTH_JWKS_URL; retry later', {
          headers: { 'retry-after': '5' },
          cause: error.cause,
        });
      }
      throw new AuthenticationError(`invalid bearer token: ${explain(error, algorithms)}`);
    }
  };
}

class KeySetUnavailable extends Error {}

/** The token could not be checked in time: the keys are ours to fetch, so 503 (retryable), not 401. */
function keysTooSlow(budgetMs: number): HttpError {
  return new HttpError(503, 'auth_unavailable', `AUTH_JWKS_URL did not answer within this invocation's time budget (${budgetMs} ms); retry later`, {
    headers: { 'retry-after': '5' },
  });
}

/**
 * The HS256/384/512 key, imported into WebCrypto once per algorithm: handing jose the raw bytes
 * would import them again on every request, most of the cost of a verification.
 */
function hmacKeys(secret: Uint8Array): JWTVerifyGetKey {
  const keys = new Map<string, Promise<CryptoKey>>();
  return function hmacKey(header) {
    const alg = header.alg ?? '';
    if (!isHmacAlgorithm(alg)) throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
    let key = keys.get(alg);
    if (!key) {
      key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify']);
      keys.set(alg, key);
    }
    return key;
  };
}

/**
 * jose's remote JWKS: fetched on first use, cached (10 min), refetched on an unknown `kid` at most
 * once per 30 s cooldown. Fetch failures are marked so they become 503s, not 401s. When several keys
 * match a token without `kid`, each is tried.
 */
function keySet(url: URL): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(url, { [customFetch]: boundedFetch });
  return async function jwksKey(header, token) {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys) return tryEach(error, token);
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JOSENotSupported) throw error;
      throw new KeySetUnavailable('JWKS unavailable', { cause: error });
    }
  };
}

/** A key set is a few KiB; a larger answer is not read to the end (and fails as unavailable). */
export const maxJwksBytes = 256 * 1024;

async function boundedFetch(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  const text = await readBounded(response, maxJwksBytes);
  if (text === undefined) throw new KeySetUnavailable(`the JWKS answer is over ${maxJwksBytes} bytes`);
  return new Response(text, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' } });
}

async function tryEach(error: errors.JWKSMultipleMatchingKeys, token: Parameters<JWTVerifyGetKey>[1]): Promise<CryptoKey> {
  const compact = `${token.protected ?? ''}.${token.payload}.${token.signature}`;
  for await (const candidate of error) {
    try {
      await compactVerify(compact, candidate);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
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

/** A general reason for a jose failure: names a claim at most, never echoes a value. */
function explain(error: unknown, algorithms: string[]): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired (exp)';
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = /^[a-z_]{1,16}$/i.test(error.claim) ? error.claim : 'a';
    if (error.reason === 'missing') return `the token has no "${claim}" claim${claim === 'exp' ? ' (tokens must expire)' : ''}`;
    if (claim === 'nbf') return 'the token is not valid yet (nbf)';
    if (claim === 'iss') return 'the token was issued by another issuer (iss)';
    if (claim === 'aud') return 'the token is meant for another audience (aud)';
    return `the token's "${claim}" claim is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token names a signing key (kid) that the key set does not hold';
  if (error instanceof errors.JOSEAlgNotAllowed) return `the signing algorithm is not accepted (accepted: ${algorithms.join(', ')})`;
  if (error instanceof errors.JOSENotSupported) return 'the token uses an unsupported algorithm or header';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is not a well-formed JWT';
  return 'the token could not be verified';
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
