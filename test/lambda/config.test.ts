import { describe, expect, it } from 'vitest';
import { LambdaConfigurationError, loadConfig, type ConfigNeeds, type Env } from '../../src/lambda/config/index.ts';
import { PerkamoConfigurationError } from '../../src/sdk/index.ts';

const KEY = 'sk_test_TOPSECRET_server_key_value';
const JWT_SECRET = 'jwt-secret-SUPERSECRET-0123456789abcdef';
const BROWSER = 'pk_test_BROWSERKEY_123';

const none: ConfigNeeds = { http: false, browserKey: false };
const http: ConfigNeeds = { http: true, browserKey: false };
const token: ConfigNeeds = { http: true, browserKey: true };

const jwtEnv: Env = { AUTH_JWT_SECRET: JWT_SECRET, AUTH_ISSUER: 'https://issuer.example.com/', AUTH_AUDIENCE: 'perkamo-api' };

function problemsOf(env: Env, needs: ConfigNeeds = none): string[] {
  try {
    loadConfig(env, needs);
  } catch (error) {
    expect(error).toBeInstanceOf(LambdaConfigurationError);
    const e = error as LambdaConfigurationError;
    // The message lists every problem, one per line.
    expect(e.message.split('\n').slice(1)).toEqual(e.problems.map((p) => `- ${p}`));
    for (const secret of [KEY, JWT_SECRET, BROWSER, 'short-secret']) expect(e.message).not.toContain(secret);
    return e.problems;
  }
  throw new Error('expected loadConfig to throw');
}

function problemFor(env: Env, variable: string, needs: ConfigNeeds = none): string {
  const problems = problemsOf(env, needs);
  const found = problems.filter((p) => p.startsWith(variable));
  expect(found, `problems: ${problems.join(' | ')}`).toHaveLength(1);
  return found[0]!;
}

