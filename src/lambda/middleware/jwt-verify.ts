// Verifies a compact JWS JWT with node:crypto: the header, the signature, then the claims, in the
// order (and with the semantics) of jose's jwtVerify, which this replaced to keep ~19 KB out of
// every function bundle. node:crypto verifies synchronously, without WebCrypto's key import per call.
//
// Every rejection is a JwtRejected whose message is a general reason, safe to answer with: it names
// a claim at most and never holds the token, a claim value or a key.
import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { jwsAlgorithm, MIN_RSA_BITS, type JwsAlgorithm } from '../jws-algorithms.ts';

/** A token refused; the message says why in general terms. */
export class JwtRejected extends Error {
  override name = 'JwtRejected';
}

export type JwtClaims = Record<string, unknown>;
export type JoseHeader = Record<string, unknown> & { alg: string };

/**
 * The keys that may have signed a token with this header (`alg` already allowed). Several when the
 * token names no `kid` and several keys fit: each is tried. Throws (a JwtRejected, or a failure of
 * its own) when it has none.
 */
export type KeyLookup = (header: JoseHeader, algorithm: JwsAlgorithm) => readonly KeyObject[] | Promise<readonly KeyObject[]>;

export interface JwtChecks {
  /** The `alg` values accepted; anything else (`none` included) is refused before a key is looked up. */
  algorithms: readonly string[];
  /** The accepted `iss`; when set, the claim is required. */
  issuer?: string | readonly string[] | undefined;
  /** The accepted `aud` (one of them suffices); when set, the claim is required. */
  audience?: string | readonly string[] | undefined;
  /** Tolerated clock skew for exp and nbf, seconds. */
  clockToleranceSeconds: number;
  /** The current time, epoch milliseconds. */
  now: number;
}

const MALFORMED = 'the token is not a well-formed JWT';
const UNSUPPORTED = 'the token uses an unsupported algorithm or header';
const BAD_SIGNATURE = 'the signature does not verify';
const UNVERIFIABLE = 'the token could not be verified';

/** The claims of `token` once its signature, `exp` (required), `nbf`, `iss` and `aud` check out. */
export async function verifyJwt(token: string, keys: KeyLookup, checks: JwtChecks): Promise<JwtClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtRejected(MALFORMED);
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];

  const header = jsonObject(encodedHeader) as JoseHeader;
  checkCritical(header);
  if (typeof header.alg !== 'string' || header.alg === '') throw new JwtRejected(MALFORMED);
  if (!checks.algorithms.includes(header.alg)) {
    throw new JwtRejected(`the signing algorithm is not accepted (accepted: ${checks.algorithms.join(', ')})`);
  }
  const algorithm = jwsAlgorithm(header.alg);
  if (!algorithm) throw new JwtRejected(UNSUPPORTED);

  // The keys before the signature's bytes, as jose: a key set that cannot be fetched is a 503
  // whatever the signature looks like.
  const candidates = await keys(header, algorithm);
  const signature = base64url(encodedSignature);
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1');
  if (candidates.length === 1) {
    // One key: a key that cannot verify this algorithm (a short RSA key, another key type) is said so.
    if (!keyFits(candidates[0]!, algorithm)) throw new JwtRejected(UNVERIFIABLE);
    if (!signatureVerifies(algorithm, candidates[0]!, signingInput, signature)) throw new JwtRejected(BAD_SIGNATURE);
  } else if (!candidates.some((key) => keyFits(key, algorithm) && signatureVerifies(algorithm, key, signingInput, signature))) {
    throw new JwtRejected(BAD_SIGNATURE);
  }

  // RFC 7797's unencoded payload has no place in a JWT (RFC 7519 §7.2): refused even when not critical.
  if (header.b64 === false) throw new JwtRejected(MALFORMED);
  const claims = jsonObject(encodedPayload);
  checkClaims(claims, checks);
  return claims;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url; a length of 4n+1 cannot be base64 at all (Buffer would drop the rest silently). */
