// Function configuration: read from the environment and validated once, at cold start.

import { limits } from '../core/index.ts';
import { quote } from '../core/text.ts';
import { PerkamoConfigurationError, defaultBaseUrl } from '../sdk/index.ts';

export type SecretSource =
  | { kind: 'env'; value: string }
  | { kind: 'secrets-manager'; arn: string }
  | { kind: 'ssm'; name: string };

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

export interface LambdaConfig {
  perkamo: {
    baseUrl: string;
    secret: SecretSource;
    /** How long a key fetched from Secrets Manager / SSM is reused before it is read again. */
    secretTtlMs: number;
    browserKey: string | undefined;
    streamTokenTtlSeconds: number;
  };
  /** Undefined when the function takes no HTTP traffic. */
  auth: AuthConfig | undefined;
  /** Time kept back from Lambda's remaining time for reporting failures and flushing spans. */
  reserveMs: number;
  /** Parallel Perkamo calls per invocation. */
  concurrency: number;
  /** Exact origins allowed to call stream-token from a browser (CORS). */
  corsOrigins: string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** What spans say about user ids: the id, a stable SHA-256 pseudonym, or nothing. */
  traceUserIds: 'keep' | 'hash' | 'drop';
}

export interface ConfigNeeds {
  /** The function serves HTTP, so it needs auth settings. */
  http: boolean;
  /** The function mints tokens, so it needs PERKAMO_BROWSER_KEY. */
  browserKey: boolean;
}

// ---------------------------------------------------------------------------------------------
// loadConfig
//
// Decisions (the README's config table is built from these):
// - A variable that is unset, empty or only whitespace counts as unset (serverless.yml's
//   `${env:X, ''}` yields empty strings). Values are trimmed.
// - Every problem is collected; one LambdaConfigurationError lists them all, one per line, each
//   naming the variable and saying how to fix it. Values of PERKAMO_SECRET_KEY, AUTH_JWT_SECRET
//   and PERKAMO_BROWSER_KEY are never quoted; other values are quoted (shortened) to help.
// - Booleans accept true/false/1/0 (any case); anything else is a problem, never silently false.
// - Integers are plain decimal digits; `1e3`, `2.5`, `+4` are problems.
// - PERKAMO_SECRET_CACHE_TTL_SECONDS=0 turns caching off: the key is read on every use (and no
//   stale key is served when a read fails). Meant for tests; it costs one AWS call per request.
// - CORS origins are normalized (lower-case host, default port and a trailing `/` dropped) to the
//   form browsers send in `Origin`.
// - AUTH_* variables are read only when the function serves HTTP (needs.http).
// ---------------------------------------------------------------------------------------------

/** The function's environment is wrong; `problems` holds one line per problem. */
export class LambdaConfigurationError extends PerkamoConfigurationError {
  override readonly name: string = 'LambdaConfigurationError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `Invalid function configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `- ${p}`).join('\n'),
    );
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const USER_ID_POLICIES = ['keep', 'hash', 'drop'] as const;
const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const KNOWN_ALGS = [...HMAC_ALGS, ...ASYMMETRIC_ALGS];
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
const MIN_JWT_SECRET_BYTES = 32;

const SM_ARN = /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SM_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SSM_ARN = /^arn:aws(?:-[a-z]+)*:ssm:[a-z0-9-]+:\d{12}:parameter\/?[A-Za-z0-9_./-]+(?::[A-Za-z0-9_.-]{1,100})?$/;
const SSM_NAME = /^[A-Za-z0-9_./-]{1,2048}(?::[A-Za-z0-9_.-]{1,100})?$/;

export const configDefaults = {
  baseUrl: defaultBaseUrl,
  secretCacheTtlSeconds: 300,
  streamTokenTtlSeconds: 120,
  userIdClaim: 'sub',
  clockToleranceSeconds: 5,
  reserveMs: 500,
  concurrency: 4,
  logLevel: 'info',
  traceUserIds: 'hash',
} as const;