describe('loadConfig: defaults', () => {
  it('needs only a server key when the function takes no HTTP traffic', () => {
    const config = loadConfig({ PERKAMO_SECRET_KEY: KEY }, none);
    expect(config).toEqual({
      perkamo: {
        baseUrl: 'https://api.perkamo.com',
        secret: { kind: 'env', value: KEY },
        secretTtlMs: 300_000,
        browserKey: undefined,
        streamTokenTtlSeconds: 120,
      },
      auth: undefined,
      reserveMs: 500,
      concurrency: 4,
      corsOrigins: [],
      logLevel: 'info',
      traceUserIds: 'hash',
      metrics: { enabled: true, namespace: 'PerkamoLambda' },
    });
  });

  it('metrics: PERKAMO_METRICS turns them off, PERKAMO_METRICS_NAMESPACE names them; bad values are named', () => {
    expect(loadConfig({ PERKAMO_SECRET_KEY: KEY, PERKAMO_METRICS: 'false', PERKAMO_METRICS_NAMESPACE: 'Shop/Loyalty' }, none).metrics).toEqual({
      enabled: false,
      namespace: 'Shop/Loyalty',
    });
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_METRICS: 'off' }, 'PERKAMO_METRICS', none)).toMatch(/not a boolean; set true or false \(or unset it for true\)/);
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_METRICS_NAMESPACE: 'AWS/Lambda' }, 'PERKAMO_METRICS_NAMESPACE', none)).toMatch(/not starting with AWS\//);
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_METRICS_NAMESPACE: 'a'.repeat(256) }, 'PERKAMO_METRICS_NAMESPACE', none)).toMatch(/1–255/);
  });

  it('with the environment alone: checks it as an HTTP function\'s (auth required), with the clear error, not a TypeError', () => {
    expect(() => loadConfig({ PERKAMO_SECRET_KEY: KEY })).toThrow(LambdaConfigurationError);
    expect(() => loadConfig({ PERKAMO_SECRET_KEY: KEY })).toThrow(/AUTH_JWT_SECRET|AUTH_JWKS_URL/);
    expect(loadConfig({ PERKAMO_SECRET_KEY: KEY, AUTH_JWT_SECRET: JWT_SECRET, AUTH_ISSUER: 'https://i.example/', AUTH_AUDIENCE: 'a' }).auth).toBeDefined();
  });

  it('ignores AUTH_* when the function takes no HTTP traffic', () => {
    const config = loadConfig({ PERKAMO_SECRET_KEY: KEY, AUTH_TRUST_API_GATEWAY: 'yes', AUTH_JWT_SECRET: 'x' }, none);
    expect(config.auth).toBeUndefined();
  });

  it('HS256 defaults with a secret', () => {
    const { auth } = loadConfig({ PERKAMO_SECRET_KEY: KEY, ...jwtEnv }, http);
    expect(auth).toEqual({
      mode: 'jwt',
      jwksUrl: undefined,
      secret: new TextEncoder().encode(JWT_SECRET),
      issuer: 'https://issuer.example.com/',
      audience: 'perkamo-api',
      userIdClaim: 'sub',
      algorithms: ['HS256'],
      clockToleranceSeconds: 5,
    });
    expect(auth!.secret).toBeInstanceOf(Uint8Array);
  });

  it('RS256 and ES256 by default with a JWKS', () => {
    const { auth } = loadConfig(
      { PERKAMO_SECRET_KEY: KEY, AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' },
      http,
    );
    expect(auth).toMatchObject({ mode: 'jwt', jwksUrl: 'https://idp.example.com/.well-known/jwks.json', secret: undefined, algorithms: ['RS256', 'ES256'] });
  });

  it('treats empty and blank variables as unset, and trims values', () => {
    const config = loadConfig(
      { PERKAMO_SECRET_KEY: ` ${KEY}\n`, PERKAMO_SECRET_ARN: '', PERKAMO_SECRET_PARAMETER: '  ', PERKAMO_BASE_URL: '', LOG_LEVEL: ' ' },
      none,
    );
    expect(config.perkamo.secret).toEqual({ kind: 'env', value: KEY });
    expect(config.perkamo.baseUrl).toBe('https://api.perkamo.com');
    expect(config.logLevel).toBe('info');
  });

  it('reads every setting', () => {
    const config = loadConfig(
      {
        PERKAMO_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:perkamo/prod-AbCdEf',
        PERKAMO_SECRET_CACHE_TTL_SECONDS: '60',
        PERKAMO_BASE_URL: 'http://127.0.0.1:4010',
        PERKAMO_BROWSER_KEY: BROWSER,
        PERKAMO_STREAM_TOKEN_TTL_SECONDS: '1800',
        AUTH_TRUST_API_GATEWAY: 'TRUE',
        AUTH_USER_ID_CLAIM: 'custom:user_id',
        AUTH_CLOCK_TOLERANCE_SECONDS: '0',
        PERKAMO_DEADLINE_RESERVE_MS: '0',
        PERKAMO_CONCURRENCY: '32',
        CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000 ,https://APP.example.com:443/',
        LOG_LEVEL: 'DEBUG',
      },
      token,
    );
    expect(config.perkamo).toEqual({
      baseUrl: 'http://127.0.0.1:4010',
      secret: { kind: 'secrets-manager', arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:perkamo/prod-AbCdEf' },
      secretTtlMs: 60_000,
      browserKey: BROWSER,
      streamTokenTtlSeconds: 1800,
    });
    expect(config.auth).toEqual({
      mode: 'api-gateway',
      jwksUrl: undefined,
      secret: undefined,
      issuer: undefined,
      audience: undefined,
      userIdClaim: 'custom:user_id',
      algorithms: [],
      clockToleranceSeconds: 0,
    });
    expect(config.reserveMs).toBe(0);
    expect(config.concurrency).toBe(32);
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(config.logLevel).toBe('debug');
  });
});

