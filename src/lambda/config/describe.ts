import type { LambdaConfig } from './index.ts';
import type { SecretSource } from './secret-source.ts';

/** Where the server key comes from, never the key: the variable that holds it, or the ARN / parameter that does. */
function secretSourceOf(secret: SecretSource): Record<string, string> {
  if (secret.kind === 'env') return { source: 'PERKAMO_SECRET_KEY (the value itself, not shown)' };
  if (secret.kind === 'secrets-manager') return { source: 'secrets-manager', secret: secret.arn };
  return { source: 'ssm', parameter: secret.name };
}

/** A JWKS URL without its query, which may carry a token of the identity provider's. */
function withoutQuery(value: string): string {
  const url = new URL(value);
  return url.search === '' ? value : `${url.origin}${url.pathname}?… (query not shown)`;
}

/**
 * The effective configuration as one debug line's fields, written once at cold start: what a person
 * checking a deploy needs, with every secret as its source. The server key, the JWT secret and the
 * browser key are never written (the browser key is public, but it is still a credential).
 */
export function describeConfig(config: LambdaConfig): Record<string, unknown> {
  const { perkamo, auth } = config;
  return {
    perkamo: {
      base_url: perkamo.baseUrl,
      server_key: secretSourceOf(perkamo.secret),
      server_key_cache_ttl_ms: perkamo.secretTtlMs,
      browser_key: perkamo.browserKey === undefined ? 'unset' : 'PERKAMO_BROWSER_KEY (set, not shown)',
      stream_token_ttl_seconds: perkamo.streamTokenTtlSeconds,
    },
    auth:
      auth === undefined
        ? 'none (no HTTP trigger)'
        : {
            mode: auth.mode,
            keys: auth.jwksUrl !== undefined ? withoutQuery(auth.jwksUrl) : auth.secret ? 'AUTH_JWT_SECRET (set, not shown)' : 'none',
            issuer: auth.issuer,
            audience: auth.audience,
            user_id_claim: auth.userIdClaim,
            algorithms: auth.algorithms,
            clock_tolerance_seconds: auth.clockToleranceSeconds,
          },
    deadline_reserve_ms: config.reserveMs,
    concurrency: config.concurrency,
    cors_origins: config.corsOrigins,
    log_level: config.logLevel,
    trace_user_ids: config.traceUserIds,
    metrics: config.metrics.enabled ? config.metrics.namespace : 'off',
  };
}
