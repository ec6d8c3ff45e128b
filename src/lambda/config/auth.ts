// HTTP auth settings (AUTH_*), read only when the function serves HTTP; the auth middleware uses them.

import { quote } from '../../core/text.ts';
import { isHmacAlgorithm, knownAlgorithms } from '../jws-algorithms.ts';
import { httpUrlProblem, type EnvReader } from './env.ts';

export interface AuthConfig {
  /**
   * `jwt`: verify the bearer token here (JWKS or an HS256 secret).
   * `api-gateway`: trust the claims of API Gateway's JWT authorizer (it verified the token).
   */
  mode: 'jwt' | 'api-gateway';
  jwksUrl: string | undefined;
  /** AUTH_JWT_SECRET as UTF-8 bytes (HS256). */
  secret: Uint8Array | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  /** Claim holding the user id; default `sub`. */
  userIdClaim: string;
  /** Accepted `alg` values: HS256 with a secret; RS256, ES256 (and PS256, EdDSA) with JWKS. */
  algorithms: string[];
  /** Tolerated clock skew for exp/nbf, seconds. */
  clockToleranceSeconds: number;
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
const MIN_JWT_SECRET_BYTES = 32;

export const authDefaults = { userIdClaim: 'sub', clockToleranceSeconds: 5 } as const;

export function readAuthConfig(env: EnvReader): AuthConfig {
  const trust = env.bool('AUTH_TRUST_API_GATEWAY');
  const mode: AuthConfig['mode'] = trust ? 'api-gateway' : 'jwt';

  const jwksUrl = env.get('AUTH_JWKS_URL');
  if (jwksUrl !== undefined) {
    const problem = jwksUrlProblem(jwksUrl);
    if (problem) env.problem(`AUTH_JWKS_URL: ${problem}`);
  }
  const rawSecret = env.get('AUTH_JWT_SECRET');
  const secret = rawSecret === undefined ? undefined : new TextEncoder().encode(rawSecret);
  if (secret && secret.byteLength < MIN_JWT_SECRET_BYTES) {
    env.problem(
      `AUTH_JWT_SECRET: is ${secret.byteLength} bytes; an HS256 secret needs at least ${MIN_JWT_SECRET_BYTES} bytes (RFC 7518 §3.2), ` +
        'because a shorter one can be guessed offline from any token it signed; set a random secret, e.g. the output of `openssl rand -base64 48`',
    );
  }

  if (mode === 'jwt') {
    if (jwksUrl !== undefined && secret !== undefined) {
      env.problem('AUTH_JWKS_URL, AUTH_JWT_SECRET: both are set; set exactly one: AUTH_JWKS_URL for RS/ES-signed tokens from an identity provider, AUTH_JWT_SECRET for HS256 tokens');
    } else if (jwksUrl === undefined && secret === undefined) {
      env.problem(
        'AUTH_JWKS_URL: HTTP callers cannot be authenticated; set AUTH_JWKS_URL (your identity provider\'s JWKS, https) or AUTH_JWT_SECRET (a shared HS256 secret), ' +
          "or AUTH_TRUST_API_GATEWAY=true when API Gateway's JWT authorizer verifies the tokens",
      );
    }
  }

  const issuer = env.get('AUTH_ISSUER');
  const audience = env.get('AUTH_AUDIENCE');
  if (mode === 'jwt' && issuer === undefined) {
    env.problem(
      'AUTH_ISSUER: required when tokens are verified here, so that a token from another issuer signed with the same keys is refused; ' +
        'set it to the exact `iss` your identity provider puts in tokens (e.g. https://example.eu.auth0.com/)',
    );
  }
  if (mode === 'jwt' && audience === undefined) {
    env.problem(
      'AUTH_AUDIENCE: required when tokens are verified here, so that a token minted for another app or API is refused; ' +
        'set it to the `aud` your tokens carry for this API (e.g. https://perkamo-lambda.example.com)',
    );
  }

  const keyKind = secret !== undefined && jwksUrl === undefined ? 'secret' : jwksUrl !== undefined && secret === undefined ? 'jwks' : undefined;
  const algorithms = algorithmList(env.get('AUTH_JWT_ALGORITHMS'), keyKind, env.problems);

  return {
    mode,
    jwksUrl,
    secret,
    issuer,
    audience,
    userIdClaim: env.get('AUTH_USER_ID_CLAIM') ?? authDefaults.userIdClaim,
    algorithms,
    clockToleranceSeconds: env.int('AUTH_CLOCK_TOLERANCE_SECONDS', authDefaults.clockToleranceSeconds, 0, 300, 'seconds'),
  };
}

function algorithmList(raw: string | undefined, keyKind: 'secret' | 'jwks' | undefined, problems: string[]): string[] {
  const defaults = keyKind === 'secret' ? ['HS256'] : keyKind === 'jwks' ? ['RS256', 'ES256'] : [];
  if (raw === undefined) return defaults;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out: string[] = [];
  for (const name of names) {
    if (name.toLowerCase() === 'none') {
      problems.push('AUTH_JWT_ALGORITHMS: "none" is refused: it accepts unsigned tokens, which anyone can forge; remove it');
      continue;
    }
    const alg = knownAlgorithms.find((a) => a.toLowerCase() === name.toLowerCase());
    if (!alg) {
      problems.push(`AUTH_JWT_ALGORITHMS: ${quote(name)} is not a JWS algorithm; use some of ${knownAlgorithms.join(', ')}`);
      continue;
    }
    const hmac = isHmacAlgorithm(alg);
    if (keyKind === 'jwks' && hmac) {
      problems.push(
        `AUTH_JWT_ALGORITHMS: ${alg} is refused with AUTH_JWKS_URL: an HMAC algorithm verified with a public key lets anyone holding that public key forge tokens (key confusion); ` +
          'list only RS/PS/ES/EdDSA algorithms, or use AUTH_JWT_SECRET for HS256',
      );
      continue;
    }
    if (keyKind === 'secret' && !hmac) {
      problems.push(
        `AUTH_JWT_ALGORITHMS: ${alg} is refused with AUTH_JWT_SECRET: a shared secret verifies only HMAC algorithms (HS256, HS384, HS512), and mixing key kinds invites key confusion; ` +
          'list only HS algorithms, or use AUTH_JWKS_URL for RS/PS/ES/EdDSA tokens',
      );
      continue;
    }
    if (!out.includes(alg)) out.push(alg);
  }
  if (names.length === 0) {
    problems.push(`AUTH_JWT_ALGORITHMS: lists no algorithm; unset it for the default (${defaults.join(', ') || 'by key kind'}) or list e.g. RS256,ES256`);
  }
  return out.length > 0 ? out : defaults;
}

function jwksUrlProblem(value: string): string | undefined {
  const problem = httpUrlProblem(value, true);
  if (problem) return `${problem}; set your identity provider's JWKS URL, e.g. https://example.eu.auth0.com/.well-known/jwks.json`;
  const url = new URL(value);
  if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    return `${quote(value)} uses http: keys fetched without TLS can be swapped in transit; use https (http is allowed only for localhost and 127.0.0.1)`;
  }
  return undefined;
}
