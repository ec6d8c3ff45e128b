// The identity provider's signing keys (AUTH_JWKS_URL): fetched on first use, kept 10 minutes,
// fetched again on an unknown `kid` at most once per 30 s, the way jose's createRemoteJWKSet did.
// Unlike jose, an IdP that fails does not take the held keys with it: past its 10 minutes the set is
// refreshed in the background while it still verifies (for at most an hour more), and a failed
// fetch is not tried again for 30 s. With no key that may verify, an IdP that fails is not asked by
// every invocation either: it is tried again after 1 s, then 2, 4… up to 30 s between fetches, and
// the invocations meanwhile answer 503 (a blip at a cold start costs a second, not half a minute). A failed
// fetch is told (`onFetchError`) once per run of failures, not at each retry, keys held or not: with
// none held, every token gets 503 and the reason is otherwise nowhere in the logs. Each JWK is imported into a
// KeyObject once, when a token first needs it.
//
// A key set that cannot be had (network, timeout, non-200, not JSON, not a key set, over 256 KiB, a
// matching key that will not import) is a KeySetUnavailable: the failure is ours, not the token's.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readBounded } from '../../core/bounded-body.ts';
import { boundText, maxUpstreamMessageLength } from '../../core/text.ts';
import { userAgent } from '../../sdk/version.ts';
import type { JwsAlgorithm } from '../jws-algorithms.ts';
import { JwtRejected, type JoseHeader, type KeyLookup } from './jwt-verify.ts';

/** The signing keys could not be fetched or read; the token may be fine. */
export class KeySetUnavailable extends Error {
  override name = 'KeySetUnavailable';
}

/** A key set is a few KiB; a larger answer is not read to the end (and fails as unavailable). */
const maxJwksBytes = 256 * 1024;
/** How long a fetched key set is used before it is fetched again. */
const jwksMaxAgeMs = 10 * 60_000;
/**
 * The least time between two fetches caused by an unknown `kid` (a token naming random kids must not
 * hammer the IdP), and after a failed fetch while keys are held; the most after failed fetches
 * with none (the backoff's cap).
 */
const jwksCooldownMs = 30_000;
/** With no key that may verify, the wait after the first failed fetch; it doubles with each failure after it. */
const jwksFirstRetryMs = 1_000;
/**
 * How long past its age a held key set still verifies while it cannot be refreshed: an IdP outage
 * does not become ours at once, and a key revoked during one is trusted at most this long.
 */
const jwksMaxStaleMs = 60 * 60_000;
/** A fetch's own bound; the invocation's deadline usually ends the wait sooner. */
const fetchTimeoutMs = 5_000;

type Jwk = Record<string, unknown>;

export interface KeySetOptions {
  /**
   * A fetch failed: the held keys verify `staleForMs` more; 0 when none is held or they have run
   * out, so that no token verifies until a fetch succeeds. Told once per run of failures, the
   * first; a good fetch ends the run. The message is ours, with the fetch's own reason bounded in
   * length; it holds no key and no token.
   */
  onFetchError?: (error: KeySetUnavailable, info: { staleForMs: number }) => void;
}