/**
 * Reads and validates the function's configuration. Call once, at cold start. Throws one
 * LambdaConfigurationError listing every problem found.
 */
export function loadConfig(env: Env, needs: ConfigNeeds): LambdaConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number, unit: string): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const value = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      problems.push(`${name}: ${quote(raw)} is not a whole number of ${unit} from ${min} to ${max}; set e.g. ${name}=${fallback}, or unset it for the default (${fallback})`);
      return fallback;
    }
    return value;
  };

  // --- Perkamo server key -----------------------------------------------------------------------
  const secret = secretSource(get, problems);
  const secretTtlMs = int('PERKAMO_SECRET_CACHE_TTL_SECONDS', configDefaults.secretCacheTtlSeconds, 0, 86_400, 'seconds') * 1000;

  // --- Perkamo API ------------------------------------------------------------------------------
  const baseUrl = get('PERKAMO_BASE_URL') ?? configDefaults.baseUrl;
  const baseUrlProblem = httpUrlProblem(baseUrl);
  if (baseUrlProblem) {
    problems.push(`PERKAMO_BASE_URL: ${baseUrlProblem}; set an http(s) URL such as ${defaultBaseUrl}, or unset it for the hosted API`);
  }

  const browserKey = get('PERKAMO_BROWSER_KEY');
  if (needs.browserKey && browserKey === undefined) {
    problems.push('PERKAMO_BROWSER_KEY: required by this function (it mints browser stream tokens); set it to the public browser key from the Perkamo console (pk_…)');
  } else if (browserKey?.startsWith('sk_')) {
    problems.push('PERKAMO_BROWSER_KEY: holds a server key (sk_…), which must never reach browsers; set the public browser key (pk_…) instead, and rotate the server key if it was exposed');
  }
  const { min: ttlMin, max: ttlMax } = limits.browserTokenTtlSeconds;
  const streamTokenTtlSeconds = int('PERKAMO_STREAM_TOKEN_TTL_SECONDS', configDefaults.streamTokenTtlSeconds, ttlMin, ttlMax, 'seconds');

  // --- HTTP auth --------------------------------------------------------------------------------
  const auth = needs.http ? authConfig(get, int, problems) : undefined;

  // --- Runtime ----------------------------------------------------------------------------------
  const reserveMs = int('PERKAMO_DEADLINE_RESERVE_MS', configDefaults.reserveMs, 0, 900_000, 'milliseconds');
  const concurrency = int('PERKAMO_CONCURRENCY', configDefaults.concurrency, 1, 32, 'parallel calls');
  const corsOrigins = corsOriginList(get('CORS_ALLOWED_ORIGINS'), problems);

  const rawLevel = get('LOG_LEVEL');
  let logLevel: LambdaConfig['logLevel'] = configDefaults.logLevel;
  if (rawLevel !== undefined) {
    const level = LOG_LEVELS.find((l) => l === rawLevel.toLowerCase());
    if (level) logLevel = level;
    else problems.push(`LOG_LEVEL: ${quote(rawLevel)} is not a log level; set one of ${LOG_LEVELS.join(', ')} (default ${configDefaults.logLevel})`);
  }

  const rawPolicy = get('PERKAMO_TRACE_USER_IDS');
  let traceUserIds: LambdaConfig['traceUserIds'] = configDefaults.traceUserIds;
  if (rawPolicy !== undefined) {
    const policy = USER_ID_POLICIES.find((p) => p === rawPolicy.toLowerCase());
    if (policy) traceUserIds = policy;
    else problems.push(`PERKAMO_TRACE_USER_IDS: ${quote(rawPolicy)} is not a policy; set keep, hash or drop (default ${configDefaults.traceUserIds})`);
  }

  if (problems.length > 0) throw new LambdaConfigurationError(problems);
  return {
    perkamo: { baseUrl, secret: secret!, secretTtlMs, browserKey, streamTokenTtlSeconds },
    auth,
    reserveMs,
    concurrency,
    corsOrigins,
    logLevel,
    traceUserIds,
  };
}

