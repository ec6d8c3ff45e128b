/**
 * The JWS algorithms auth knows, in one place: the configuration check (which algorithms a key
 * source may list) and the verifier (which it may use, and how) must agree, or key confusion slips
 * between them. Plain data, no crypto: the configuration reads it too.
 */

export type JwsDigest = 'sha256' | 'sha384' | 'sha512';

export type JwsAlgorithm =
  | { kind: 'hmac'; kty: 'oct'; digest: JwsDigest }
  | { kind: 'rsa'; kty: 'RSA'; digest: JwsDigest }
  /** RSASSA-PSS with a salt as long as the digest (RFC 7518 §3.5). */
  | { kind: 'rsa-pss'; kty: 'RSA'; digest: JwsDigest; saltBytes: number }
  /** The signature is r‖s, each as long as the curve's order (RFC 7518 §3.4), not DER. */
  | { kind: 'ecdsa'; kty: 'EC'; digest: JwsDigest; crv: 'P-256' | 'P-384' | 'P-521'; signatureBytes: number }
  | { kind: 'eddsa'; kty: 'OKP'; crv: 'Ed25519'; signatureBytes: 64 };

const eddsa: JwsAlgorithm = { kind: 'eddsa', kty: 'OKP', crv: 'Ed25519', signatureBytes: 64 };

// The order is the order of the configuration's messages ("use some of HS256, HS384, …").
const jwsAlgorithms: Readonly<Record<string, JwsAlgorithm>> = {
  HS256: { kind: 'hmac', kty: 'oct', digest: 'sha256' },
  HS384: { kind: 'hmac', kty: 'oct', digest: 'sha384' },
  HS512: { kind: 'hmac', kty: 'oct', digest: 'sha512' },
  RS256: { kind: 'rsa', kty: 'RSA', digest: 'sha256' },
  RS384: { kind: 'rsa', kty: 'RSA', digest: 'sha384' },
  RS512: { kind: 'rsa', kty: 'RSA', digest: 'sha512' },
  PS256: { kind: 'rsa-pss', kty: 'RSA', digest: 'sha256', saltBytes: 32 },
  PS384: { kind: 'rsa-pss', kty: 'RSA', digest: 'sha384', saltBytes: 48 },
  PS512: { kind: 'rsa-pss', kty: 'RSA', digest: 'sha512', saltBytes: 64 },
  ES256: { kind: 'ecdsa', kty: 'EC', digest: 'sha256', crv: 'P-256', signatureBytes: 64 },
  ES384: { kind: 'ecdsa', kty: 'EC', digest: 'sha384', crv: 'P-384', signatureBytes: 96 },
  ES512: { kind: 'ecdsa', kty: 'EC', digest: 'sha512', crv: 'P-521', signatureBytes: 132 },
  EdDSA: eddsa,
  Ed25519: eddsa,
};

/** RSA keys shorter than this are refused (RFC 7518 §3.3; jose and the IdPs agree). */
export const MIN_RSA_BITS = 2048;

/** The algorithm named `alg`, or undefined for anything else (`none`, `__proto__`, …). */
export const jwsAlgorithm = (alg: string): JwsAlgorithm | undefined => (Object.hasOwn(jwsAlgorithms, alg) ? jwsAlgorithms[alg] : undefined);

export const knownAlgorithms: readonly string[] = Object.keys(jwsAlgorithms);
const hmacAlgorithms: readonly string[] = knownAlgorithms.filter((alg) => jwsAlgorithms[alg]!.kind === 'hmac');
export const asymmetricAlgorithms: readonly string[] = knownAlgorithms.filter((alg) => jwsAlgorithms[alg]!.kind !== 'hmac');

export const isHmacAlgorithm = (alg: string): boolean => hmacAlgorithms.includes(alg);