export function remoteKeySet(url: URL, options: KeySetOptions = {}): KeyLookup {
  let keys: readonly Jwk[] | undefined;
  let fetchedAt = -Infinity;
  let failedAt = -Infinity;
  // Failed fetches since the last good one: the no-keys backoff grows with them.
  let failures = 0;
  let lastFailure: unknown;
  // The current run of failures was told (onFetchError).
  let told = false;
  // One fetch at a time, shared by every invocation waiting for it (a Managed Instance runs many).
  let pending: Promise<void> | undefined;
  const imported = new WeakMap<Jwk, KeyObject | KeySetUnavailable>();

  const reload = (): Promise<void> => {
    pending ??= fetchKeySet(url)
      .then(
        (set) => {
          keys = set;
          fetchedAt = Date.now();
          failures = 0;
          told = false;
        },
        (error: unknown) => {
          failedAt = Date.now();
          failures++;
          lastFailure = error;
          if (!told) {
            told = true;
            // With no keys, fetchedAt is -Infinity: 0.
            options.onFetchError?.(error as KeySetUnavailable, { staleForMs: Math.max(0, fetchedAt + jwksMaxAgeMs + jwksMaxStaleMs - failedAt) });
          }
          throw error;
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  /** Whether a failed fetch is recent enough that none is tried while held keys answer alone. */
  const coolingDown = (now: number) => now < failedAt + jwksCooldownMs;
  /** The same with no key that may verify: the wait grows from 1 s with each failure, up to 30 s. */
  const backingOff = (now: number) => now < failedAt + Math.min(jwksCooldownMs, jwksFirstRetryMs * 2 ** Math.min(failures - 1, 5));

  const importOnce = (jwk: Jwk): KeyObject => {
    let key = imported.get(jwk);
    if (key === undefined) {
      key = importJwk(jwk);
      imported.set(jwk, key);
    }
    if (key instanceof KeySetUnavailable) throw key;
    return key;
  };

  return async function jwksKeys(header: JoseHeader, algorithm: JwsAlgorithm): Promise<KeyObject[]> {
    const now = Date.now();
    if (keys === undefined || now >= fetchedAt + jwksMaxAgeMs + jwksMaxStaleMs) {
      // No key that may verify: the fetch is awaited, unless the last one failed too recently.
      if (failures > 0 && backingOff(now)) throw new KeySetUnavailable(`the JWKS failed ${failures === 1 ? 'once' : `${failures} times`} and is not fetched again yet`, { cause: lastFailure });
      await reload();
    }
    // Stale: refreshed in the background (bounded by the fetch's own timeout); the held keys verify meanwhile.
    else if (now >= fetchedAt + jwksMaxAgeMs && !coolingDown(now)) reload().catch(() => undefined);
    let candidates = keys!.filter((jwk) => canVerify(jwk, header, algorithm));
    if (candidates.length === 0 && now >= fetchedAt + jwksCooldownMs) {
      // The IdP may have rotated in a key since the last fetch; while it fails, that cannot be known.
      if (coolingDown(now)) throw new KeySetUnavailable('the token names a signing key (kid) the held key set lacks, and the JWKS could not be fetched again');
      await reload();
      candidates = keys!.filter((jwk) => canVerify(jwk, header, algorithm));
    }
    if (candidates.length === 0) throw new JwtRejected('the token names a signing key (kid) that the key set does not hold');
    if (candidates.length === 1) return [importOnce(candidates[0]!)];
    // Several candidates (no kid): each that imports is tried; a broken one is no reason to refuse the others.
    return candidates.flatMap((jwk) => {
      try {
        return [importOnce(jwk)];
      } catch {
        return [];
      }
    });
  };
}

/**
 * Whether a JWK may verify a token with this header, by jose's rules: its type fits the algorithm
 * (and its curve the algorithm's); its `kid`, `alg`, `use` and `key_ops`, when present, allow it.
 */
function canVerify(jwk: Jwk, header: JoseHeader, algorithm: JwsAlgorithm): boolean {
  const { kty, crv, kid, alg, use, ext, key_ops: ops } = jwk;
  return (
    kty === algorithm.kty &&
    (!('crv' in algorithm) || crv === algorithm.crv) &&
    (header.kid === undefined || (typeof header.kid === 'string' && header.kid === kid)) &&
    (alg === undefined || alg === header.alg) &&
    (use === undefined || use === 'sig') &&
    (ext === undefined || typeof ext === 'boolean') &&
    (ops === undefined || (Array.isArray(ops) && ops.every((op, i) => typeof op === 'string' && ops.indexOf(op) === i) && ops.includes('verify')))
  );
}

function importJwk(jwk: Jwk): KeyObject | KeySetUnavailable {
  // A private key published in a key set is a broken set (jose refused it too), not a key to verify with.
  if (jwk.d !== undefined) return new KeySetUnavailable('a key of the JWKS is a private key');
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    return new KeySetUnavailable('a key of the JWKS could not be imported', { cause: error });
  }
}

async function fetchKeySet(url: URL): Promise<Jwk[]> {
  let response: Response;
  try {
    response = await fetch(url, {
      // A redirect is answered as a non-200: keys are taken from AUTH_JWKS_URL only.
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json', 'user-agent': userAgent },
      signal: AbortSignal.timeout(fetchTimeoutMs),
    });
  } catch (error) {
    throw new KeySetUnavailable(`the JWKS could not be fetched: ${reasonOf(error)}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new KeySetUnavailable(`the JWKS answered HTTP ${response.status}, not 200`);
  }
  let text: string | undefined;
  try {
    text = await readBounded(response, maxJwksBytes);
  } catch (error) {
    throw new KeySetUnavailable(`the JWKS answer could not be read: ${reasonOf(error)}`, { cause: error });
  }
  if (text === undefined) throw new KeySetUnavailable(`the JWKS answer is over ${maxJwksBytes} bytes`);
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch {
    throw new KeySetUnavailable('the JWKS answer is not JSON');
  }
  if (!isObject(set) || !Array.isArray(set.keys) || !set.keys.every(isObject)) {
    throw new KeySetUnavailable('the JWKS answer is not a key set ({ "keys": [JWK, …] })');
  }
  return set.keys;
}

/**
 * What the network said, bounded: the messages of an error and its causes (undici's "fetch failed"
 * says nothing without its cause's `connect ECONNREFUSED …`). A fetch of the JWKS sends no token.
 */
function reasonOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return boundText(parts.join(': '), maxUpstreamMessageLength);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
