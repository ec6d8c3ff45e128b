import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { json, startLoopbackServer } from '../../helpers/loopback-server.ts';

export const ISSUER = 'https://issuer.test/';
export const AUDIENCE = 'perkamo-lambda-test';
export const HS_SECRET = new TextEncoder().encode('a-test-hs256-secret-of-at-least-32-bytes!');

export interface SigningKey {
  kid: string | undefined;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function rsaKey(kid: string | undefined): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), use: 'sig', alg: 'RS256', ...(kid !== undefined && { kid }) };
  return { kid, privateKey, publicJwk };
}

/**
 * A token issuer: RSA keys whose public halves are served as a JWKS by a real HTTP server on
 * 127.0.0.1. `GET /jwks` serves `keys` (mutable: push a key to rotate); `GET /jwks-without-kid`
 * serves `kidless`. Each fetch is recorded in `server.requests`.
 */
export async function startIssuer() {
  const keys: SigningKey[] = [await rsaKey('k1')];
  const kidless: SigningKey[] = [await rsaKey(undefined), await rsaKey(undefined)];
  const server = await startLoopbackServer((req, res) => {
    if (req.url === '/jwks') return json(res, 200, { keys: keys.map((k) => k.publicJwk) });
    if (req.url === '/jwks-without-kid') return json(res, 200, { keys: kidless.map((k) => k.publicJwk) });
    return json(res, 404, {});
  });
  return {
    keys,
    kidless,
    server,
    jwksUrl: `${server.url}/jwks`,
    kidlessJwksUrl: `${server.url}/jwks-without-kid`,
    /** JWKS fetches seen for `path` since the last `server.reset()`. */
    fetches: (path = '/jwks') => server.requests.filter((r) => r.url === path).length,
    close: () => server.close(),
  };
}

export type Claims = JWTPayload & Record<string, unknown>;

/** Standard valid claims (iss, aud, sub, scope, iat, exp in 5 min), overridable; `undefined` drops a claim. */
export function claims(overrides: Record<string, unknown> = {}, nowSeconds = Math.floor(Date.now() / 1000)): Claims {
  const all: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    scope: 'perkamo:emit perkamo:identify',
    iat: nowSeconds,
    exp: nowSeconds + 300,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Claims;
}

export async function signRs256(key: SigningKey, payload: Claims, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.kid !== undefined && { kid: key.kid }), ...header })
    .sign(key.privateKey);
}

export async function signHs256(secret: Uint8Array, payload: Claims): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

export const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

/** A compact JWS assembled by hand, for tokens no honest library would produce. */
export function handmadeToken(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}
