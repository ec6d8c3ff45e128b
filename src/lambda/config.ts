// Function configuration: read from the environment and validated once, at cold start.

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
}

export interface ConfigNeeds {
  /** The function serves HTTP, so it needs auth settings. */
  http: boolean;
  /** The function mints tokens, so it needs PERKAMO_BROWSER_KEY. */
  browserKey: boolean;
}
