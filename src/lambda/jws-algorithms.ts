/**
 * The JWS algorithms auth knows, in one place: the configuration check (which algorithms a key
 * source may list) and the verifier (which it may use) must agree, or key confusion slips between them.
 */
export const hmacAlgorithms: readonly string[] = ['HS256', 'HS384', 'HS512'];
export const asymmetricAlgorithms: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
export const knownAlgorithms: readonly string[] = [...hmacAlgorithms, ...asymmetricAlgorithms];

export const isHmacAlgorithm = (alg: string): boolean => hmacAlgorithms.includes(alg);