type Get = (name: string) => string | undefined;
type Int = (name: string, fallback: number, min: number, max: number, unit: string) => number;

function secretSource(get: Get, problems: string[]): SecretSource | undefined {
  const key = get('PERKAMO_SECRET_KEY');
  const arn = get('PERKAMO_SECRET_ARN');
  const parameter = get('PERKAMO_SECRET_PARAMETER');
  const set = [
    key !== undefined && 'PERKAMO_SECRET_KEY',
    arn !== undefined && 'PERKAMO_SECRET_ARN',
    parameter !== undefined && 'PERKAMO_SECRET_PARAMETER',
  ].filter((n): n is string => n !== false);

  if (set.length === 0) {
    problems.push(
      'PERKAMO_SECRET_KEY: the Perkamo server key is not configured; set exactly one of PERKAMO_SECRET_KEY (the key itself), ' +
        'PERKAMO_SECRET_ARN (a Secrets Manager secret holding it) or PERKAMO_SECRET_PARAMETER (an SSM SecureString parameter holding it)',
    );
    return undefined;
  }
  if (set.length > 1) {
    problems.push(`${set.join(', ')}: ${set.length === 2 ? 'both are' : 'all are'} set, so it is unclear which server key to use; set exactly one of them`);
    return undefined;
  }
  if (key !== undefined) {
    if (key.startsWith('pk_')) {
      problems.push('PERKAMO_SECRET_KEY: holds a browser key (pk_…); set the server key (sk_…) from the Perkamo console, and put the browser key in PERKAMO_BROWSER_KEY');
      return undefined;
    }
    return { kind: 'env', value: key };
  }
  if (arn !== undefined) {
    if (SM_ARN.test(arn) || (!arn.startsWith('arn:') && SM_NAME.test(arn))) return { kind: 'secrets-manager', arn };
    const hint = SSM_ARN.test(arn) ? '; that is an SSM parameter ARN, so set it as PERKAMO_SECRET_PARAMETER instead' : '';
    problems.push(`PERKAMO_SECRET_ARN: ${quote(arn)} is neither a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>) nor a secret name (letters, digits and /_+=.@-)${hint}`);
    return undefined;
  }
  const name = parameter!;
  if (SSM_ARN.test(name) || (!name.startsWith('arn:') && SSM_NAME.test(name))) return { kind: 'ssm', name };
  const hint = SM_ARN.test(name) ? '; that is a Secrets Manager ARN, so set it as PERKAMO_SECRET_ARN instead' : '';
  problems.push(`PERKAMO_SECRET_PARAMETER: ${quote(name)} is neither an SSM parameter name (e.g. /perkamo/prod/secret-key) nor an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>)${hint}`);
  return undefined;
}

