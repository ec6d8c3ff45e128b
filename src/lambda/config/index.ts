// Function configuration: read from the environment and validated once, at cold start. This file
// is the reader's table of contents; each setting's rules live with their owner (secret-source.ts,
// auth.ts, cors.ts), and every problem found anywhere is reported together.
//
// - PERKAMO_SECRET_CACHE_TTL_SECONDS=0 turns caching off: the key is read on every use (and no
//   stale key is served when a read fails). Meant for tests; it costs one AWS call per request.
// - AUTH_* variables are read only when the function serves HTTP (needs.http).

import { limits } from '../../core/index.ts';
import { quote } from '../../core/text.ts';
import { defaultBaseUrl } from '../../sdk/index.ts';
import { Budget } from '../budget.ts';
import { logLevels, type LogLevel } from '../logger.ts';
import { authDefaults, readAuthConfig, type AuthConfig } from './auth.ts';
import { readCorsOrigins } from './cors.ts';
import { EnvReader, httpUrlProblem, type Env } from './env.ts';
import { readSecretSource, type SecretSource } from './secret-source.ts';

export { LambdaConfigurationError, type Env } from './env.ts';
export type { AuthConfig } from './auth.ts';
export type { SecretSource } from './secret-source.ts';

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
  /** Time kept back from Lambda's remaining time for reporting failures and flushing spans (the `Budget`'s reserve). */
  reserveMs: number;
  /** Parallel Perkamo calls per invocation. */
  concurrency: number;
  /** Exact origins allowed to call the browser functions (CORS). */
  corsOrigins: string[];
  /** AWS_LAMBDA_LOG_LEVEL (Lambda's applicationLogLevel) when Lambda sets it, else LOG_LEVEL. */
  logLevel: LogLevel;
  /** What spans say about user ids: the id, a stable SHA-256 pseudonym, or nothing. */
  traceUserIds: 'keep' | 'hash' | 'drop';
  /** One CloudWatch EMF line per invocation on stdout (PERKAMO_METRICS), in this namespace (PERKAMO_METRICS_NAMESPACE). */
  metrics: { enabled: boolean; namespace: string };
}

export interface ConfigNeeds {
  /** The function serves HTTP, so it needs auth settings. */
  http: boolean;
  /** The function mints tokens, so it needs PERKAMO_BROWSER_KEY. */
  browserKey: boolean;
}

const USER_ID_POLICIES = ['keep', 'hash', 'drop'] as const;

export const configDefaults = {
  baseUrl: defaultBaseUrl,
  secretCacheTtlSeconds: 300,
  streamTokenTtlSeconds: 120,
  ...authDefaults,
  reserveMs: Budget.defaultReserveMs,
  concurrency: 4,
  logLevel: 'info' as LogLevel,
  traceUserIds: 'hash',
  metrics: true,
  metricsNamespace: 'PerkamoLambda',
} as const;

/** CloudWatch's rule for a namespace: 1–255 of these characters, and not AWS's own prefix. */
const namespacePattern = /^[\w .\-/#:]{1,255}$/;

/** What a function taking HTTP requests needs (the default of `loadConfig`): auth settings, no browser key. */
const httpFunction: ConfigNeeds = { http: true, browserKey: false };

/**
 * Reads and validates the function's configuration. Call once, at cold start. Throws one
 * LambdaConfigurationError listing every problem found. `needs` says what the function must have
 * (default: auth settings, as every function that takes HTTP does); `loadFunctionConfig(operation,
 * env)` derives it from an operation.
 */
export function loadConfig(env: Env = process.env, needs: ConfigNeeds = httpFunction): LambdaConfig {
  const read = new EnvReader(env);
  const config = readConfig(read, needs);
  read.fail();
  return config;
}

/** The variables a function's configuration reads (all of them: HTTP and browser key included). */
export function configVariableNames(): string[] {
  const read = new EnvReader({});
  readConfig(read, { http: true, browserKey: true });
  return [...read.names].sort();
}

function readConfig(read: EnvReader, needs: ConfigNeeds): LambdaConfig {

  // --- Perkamo server key and API ---------------------------------------------------------------
  const secret = readSecretSource(read);
  const secretTtlMs = read.int('PERKAMO_SECRET_CACHE_TTL_SECONDS', configDefaults.secretCacheTtlSeconds, 0, 86_400, 'seconds') * 1000;
  const baseUrl = read.get('PERKAMO_BASE_URL') ?? configDefaults.baseUrl;
  const baseUrlProblem = httpUrlProblem(baseUrl);
  if (baseUrlProblem) read.problem(`PERKAMO_BASE_URL: ${baseUrlProblem}; set an http(s) URL such as ${defaultBaseUrl}, or unset it for the hosted API`);

  const browserKey = read.get('PERKAMO_BROWSER_KEY');
  if (needs.browserKey && browserKey === undefined) {
    read.problem('PERKAMO_BROWSER_KEY: required by this function (it mints browser stream tokens); set it to the public browser key from the Perkamo console (pk_…)');
  } else if (browserKey?.startsWith('sk_')) {
    read.problem('PERKAMO_BROWSER_KEY: holds a server key (sk_…), which must never reach browsers; set the public browser key (pk_…) instead, and rotate the server key if it was exposed');
  }
  const { min: ttlMin, max: ttlMax } = limits.browserTokenTtlSeconds;
  const streamTokenTtlSeconds = read.int('PERKAMO_STREAM_TOKEN_TTL_SECONDS', configDefaults.streamTokenTtlSeconds, ttlMin, ttlMax, 'seconds');

  // --- HTTP auth ----------------------------------------------------------------------------------
  const auth = needs.http ? readAuthConfig(read) : undefined;

  // --- Runtime, CORS ------------------------------------------------------------------------------
  const reserveMs = read.int('PERKAMO_DEADLINE_RESERVE_MS', configDefaults.reserveMs, 0, 900_000, 'milliseconds');
  const concurrency = read.int('PERKAMO_CONCURRENCY', configDefaults.concurrency, 1, 32, 'parallel calls');
  const corsOrigins = readCorsOrigins(read.get('CORS_ALLOWED_ORIGINS'), read.problems);
  // Lambda's own setting wins: it is what CloudWatch filters on (logFormat JSON).
  const logLevelVariable = read.get('AWS_LAMBDA_LOG_LEVEL') !== undefined ? 'AWS_LAMBDA_LOG_LEVEL' : 'LOG_LEVEL';
  const logLevel = read.choice(logLevelVariable, logLevels, configDefaults.logLevel, 'a log level');
  const traceUserIds = read.choice('PERKAMO_TRACE_USER_IDS', USER_ID_POLICIES, configDefaults.traceUserIds, 'a policy', 'keep, hash or drop');

  const metricsEnabled = read.bool('PERKAMO_METRICS', configDefaults.metrics);
  const namespace = read.get('PERKAMO_METRICS_NAMESPACE') ?? configDefaults.metricsNamespace;
  if (!namespacePattern.test(namespace) || /^aws\//i.test(namespace)) {
    read.problem(
      `PERKAMO_METRICS_NAMESPACE: ${quote(namespace)} is not a CloudWatch namespace; use 1–255 letters, digits and . - _ / # : or spaces, not starting with AWS/ (default ${configDefaults.metricsNamespace})`,
    );
  }

  return {
    perkamo: { baseUrl, secret: secret!, secretTtlMs, browserKey, streamTokenTtlSeconds },
    auth,
    reserveMs,
    concurrency,
    corsOrigins,
    logLevel,
    traceUserIds,
    metrics: { enabled: metricsEnabled, namespace },
  };
}