describe('loadConfig: the server key', () => {
  it('requires one source and names all three', () => {
    const p = problemFor({}, 'PERKAMO_SECRET_KEY');
    expect(p).toContain('PERKAMO_SECRET_ARN');
    expect(p).toContain('PERKAMO_SECRET_PARAMETER');
  });

  it('refuses two or three sources without echoing the key', () => {
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_SECRET_ARN: 'perkamo/prod' }, 'PERKAMO_SECRET_KEY, PERKAMO_SECRET_ARN')).toContain('exactly one');
    expect(
      problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_SECRET_ARN: 'perkamo/prod', PERKAMO_SECRET_PARAMETER: '/p' }, 'PERKAMO_SECRET_KEY, PERKAMO_SECRET_ARN, PERKAMO_SECRET_PARAMETER'),
    ).toContain('exactly one');
  });

  it('refuses a browser key as the server key', () => {
    expect(problemFor({ PERKAMO_SECRET_KEY: BROWSER }, 'PERKAMO_SECRET_KEY')).toContain('browser key');
  });

  it.each([
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:perkamo-AbCdEf',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:perkamo/prod',
    'perkamo/prod/server-key',
  ])('accepts the Secrets Manager id %s', (arn) => {
    expect(loadConfig({ PERKAMO_SECRET_ARN: arn }, none).perkamo.secret).toEqual({ kind: 'secrets-manager', arn });
  });

  it.each([
    ['arn:aws:s3:::bucket', 'neither a Secrets Manager ARN'],
    ['arn:aws:ssm:us-east-1:123456789012:parameter/perkamo/key', 'PERKAMO_SECRET_PARAMETER instead'],
    ['has spaces in it', 'secret name'],
  ])('refuses PERKAMO_SECRET_ARN=%s', (arn, text) => {
    const p = problemFor({ PERKAMO_SECRET_ARN: arn }, 'PERKAMO_SECRET_ARN');
    expect(p).toContain(text);
    expect(p).toContain(JSON.stringify(arn));
  });

  it.each(['/perkamo/prod/secret-key', 'perkamo-key', '/perkamo/key:3', 'arn:aws:ssm:eu-west-1:123456789012:parameter/perkamo/key'])(
    'accepts the SSM parameter %s',
    (name) => {
      expect(loadConfig({ PERKAMO_SECRET_PARAMETER: name }, none).perkamo.secret).toEqual({ kind: 'ssm', name });
    },
  );

  it.each([
    ['arn:aws:secretsmanager:us-east-1:123456789012:secret:perkamo-AbCdEf', 'PERKAMO_SECRET_ARN instead'],
    ['/perkamo/has space', 'SSM parameter name'],
  ])('refuses PERKAMO_SECRET_PARAMETER=%s', (name, text) => {
    expect(problemFor({ PERKAMO_SECRET_PARAMETER: name }, 'PERKAMO_SECRET_PARAMETER')).toContain(text);
  });

  it('reads the cache TTL in seconds; 0 is allowed', () => {
    expect(loadConfig({ PERKAMO_SECRET_KEY: KEY, PERKAMO_SECRET_CACHE_TTL_SECONDS: '0' }, none).perkamo.secretTtlMs).toBe(0);
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_SECRET_CACHE_TTL_SECONDS: '-1' }, 'PERKAMO_SECRET_CACHE_TTL_SECONDS')).toContain('from 0 to 86400');
  });
});