function authConfig(get: Get, int: Int, problems: string[]): AuthConfig {
  const trust = bool(get, 'AUTH_TRUST_API_GATEWAY', problems);
  const mode: AuthConfig['mode'] = trust ? 'api-gateway' : 'jwt';

  const jwksUrl = get('AUTH_JWKS_URL');
  if (jwksUrl !== undefined) {
    const problem = jwksUrlProblem(jwksUrl);
    if (problem) problems.push(`AUTH_JWKS_URL: ${problem}`);
  }
  const rawSecret = get('AUTH_JWT_SECRET');
  const secret = rawSecret === undefined ? undefined : new TextEncoder().encode(rawSecret);
  if (secret && secret.byteLength < MIN_JWT_SECRET_BYTES) {
    problems.push(
      `AUTH_JWT_SECRET: is ${secret.byteLength} bytes; an HS256 secret needs at least ${MIN_JWT_SECRET_BYTES} bytes (RFC 7518 §3.2), ` +
        'because a shorter one can be guessed offline from any token it signed; set a random secret, e.g. the output of `openssl rand -base64 48`',
    );
  }

  if (mode === 'jwt') {
    if (jwksUrl !== undefined && secret !== undefined) {
      problems.push('AUTH_JWKS_URL, AUTH_JWT_SECRET: both are set; set exactly one: AUTH_JWKS_URL for RS/ES-signed tokens from an identity provider, AUTH_JWT_SECRET for HS256 tokens');
    } else if (jwksUrl === undefined && secret === undefined) {
      problems.push(
        'AUTH_JWKS_URL: HTTP callers cannot be authenticated; set AUTH_JWKS_URL (your identity provider\'s JWKS, https) or AUTH_JWT_SECRET (a shared HS256 secret), ' +
          "or AUTH_TRUST_API_GATEWAY=true when API Gateway's JWT authorizer verifies the tokens",
      );
    }
  }

  const issuer = get('AUTH_ISSUER');
  const audience = get('AUTH_AUDIENCE');
  if (mode === 'jwt' && issuer === undefined) {
    problems.push(
      'AUTH_ISSUER: required when tokens are verified here, so that a token from another issuer signed with the same keys is refused; ' +
        'set it to the exact `iss` your identity provider puts in tokens (e.g. https://example.eu.auth0.com/)',
    );
  }
  if (mode === 'jwt' && audience === undefined) {
    problems.push(
      'AUTH_AUDIENCE: required when tokens are verified here, so that a token minted for another app or API is refused; ' +
        'set it to the `aud` your tokens carry for this API (e.g. https://perkamo-lambda.example.com)',
    );
  }

  const keyKind = secret !== undefined && jwksUrl === undefined ? 'secret' : jwksUrl !== undefined && secret === undefined ? 'jwks' : undefined;
  const algorithms = algorithmList(get('AUTH_JWT_ALGORITHMS'), keyKind, problems);

  return {
    mode,
    jwksUrl,
    secret,
    issuer,
    audience,
    userIdClaim: get('AUTH_USER_ID_CLAIM') ?? configDefaults.userIdClaim,
    algorithms,
    clockToleranceSeconds: int('AUTH_CLOCK_TOLERANCE_SECONDS', configDefaults.clockToleranceSeconds, 0, 300, 'seconds'),
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
    const alg = KNOWN_ALGS.find((a) => a.toLowerCase() === name.toLowerCase());
    if (!alg) {
      problems.push(`AUTH_JWT_ALGORITHMS: ${quote(name)} is not a JWS algorithm; use some of ${KNOWN_ALGS.join(', ')}`);
      continue;
    }
    const hmac = HMAC_ALGS.includes(alg);
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

function bool(get: Get, name: string, problems: string[]): boolean {
  const raw = get(name);
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  problems.push(`${name}: ${quote(raw)} is not a boolean; set true or false (or unset it for false)`);
  return false;
}

function corsOriginList(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const out: string[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (entry === '*') {
      problems.push(
        'CORS_ALLOWED_ORIGINS: "*" is refused: it would let any website call stream-token from your users\' browsers and read the token; ' +
          'list the exact origins of your web app, e.g. https://app.example.com,http://localhost:3000',
      );
      continue;
    }
    if (entry.includes('*')) {
      problems.push(`CORS_ALLOWED_ORIGINS: ${quote(entry)} has a wildcard; wildcards are not supported, list each origin exactly (e.g. https://app.example.com)`);
      continue;
    }
    const origin = exactOrigin(entry);
    if (!origin) {
      problems.push(`CORS_ALLOWED_ORIGINS: ${quote(entry)} is not an origin; write scheme://host[:port] with no path, query or credentials, e.g. https://app.example.com`);
      continue;
    }
    if (!out.includes(origin)) out.push(origin);
  }
  return out;
}

function exactOrigin(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  // `new URL` turns `https://a.com?` or `https://a.com#` into the bare origin; refuse those as well.
  if (/[?#]/.test(entry)) return undefined;
  return url.origin;
}

function httpUrlProblem(value: string, allowQuery = false): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quote(value)} is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${quote(url.protocol)} is not http or https`;
  if (url.username || url.password) return 'the URL carries credentials';
  if (url.hash || (url.search && !allowQuery)) return `${quote(value)} has a ${allowQuery ? 'fragment' : 'query or fragment'}`;
  return undefined;
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

