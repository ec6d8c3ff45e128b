import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Browser and stream tokens: HS256 JWTs signed with the emulator's token secret. */

export const tokenIssuer = 'perkamo-emulator';
export const tokenType = 'perkamo.client+jwt';

export interface BrowserTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  scope: string[];
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
}

export interface BrowserTokenHeader {
  alg: 'HS256';
  typ: string;
  kid: string;
}

export type TokenPurpose = 'stream' | undefined;

export function scopesFor(purpose: TokenPurpose): string[] {
  return purpose === 'stream' ? ['stream:read'] : ['customer:read', 'events:write'];
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

export function signJwt(header: BrowserTokenHeader, claims: BrowserTokenClaims, secret: string | Buffer): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export function newTokenId(): string {
  return `pbt_${randomBytes(16).toString('hex')}`;
}

export type TokenCheck =
  | { ok: true; header: BrowserTokenHeader; claims: BrowserTokenClaims }
  | { ok: false; message: string };

/**
 * Verifies signature, header, issuer, audience and time claims (no leeway: the emulator issued
 * the token on this very clock). Scope and subject are left to the caller (403, not 401).
 */
export function verifyJwt(
  token: string,
  options: { secret: string | Buffer; audience: string; browserKeys: readonly string[]; now?: number },
): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, message: 'the token is not a JWT (three dot-separated parts)' };
  const [h, p, s] = parts as [string, string, string];
  const expected = createHmac('sha256', options.secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, message: 'the token signature does not verify' };
  }
  let header: BrowserTokenHeader;
  let claims: BrowserTokenClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as BrowserTokenHeader;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as BrowserTokenClaims;
  } catch {
    return { ok: false, message: 'the token header or claims are not JSON' };
  }
  if (header.alg !== 'HS256' || header.typ !== tokenType) {
    return { ok: false, message: `the token must be an HS256 ${tokenType}` };
  }
  if (!options.browserKeys.includes(header.kid)) return { ok: false, message: 'the token was issued for an unknown browser key' };
  if (claims.iss !== tokenIssuer) return { ok: false, message: `the token issuer must be ${tokenIssuer}` };
  if (claims.aud !== options.audience) return { ok: false, message: `the token audience must be ${options.audience}` };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, message: 'the token has expired' };
  if (typeof claims.nbf !== 'number' || claims.nbf > now) return { ok: false, message: 'the token is not valid yet' };
  if (typeof claims.sub !== 'string' || !Array.isArray(claims.scope)) {
    return { ok: false, message: 'the token lacks sub or scope' };
  }
  return { ok: true, header, claims };
}