describe('loadConfig: Perkamo settings', () => {
  it.each([
    ['not a url', 'is not a URL'],
    ['ftp://api.perkamo.com', 'not http or https'],
    ['https://user:pw@api.perkamo.com', 'credentials'],
    ['https://api.perkamo.com/?x=1', 'query'],
  ])('refuses PERKAMO_BASE_URL=%s', (url, text) => {
    const p = problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_BASE_URL: url }, 'PERKAMO_BASE_URL');
    expect(p).toContain(text);
    expect(p).not.toContain(':pw@');
  });

  it('requires PERKAMO_BROWSER_KEY only where tokens are minted', () => {
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, ...jwtEnv }, 'PERKAMO_BROWSER_KEY', token)).toContain('required');
    expect(loadConfig({ PERKAMO_SECRET_KEY: KEY, ...jwtEnv }, http).perkamo.browserKey).toBeUndefined();
  });

  it('refuses a server key as the browser key, without echoing it', () => {
    const p = problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_BROWSER_KEY: KEY, ...jwtEnv }, 'PERKAMO_BROWSER_KEY', token);
    expect(p).toContain('server key');
  });

  it.each(['0', '1801', '12.5', '1e2', '+5', 'soon'])('refuses PERKAMO_STREAM_TOKEN_TTL_SECONDS=%s', (value) => {
    expect(problemFor({ PERKAMO_SECRET_KEY: KEY, PERKAMO_STREAM_TOKEN_TTL_SECONDS: value }, 'PERKAMO_STREAM_TOKEN_TTL_SECONDS')).toContain('from 1 to 1800');
  });

  it('accepts the TTL bounds', () => {
    expect(loadConfig({ PERKAMO_SECRET_KEY: KEY, PERKAMO_STREAM_TOKEN_TTL_SECONDS: '1' }, none).perkamo.streamTokenTtlSeconds).toBe(1);
  });
});