function base64url(segment: string): Buffer {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) throw new JwtRejected(MALFORMED);
  return Buffer.from(segment, 'base64url');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A segment holding a JSON object (not an array, string or null), as the header and claims must be. */
function jsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(base64url(segment)));
  } catch {
    throw new JwtRejected(MALFORMED);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtRejected(MALFORMED);
  return value as Record<string, unknown>;
}

/**
 * `crit` (RFC 7515 §4.1.11) lists extensions the verifier must understand or refuse the token. The
 * only one understood is `b64`, as by jose; an unencoded payload is then refused after the signature.
 */
function checkCritical(header: Record<string, unknown>): void {
  const { crit } = header;
  if (crit === undefined) return;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name === '')) {
    throw new JwtRejected(MALFORMED);
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') throw new JwtRejected(UNSUPPORTED);
    if (typeof header.b64 !== 'boolean') throw new JwtRejected(MALFORMED);
  }
}

/** OpenSSL's names of the JOSE curves. */
const curves: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

/** Whether `key` is the kind `algorithm` verifies with: a JWKS key is chosen by its JWK, this checks what was imported. */
function keyFits(key: KeyObject, algorithm: JwsAlgorithm): boolean {
  if (algorithm.kind === 'hmac') return key.type === 'secret';
  if (key.type !== 'public') return false;
  switch (algorithm.kind) {
    case 'rsa':
    case 'rsa-pss':
      return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'ecdsa':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curves[algorithm.crv];
    case 'eddsa':
      return key.asymmetricKeyType === 'ed25519';
  }
}

function signatureVerifies(algorithm: JwsAlgorithm, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  try {
    switch (algorithm.kind) {
      case 'hmac': {
        const expected = createHmac(algorithm.digest, key).update(input).digest();
        // timingSafeEqual needs equal lengths; the length of an HMAC is no secret.
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      }
      case 'rsa':
        return verify(algorithm.digest, input, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return verify(algorithm.digest, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltBytes }, signature);
      case 'ecdsa':
        // JWS signatures are r‖s of fixed length; a DER signature (what OpenSSL emits by default) is refused.
        return signature.length === algorithm.signatureBytes && verify(algorithm.digest, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'eddsa':
        return signature.length === algorithm.signatureBytes && verify(null, input, key, signature);
    }
  } catch {
    // OpenSSL refusing the input (a malformed signature) is a signature that does not verify.
    return false;
  }
}

/** jose's jwtVerify claim checks: presence (iss, aud, exp), then iss, aud, iat, nbf, exp. */
function checkClaims(claims: JwtClaims, checks: JwtChecks): void {
  const required = [...(checks.issuer !== undefined ? ['iss'] : []), ...(checks.audience !== undefined ? ['aud'] : []), 'exp'];
  for (const claim of required) {
    if (!Object.hasOwn(claims, claim)) throw new JwtRejected(`the token has no "${claim}" claim${claim === 'exp' ? ' (tokens must expire)' : ''}`);
  }
  if (checks.issuer !== undefined && !listOf(checks.issuer).includes(claims.iss as string)) {
    throw new JwtRejected('the token was issued by another issuer (iss)');
  }
  if (checks.audience !== undefined && !audienceMatches(claims.aud, listOf(checks.audience))) {
    throw new JwtRejected('the token is meant for another audience (aud)');
  }
  const now = Math.floor(checks.now / 1000);
  const tolerance = checks.clockToleranceSeconds;
  if (claims.iat !== undefined && typeof claims.iat !== 'number') throw new JwtRejected(`the token's "iat" claim is invalid`);
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + tolerance)) {
    throw new JwtRejected('the token is not valid yet (nbf)');
  }
  if (typeof claims.exp !== 'number') throw new JwtRejected(`the token's "exp" claim is invalid`);
  if (claims.exp <= now - tolerance) throw new JwtRejected('the token has expired (exp)');
}

const listOf = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);

/** `aud` is one string or a list (RFC 7519 §4.1.3); one accepted audience in it suffices. */
function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return Array.isArray(aud) && accepted.some((audience) => aud.includes(audience));
}