describe('loadConfig: auth', () => {
  const base = { PERKAMO_SECRET_KEY: KEY };

  it('requires a JWKS URL or a secret, mentioning API Gateway', () => {
    const p = problemFor({ ...base, AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, 'AUTH_JWKS_URL', http);
    expect(p).toContain('AUTH_JWT_SECRET');
    expect(p).toContain('AUTH_TRUST_API_GATEWAY=true');
  });

  it('refuses both a JWKS URL and a secret', () => {
    expect(problemFor({ ...base, ...jwtEnv, AUTH_JWKS_URL: 'https://idp.example.com/jwks' }, 'AUTH_JWKS_URL, AUTH_JWT_SECRET', http)).toContain('exactly one');
  });

  it('requires issuer and audience, saying why', () => {
    const problems = problemsOf({ ...base, AUTH_JWT_SECRET: JWT_SECRET }, http);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^AUTH_ISSUER: required .*another issuer/);
    expect(problems[1]).toMatch(/^AUTH_AUDIENCE: required .*another app/);
  });

  it('does not require them behind API Gateway', () => {
    expect(loadConfig({ ...base, AUTH_TRUST_API_GATEWAY: '1' }, http).auth?.mode).toBe('api-gateway');
    expect(loadConfig({ ...base, AUTH_TRUST_API_GATEWAY: 'false', ...jwtEnv }, http).auth?.mode).toBe('jwt');
  });

  it('refuses unknown booleans instead of reading them as false', () => {
    expect(problemFor({ ...base, ...jwtEnv, AUTH_TRUST_API_GATEWAY: 'yes' }, 'AUTH_TRUST_API_GATEWAY', http)).toContain('"yes" is not a boolean');
  });

  it('refuses a short secret, saying why, without echoing it', () => {
    const p = problemFor({ ...base, ...jwtEnv, AUTH_JWT_SECRET: 'short-secret' }, 'AUTH_JWT_SECRET', http);
    expect(p).toContain('12 bytes');
    expect(p).toContain('at least 32 bytes');
    expect(p).toContain('guessed offline');
  });

  it('measures the secret in UTF-8 bytes', () => {
    const secret = 'é'.repeat(16); // 32 bytes
    expect(loadConfig({ ...base, ...jwtEnv, AUTH_JWT_SECRET: secret }, http).auth?.secret).toHaveLength(32);
  });

  it.each([
    ['http://idp.example.com/jwks', 'use https'],
    ['idp.example.com/jwks', 'not a URL'],
    ['https://idp.example.com/jwks#x', 'fragment'],
  ])('refuses AUTH_JWKS_URL=%s', (url, text) => {
    expect(problemFor({ ...base, AUTH_JWKS_URL: url, AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, 'AUTH_JWKS_URL', http)).toContain(text);
  });

  it.each(['http://localhost:8080/jwks', 'http://127.0.0.1/jwks', 'https://idp.example.com/jwks?tenant=a'])('accepts AUTH_JWKS_URL=%s', (url) => {
    expect(loadConfig({ ...base, AUTH_JWKS_URL: url, AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, http).auth?.jwksUrl).toBe(url);
  });

  it('reads the algorithm list, normalizing names', () => {
    const jwks = { ...base, AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' };
    expect(loadConfig({ ...jwks, AUTH_JWT_ALGORITHMS: 'rs256, eddsa,PS256,RS256' }, http).auth?.algorithms).toEqual(['RS256', 'EdDSA', 'PS256']);
    expect(loadConfig({ ...base, ...jwtEnv, AUTH_JWT_ALGORITHMS: 'HS512' }, http).auth?.algorithms).toEqual(['HS512']);
  });

  it('refuses none, unknown names and key confusion', () => {
    const jwks = { ...base, AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' };
    const p1 = problemsOf({ ...jwks, AUTH_JWT_ALGORITHMS: 'RS256,none,HS256,XY1' }, http);
    expect(p1).toHaveLength(3);
    expect(p1[0]).toContain('"none" is refused');
    expect(p1[1]).toContain('HS256 is refused with AUTH_JWKS_URL');
    expect(p1[1]).toContain('key confusion');
    expect(p1[2]).toContain('"XY1" is not a JWS algorithm');
    expect(problemFor({ ...base, ...jwtEnv, AUTH_JWT_ALGORITHMS: 'RS256' }, 'AUTH_JWT_ALGORITHMS', http)).toContain('RS256 is refused with AUTH_JWT_SECRET');
    expect(problemFor({ ...base, ...jwtEnv, AUTH_JWT_ALGORITHMS: ' , ' }, 'AUTH_JWT_ALGORITHMS', http)).toContain('lists no algorithm');
  });

  it('reads the user id claim and clock tolerance', () => {
    const { auth } = loadConfig({ ...base, ...jwtEnv, AUTH_USER_ID_CLAIM: 'uid', AUTH_CLOCK_TOLERANCE_SECONDS: '30' }, http);
    expect(auth).toMatchObject({ userIdClaim: 'uid', clockToleranceSeconds: 30 });
    expect(problemFor({ ...base, ...jwtEnv, AUTH_CLOCK_TOLERANCE_SECONDS: '-5' }, 'AUTH_CLOCK_TOLERANCE_SECONDS', http)).toContain('from 0 to 300');
  });
});

describe('loadConfig: runtime settings', () => {
  const base = { PERKAMO_SECRET_KEY: KEY };

  it.each([
    ['PERKAMO_DEADLINE_RESERVE_MS', '-1', 'from 0 to 900000'],
    ['PERKAMO_DEADLINE_RESERVE_MS', '250ms', 'from 0 to 900000'],
    ['PERKAMO_CONCURRENCY', '0', 'from 1 to 32'],
    ['PERKAMO_CONCURRENCY', '33', 'from 1 to 32'],
  ])('refuses %s=%s', (name, value, text) => {
    expect(problemFor({ ...base, [name]: value }, name)).toContain(text);
  });

  it('refuses a lone * for CORS, saying why', () => {
    const p = problemFor({ ...base, CORS_ALLOWED_ORIGINS: '*' }, 'CORS_ALLOWED_ORIGINS');
    expect(p).toContain('"*" is refused');
    expect(p).toContain('any website');
  });

  it.each([
    ['https://*.example.com', 'wildcard'],
    ['https://app.example.com/path', 'not an origin'],
    ['https://app.example.com?x', 'not an origin'],
    ['app.example.com', 'not an origin'],
    ['null', 'not an origin'],
    ['ftp://app.example.com', 'not an origin'],
  ])('refuses the CORS origin %s', (origin, text) => {
    expect(problemFor({ ...base, CORS_ALLOWED_ORIGINS: `https://ok.example.com,${origin}` }, 'CORS_ALLOWED_ORIGINS')).toContain(text);
  });

  it('reads LOG_LEVEL case-insensitively, every level Lambda knows (TRACE and FATAL too), and refuses others', () => {
    expect(loadConfig({ ...base, LOG_LEVEL: 'Warn' }, none).logLevel).toBe('warn');
    expect(loadConfig({ ...base, LOG_LEVEL: 'TRACE' }, none).logLevel).toBe('trace');
    expect(loadConfig({ ...base, LOG_LEVEL: 'FATAL' }, none).logLevel).toBe('fatal');
    expect(problemFor({ ...base, LOG_LEVEL: 'verbose' }, 'LOG_LEVEL')).toContain('trace, debug, info, warn, error, fatal');
  });

  it("AWS_LAMBDA_LOG_LEVEL (Lambda's applicationLogLevel) wins over LOG_LEVEL, and names itself when wrong", () => {
    expect(loadConfig({ ...base, LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_LEVEL: 'WARN' }, none).logLevel).toBe('warn');
    expect(loadConfig({ ...base, LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_LEVEL: '' }, none).logLevel).toBe('debug');
    expect(problemFor({ ...base, AWS_LAMBDA_LOG_LEVEL: 'LOUD' }, 'AWS_LAMBDA_LOG_LEVEL')).toContain('is not a log level');
  });
});

describe('loadConfig: the error', () => {
  it('reports every problem at once, one per line, and never a secret value', () => {
    let error: unknown;
    try {
      loadConfig(
        {
          PERKAMO_SECRET_KEY: KEY,
          PERKAMO_SECRET_PARAMETER: '/perkamo/key',
          PERKAMO_BASE_URL: 'nope',
          PERKAMO_BROWSER_KEY: KEY,
          AUTH_JWT_SECRET: 'short-secret',
          AUTH_TRUST_API_GATEWAY: 'maybe',
          PERKAMO_CONCURRENCY: '100',
          CORS_ALLOWED_ORIGINS: '*',
          LOG_LEVEL: 'loud',
        },
        token,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LambdaConfigurationError);
    expect(error).toBeInstanceOf(PerkamoConfigurationError);
    const e = error as LambdaConfigurationError;
    expect(e.name).toBe('LambdaConfigurationError');
    expect(e.problems.map((p) => p.split(':')[0])).toEqual([
      'PERKAMO_SECRET_KEY, PERKAMO_SECRET_PARAMETER',
      'PERKAMO_BASE_URL',
      'PERKAMO_BROWSER_KEY',
      'AUTH_TRUST_API_GATEWAY',
      'AUTH_JWT_SECRET',
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
      'PERKAMO_CONCURRENCY',
      'CORS_ALLOWED_ORIGINS',
      'LOG_LEVEL',
    ]);
    expect(e.message.split('\n')[0]).toBe('Invalid function configuration (10 problems):');
    expect(e.message.split('\n')).toHaveLength(11);
    expect(e.message).not.toContain(KEY);
    expect(e.message).not.toContain('short-secret');
  });
});

describe('PERKAMO_TRACE_USER_IDS', () => {
  it.each(['keep', 'hash', 'DROP'])('takes %s', (value) => {
    const config = loadConfig({ PERKAMO_SECRET_KEY: 'sk_test_x', PERKAMO_TRACE_USER_IDS: value }, { http: false, browserKey: false });
    expect(config.traceUserIds).toBe(value.toLowerCase());
  });

  it('refuses anything else, naming the variable and the choices', () => {
    expect(() => loadConfig({ PERKAMO_SECRET_KEY: 'sk_test_x', PERKAMO_TRACE_USER_IDS: 'mask' }, { http: false, browserKey: false })).toThrow(
      /PERKAMO_TRACE_USER_IDS: "mask" is not a policy; set keep, hash or drop/,
    );
  });
});
