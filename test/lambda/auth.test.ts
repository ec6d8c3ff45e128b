import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { generateKeyPairSync, KeyObject, sign as nodeSign } from 'node:crypto';
import { CompactSign, exportJWK, FlattenedSign, exportSPKI, importJWK, SignJWT, type CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';
import type { AuthConfig } from '../../src/lambda/config/index.ts';
import { HttpError } from '../../src/lambda/errors.ts';
import type { HttpRequest, PerkamoInternal, Principal, Trigger } from '../../src/lambda/request.ts';
import { auth, type AuthOptions } from '../../src/lambda/middleware/auth.ts';
import { asymmetricAlgorithms } from '../../src/lambda/jws-algorithms.ts';
import {
  AUDIENCE,
  b64url,
  claims,
  handmadeToken,
  HS_SECRET,
  ISSUER,
  rsaKey,
  signHs256,
  signingKey,
  signJwt,
  signRs256,
  startIssuer,
  type SigningKey,
} from './helpers/jwt-issuer.ts';

let issuer: Awaited<ReturnType<typeof startIssuer>>;
beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(() => issuer.close());
afterEach(() => {
  vi.useRealTimers();
});

const jwksConfig = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  mode: 'jwt',
  jwksUrl: issuer.jwksUrl,
  secret: undefined,
  issuer: ISSUER,
  audience: AUDIENCE,
  userIdClaim: 'sub',
  algorithms: ['RS256'],
  clockToleranceSeconds: 5,
  ...overrides,
});
const secretConfig = (overrides: Partial<AuthConfig> = {}): AuthConfig =>
  jwksConfig({ jwksUrl: undefined, secret: HS_SECRET, algorithms: ['HS256'], ...overrides });
const gatewayConfig = (overrides: Partial<AuthConfig> = {}): AuthConfig =>
  jwksConfig({ mode: 'api-gateway', jwksUrl: undefined, ...overrides });

interface Answer {
  statusCode: number;
  body?: { error: { code: string; message: string } };
  headers?: Record<string, string>;
  principal: Principal | undefined;
}

/** An HTTP request as the trigger middleware would have normalized it. */
function httpRequest(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'POST', path: '/events', headers: {}, body: '{}', authorizerClaims: undefined, ...overrides };
}

const context = { awsRequestId: 'req-1', functionName: 'perkamo-test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/**
 * The real middy pipeline: a fixture middleware plays the trigger middleware (writes `trigger` and
 * `http`), then auth, then a handler that answers with the principal; an onError turns HttpErrors
 * into `{ statusCode, body }` as the errors middleware would.
 */
function pipeline(authOptions: AuthOptions) {
  let internal: PerkamoInternal = {};
  const handler = middy<unknown, Answer, Error, Context, PerkamoInternal>(async (_event: unknown, _context: Context) => ({
    statusCode: 200,
    principal: internal.principal,
  }));
  let next: { trigger: Trigger; http: HttpRequest | undefined } = { trigger: 'http', http: httpRequest() };
  handler
    .before(function fixtureTrigger(request) {
      internal = request.internal;
      request.internal.source = { trigger: next.trigger };
      if (next.http) request.internal.http = next.http;
    })
    .use(auth(authOptions))
    .onError(function fixtureErrors(request) {
      const error = request.error;
      if (error instanceof HttpError) {
        request.response = { statusCode: error.status, body: error.toBody(), headers: error.headers, principal: request.internal.principal };
      }
    });
  return {
    /** Invokes with `authorization: <header>` (none when undefined) on an HTTP trigger. */
    call(header: string | undefined, extra: Partial<HttpRequest> = {}): Promise<Answer> {
      next = { trigger: 'http', http: httpRequest({ headers: header === undefined ? {} : { authorization: header }, ...extra }) };
      return handler({}, context);
    },
    invoke(trigger: Trigger): Promise<Answer> {
      next = { trigger, http: undefined };
      return handler({}, context);
    },
  };
}

const bearer = (token: string) => `Bearer ${token}`;

describe('auth attacks: every one answers 401/403 and leaves no principal', () => {
  interface Attack {
    name: string;
    config: () => AuthConfig;
    scope?: string;
    /** Returns the Authorization header, and the strings the answer must not contain. */
    header: () => Promise<{ header: string | undefined; secrets?: string[] }>;
    status: 401 | 403;
    message: RegExp;
  }
  const rs = async (overrides: Record<string, unknown> = {}) => {
    const token = await signRs256(issuer.keys[0]!, claims(overrides));
    return { header: bearer(token), secrets: [token, token.split('.')[2]!] };
  };
  const hs = async (overrides: Record<string, unknown> = {}) => {
    const token = await signHs256(HS_SECRET, claims(overrides));
    return { header: bearer(token), secrets: [token, token.split('.')[2]!] };
  };
  const pemSecret = async () => new TextEncoder().encode(await exportSPKI((await importJWK(issuer.keys[0]!.publicJwk, 'RS256')) as CryptoKey));

  const attacks: Attack[] = [
    { name: 'missing Authorization header', config: jwksConfig, header: async () => ({ header: undefined }), status: 401, message: /missing Authorization header: send Authorization: Bearer <JWT>/ },
    { name: 'empty Authorization header', config: jwksConfig, header: async () => ({ header: '   ' }), status: 401, message: /missing Authorization header/ },
    { name: 'Basic credentials', config: jwksConfig, header: async () => ({ header: `Basic ${b64url('alice:hunter2')}`, secrets: [b64url('alice:hunter2'), 'hunter2'] }), status: 401, message: /must use the Bearer scheme/ },
    { name: '"Bearer" with no token', config: jwksConfig, header: async () => ({ header: 'Bearer' }), status: 401, message: /not a JWT/ },
    { name: '"Bearer" with garbage', config: jwksConfig, header: async () => ({ header: 'Bearer not-a-jwt!!', secrets: ['not-a-jwt!!'] }), status: 401, message: /not a JWT/ },
    { name: '"Bearer" with three dotted garbage parts', config: jwksConfig, header: async () => ({ header: 'Bearer aaaa.bbbb.cccc', secrets: ['aaaa.bbbb.cccc'] }), status: 401, message: /not a well-formed JWT/ },
    { name: 'two tokens in one header', config: jwksConfig, header: async () => { const { secrets: [t] = [] } = await rs(); return { header: `Bearer ${t}, Bearer ${t}`, secrets: [t!] }; }, status: 401, message: /not a JWT/ },
    {
      name: 'alg: none (unsigned token)',
      config: jwksConfig,
      header: async () => { const t = handmadeToken({ alg: 'none', typ: 'JWT' }, claims()); return { header: bearer(t), secrets: [t] }; },
      status: 401,
      message: /signing algorithm is not accepted \(accepted: RS256\)/,
    },
    {
      name: 'alg: none against an HS256 config',
      config: secretConfig,
      header: async () => { const t = handmadeToken({ alg: 'none' }, claims()); return { header: bearer(t), secrets: [t] }; },
      status: 401,
      message: /signing algorithm is not accepted \(accepted: HS256\)/,
    },
    {
      name: 'key confusion: HS256 signed with the RSA public key PEM, JWKS config',
      config: jwksConfig,
      header: async () => { const t = await signHs256(await pemSecret(), claims()); return { header: bearer(t), secrets: [t] }; },
      status: 401,
      message: /signing algorithm is not accepted/,
    },
    {
      name: 'key confusion: HS256 signed with the RSA public key PEM, JWKS config that lists HS256 by mistake',
      config: () => jwksConfig({ algorithms: ['RS256', 'HS256'] }),
      header: async () => { const t = await signHs256(await pemSecret(), claims()); return { header: bearer(t), secrets: [t] }; },
      status: 401,
      message: /signing algorithm is not accepted \(accepted: RS256\)/,
    },
    {
      name: 'key confusion: HS256 signed with the public JWK JSON, JWKS config',
      config: jwksConfig,
      header: async () => {
        const t = await signHs256(new TextEncoder().encode(JSON.stringify(issuer.keys[0]!.publicJwk)), claims({}));
        return { header: bearer(t), secrets: [t] };
      },
      status: 401,
      message: /signing algorithm is not accepted/,
    },
    { name: 'RS256 token against an HS256 config', config: secretConfig, header: () => rs(), status: 401, message: /signing algorithm is not accepted \(accepted: HS256\)/ },
    { name: 'HS256 token signed with another secret', config: secretConfig, header: async () => { const t = await signHs256(new TextEncoder().encode('another-secret-another-secret-xx'), claims()); return { header: bearer(t), secrets: [t] }; }, status: 401, message: /signature does not verify/ },
    { name: 'expired (JWKS)', config: jwksConfig, header: () => rs({ exp: Math.floor(Date.now() / 1000) - 3600 }), status: 401, message: /has expired \(exp\)/ },
    { name: 'expired (secret)', config: secretConfig, header: () => hs({ exp: Math.floor(Date.now() / 1000) - 60 }), status: 401, message: /has expired \(exp\)/ },
    { name: 'expired beyond the clock tolerance', config: () => jwksConfig({ clockToleranceSeconds: 5 }), header: () => rs({ exp: Math.floor(Date.now() / 1000) - 10 }), status: 401, message: /has expired/ },
    { name: 'nbf in the future', config: jwksConfig, header: () => rs({ nbf: Math.floor(Date.now() / 1000) + 3600 }), status: 401, message: /not valid yet \(nbf\)/ },
    { name: 'no exp (a token that never expires)', config: jwksConfig, header: () => rs({ exp: undefined }), status: 401, message: /no "exp" claim \(tokens must expire\)/ },
    { name: 'wrong issuer', config: jwksConfig, header: async () => ({ ...(await rs({ iss: 'https://evil.example/' })), secrets: ['evil.example'] }), status: 401, message: /another issuer \(iss\)/ },
    { name: 'no issuer', config: jwksConfig, header: () => rs({ iss: undefined }), status: 401, message: /no "iss" claim/ },
    { name: 'wrong audience', config: jwksConfig, header: async () => ({ ...(await rs({ aud: 'some-other-api' })), secrets: ['some-other-api'] }), status: 401, message: /another audience \(aud\)/ },
    { name: 'wrong audience (secret)', config: secretConfig, header: () => hs({ aud: ['x', 'y'] }), status: 401, message: /another audience \(aud\)/ },
    {
      name: 'tampered payload, original signature kept',
      config: jwksConfig,
      header: async () => {
        const [h, , s] = (await signRs256(issuer.keys[0]!, claims({ sub: 'alice' }))).split('.');
        const t = `${h}.${b64url(JSON.stringify(claims({ sub: 'mallory' })))}.${s}`;
        return { header: bearer(t), secrets: [t, s!, 'mallory'] };
      },
      status: 401,
      message: /signature does not verify/,
    },
    {
      name: 'tampered payload (secret)',
      config: secretConfig,
      header: async () => {
        const [h, , s] = (await signHs256(HS_SECRET, claims({ scope: 'perkamo:identify' }))).split('.');
        const t = `${h}.${b64url(JSON.stringify(claims({ scope: 'perkamo:emit' })))}.${s}`;
        return { header: bearer(t), secrets: [t, s!] };
      },
      scope: 'perkamo:emit',
      status: 401,
      message: /signature does not verify/,
    },
    {
      name: 'unknown kid (a key the JWKS does not hold)',
      config: jwksConfig,
      header: async () => { const t = await signRs256(await rsaKey('attacker-key'), claims()); return { header: bearer(t), secrets: [t, 'attacker-key'] }; },
      status: 401,
      message: /signing key \(kid\) that the key set does not hold/,
    },
    {
      name: 'right kid, attacker key',
      config: jwksConfig,
      header: async () => { const t = await signRs256({ ...(await rsaKey('k1')) }, claims()); return { header: bearer(t), secrets: [t] }; },
      status: 401,
      message: /signature does not verify/,
    },
    {
      name: 'oversized token (over 8 KiB, validly signed)',
      config: jwksConfig,
      header: async () => rs({ padding: 'x'.repeat(8 * 1024) }),
      status: 401,
      message: /larger than 8 KiB/,
    },
    { name: 'missing user claim', config: jwksConfig, header: () => rs({ sub: undefined }), status: 401, message: /no usable "sub" claim/ },
    { name: 'empty user claim', config: jwksConfig, header: () => rs({ sub: '' }), status: 401, message: /no usable "sub" claim/ },
    { name: 'non-string user claim', config: jwksConfig, header: () => rs({ sub: 12345 }), status: 401, message: /no usable "sub" claim/ },
    { name: 'user claim over 256 bytes', config: jwksConfig, header: async () => ({ ...(await rs({ sub: 'é'.repeat(129) })), secrets: ['é'.repeat(129)] }), status: 401, message: /no usable "sub" claim .*at most 256 bytes/ },
    { name: 'custom user claim absent (AUTH_USER_ID_CLAIM=user_id)', config: () => jwksConfig({ userIdClaim: 'user_id' }), header: () => rs(), status: 401, message: /no usable "user_id" claim/ },
    { name: 'missing scope', config: jwksConfig, scope: 'perkamo:emit', header: () => rs({ scope: 'perkamo:identify' }), status: 403, message: /lacks the scope "perkamo:emit"/ },
    { name: 'no scopes at all', config: secretConfig, scope: 'perkamo:identify', header: () => hs({ scope: undefined }), status: 403, message: /lacks the scope "perkamo:identify"/ },
    { name: 'scope prefix is not the scope', config: jwksConfig, scope: 'perkamo:emit', header: () => rs({ scope: 'perkamo:emitter perkamo:emi', scp: ['perkamo:emit:all'] }), status: 403, message: /lacks the scope "perkamo:emit"/ },
  ];

  it.each(attacks.map((attack) => [`${attack.name} → ${attack.status}`, attack] as const))('%s', async (_title, { config, scope, header, status, message }) => {
    const { header: authorization, secrets = [] } = await header();
    const answer = await pipeline({ config: config(), ...(scope !== undefined && { scope }) }).call(authorization);
    expect(answer.statusCode).toBe(status);
    expect(answer.principal).toBeUndefined();
    expect(answer.body?.error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
    expect(answer.body?.error.message).toMatch(message);
    if (status === 401) expect(answer.headers?.['www-authenticate']).toBe('Bearer');
    const text = JSON.stringify(answer);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('happy paths', () => {
  it.each([
    ['HS256 secret', secretConfig, () => signHs256(HS_SECRET, claims())],
    ['JWKS RS256', jwksConfig, () => signRs256(issuer.keys[0]!, claims())],
  ])('%s → 200 with the principal', async (_name, config, mint) => {
    const answer = await pipeline({ config: config(), scope: 'perkamo:emit' }).call(bearer(await mint()));
    expect(answer).toEqual({ statusCode: 200, principal: { userId: 'alice', scopes: ['perkamo:emit', 'perkamo:identify'] } });
  });

  it('accepts the scheme in any case and surrounding spaces', async () => {
    const token = await signHs256(HS_SECRET, claims());
    const answer = await pipeline({ config: secretConfig() }).call(`  bearer   ${token} `);
    expect(answer.principal?.userId).toBe('alice');
  });

  it('with no required scope (stream-token), any valid user passes, even without scopes', async () => {
    const token = await signRs256(issuer.keys[0]!, claims({ scope: undefined }));
    const answer = await pipeline({ config: jwksConfig() }).call(bearer(token));
    expect(answer).toEqual({ statusCode: 200, principal: { userId: 'alice', scopes: [] } });
  });

  it.each([
    ['user_id', { user_id: 'u-42' }, 'u-42'],
    ['https://example.com/uid', { 'https://example.com/uid': 'u-43' }, 'u-43'],
    ['cognito:username', { 'cognito:username': 'carol' }, 'carol'],
  ])('custom AUTH_USER_ID_CLAIM=%s', async (claim, extra, userId) => {
    const token = await signRs256(issuer.keys[0]!, claims(extra));
    const answer = await pipeline({ config: jwksConfig({ userIdClaim: claim }) }).call(bearer(token));
    expect(answer.principal?.userId).toBe(userId);
  });

  it('accepts a user id of exactly 256 bytes', async () => {
    const sub = 'é'.repeat(128);
    const answer = await pipeline({ config: secretConfig() }).call(bearer(await signHs256(HS_SECRET, claims({ sub }))));
    expect(answer.principal?.userId).toBe(sub);
  });

  it('tolerates clock skew within clockToleranceSeconds', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signHs256(HS_SECRET, claims({ exp: now - 2, nbf: now + 2 }));
    const answer = await pipeline({ config: secretConfig({ clockToleranceSeconds: 5 }) }).call(bearer(token));
    expect(answer.statusCode).toBe(200);
  });

  it('checks exp and nbf against the injected clock', async () => {
    const token = await signHs256(HS_SECRET, claims({}, 1_000_000));
    const atIssue = await pipeline({ config: secretConfig(), now: () => 1_000_100_000 }).call(bearer(token));
    expect(atIssue.statusCode).toBe(200);
    const later = await pipeline({ config: secretConfig(), now: () => 1_000_400_000 }).call(bearer(token));
    expect(later.statusCode).toBe(401);
  });
});

describe('scopes: `scope` string, `scp` array or string, API Gateway "[a b]" form', () => {
  it.each([
    ['scope string', { scope: 'perkamo:emit perkamo:identify' }, ['perkamo:emit', 'perkamo:identify']],
    ['scp array', { scope: undefined, scp: ['perkamo:emit', 'perkamo:identify'] }, ['perkamo:emit', 'perkamo:identify']],
    ['scp string', { scope: undefined, scp: 'perkamo:identify perkamo:emit' }, ['perkamo:identify', 'perkamo:emit']],
    ['scp flattened by API Gateway', { scope: undefined, scp: '[perkamo:emit perkamo:identify]' }, ['perkamo:emit', 'perkamo:identify']],
    ['scope and scp together, deduplicated', { scope: 'perkamo:emit', scp: ['perkamo:emit', 'read'] }, ['perkamo:emit', 'read']],
    ['scp array with non-strings ignored', { scope: undefined, scp: ['perkamo:emit', 7, null] }, ['perkamo:emit']],
  ])('%s', async (_name, extra, scopes) => {
    const token = await signRs256(issuer.keys[0]!, claims(extra));
    const answer = await pipeline({ config: jwksConfig(), scope: 'perkamo:emit' }).call(bearer(token));
    expect(answer).toEqual({ statusCode: 200, principal: { userId: 'alice', scopes } });
  });
});

describe('api-gateway mode: trusts the JWT authorizer claims', () => {
  it.each([
    ['scope string', { sub: 'bob', scope: 'perkamo:emit' }, ['perkamo:emit']],
    ['flattened scp "[a b]"', { sub: 'bob', scp: '[perkamo:emit perkamo:identify]' }, ['perkamo:emit', 'perkamo:identify']],
    ['scp array (Lambda authorizer context)', { sub: 'bob', scp: ['perkamo:emit'] }, ['perkamo:emit']],
  ])('with claims (%s) → 200 without any Authorization header', async (_name, authorizerClaims, scopes) => {
    const answer = await pipeline({ config: gatewayConfig(), scope: 'perkamo:emit' }).call(undefined, { authorizerClaims });
    expect(answer).toEqual({ statusCode: 200, principal: { userId: 'bob', scopes } });
  });

  it.each([
    ['no claims', 401, undefined, /no authorizer claims/],
    ['empty claims', 401, {}, /no authorizer claims/],
    ['claims without the user claim', 401, { scope: 'perkamo:emit' }, /no usable "sub" claim/],
    ['claims without the scope', 403, { sub: 'bob', scope: 'perkamo:identify' }, /lacks the scope "perkamo:emit"/],
  ] as const)('%s → %i', async (_name, status, authorizerClaims, message) => {
    const answer = await pipeline({ config: gatewayConfig(), scope: 'perkamo:emit' }).call(undefined, {
      authorizerClaims: authorizerClaims as Record<string, unknown> | undefined,
    });
    expect(answer.statusCode).toBe(status);
    expect(answer.body?.error.message).toMatch(message);
    expect(answer.principal).toBeUndefined();
  });

  it('ignores a bearer token: only the authorizer decides', async () => {
    const token = await signHs256(HS_SECRET, claims());
    const answer = await pipeline({ config: gatewayConfig() }).call(bearer(token));
    expect(answer.statusCode).toBe(401);
  });
});

describe('non-HTTP triggers are authorized by IAM', () => {
  it.each(['sqs', 'eventbridge', 'direct'] as const)('%s: skipped, no principal, no JWKS fetch', async (trigger) => {
    issuer.server.reset();
    for (const config of [jwksConfig(), secretConfig(), gatewayConfig()]) {
      const answer = await pipeline({ config, scope: 'perkamo:emit' }).invoke(trigger);
      expect(answer).toEqual({ statusCode: 200, principal: undefined });
    }
    expect(issuer.fetches()).toBe(0);
  });
});

describe('JWKS over loopback HTTP', () => {
  it('fetches the key set once and reuses it across invocations', async () => {
    issuer.server.reset();
    const run = pipeline({ config: jwksConfig() });
    for (const sub of ['a', 'b', 'c']) {
      const answer = await run.call(bearer(await signRs256(issuer.keys[0]!, claims({ sub }))));
      expect(answer.principal?.userId).toBe(sub);
    }
    expect(issuer.fetches()).toBe(1);
  });

  it('refetches on an unknown kid only after the cooldown: rotation works, kid spraying does not hammer the IdP', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    issuer.server.reset();
    const run = pipeline({ config: jwksConfig() });
    expect((await run.call(bearer(await signRs256(issuer.keys[0]!, claims())))).statusCode).toBe(200);
    expect(issuer.fetches()).toBe(1);

    // The IdP rotates in a new key.
    const rotated = await rsaKey('k2');
    issuer.keys.push(rotated);
    try {
      const token = await signRs256(rotated, claims());
      // Within the 30 s cooldown, an unknown kid does not refetch.
      for (let i = 0; i < 5; i++) expect((await run.call(bearer(token))).statusCode).toBe(401);
      expect(issuer.fetches()).toBe(1);

      vi.setSystemTime(Date.now() + 31_000);
      const answer = await run.call(bearer(token));
      expect(answer.statusCode).toBe(200);
      expect(issuer.fetches()).toBe(2);
      // The old key still verifies from the refreshed cache.
      expect((await run.call(bearer(await signRs256(issuer.keys[0]!, claims())))).statusCode).toBe(200);
      expect(issuer.fetches()).toBe(2);
    } finally {
      issuer.keys.pop();
    }
  });

  it('tries each key when the token has no kid and several keys match', async () => {
    const run = pipeline({ config: jwksConfig({ jwksUrl: issuer.kidlessJwksUrl }) });
    for (const key of issuer.kidless) {
      const answer = await run.call(bearer(await signRs256(key, claims())));
      expect(answer.statusCode).toBe(200);
    }
    const stranger = await signRs256(await rsaKey(undefined), claims());
    const refused = await run.call(bearer(stranger));
    expect(refused.statusCode).toBe(401);
    expect(refused.body?.error.message).toMatch(/signature does not verify/);
  });

  it.each([
    ['the JWKS answers 500', () => issuer.server.enqueue((_req, res) => { res.writeHead(500).end(); })],
    ['the JWKS answers malformed JSON', () => issuer.server.enqueue((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":'); })],
    ['the JWKS is not a key set', () => issuer.server.enqueue((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"no"}'); })],
  ])('%s → 503 auth_unavailable (the token may be fine), not 401', async (_name, arrange) => {
    issuer.server.reset();
    arrange();
    const token = await signRs256(issuer.keys[0]!, claims());
    const answer = await pipeline({ config: jwksConfig() }).call(bearer(token));
    expect(answer.statusCode).toBe(503);
    expect(answer.body?.error.code).toBe('auth_unavailable');
    expect(answer.headers?.['retry-after']).toBe('5');
    expect(JSON.stringify(answer)).not.toContain(token);
  });

  it('a JWKS answer over 256 KiB (the right keys, padded) is not read to the end → 503 (issue 13, defect 6)', async () => {
    const padded = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ keys: issuer.keys.map((k) => k.publicJwk) }));
      res.end(' '.repeat(1024 * 1024));
    });
    try {
      const token = await signRs256(issuer.keys[0]!, claims());
      const answer = await pipeline({ config: jwksConfig({ jwksUrl: `${padded.url}/jwks` }) }).call(bearer(token));
      expect(answer.statusCode).toBe(503);
      expect(answer.body?.error.code).toBe('auth_unavailable');
      expect(padded.requests).toHaveLength(1);
    } finally {
      await padded.close();
    }
  });

  it('an unreachable JWKS → 503', async () => {
    const token = await signRs256(issuer.keys[0]!, claims());
    const answer = await pipeline({ config: jwksConfig({ jwksUrl: 'http://127.0.0.1:1/jwks' }) }).call(bearer(token));
    expect(answer.statusCode).toBe(503);
  });
});

describe('verified with node:crypto: every check jose used to make', () => {
  const enc = new TextEncoder();
  let keys: Record<string, SigningKey>;
  /** Every asymmetric algorithm's key, by kid (`k-<alg>`); and the same keys without kids. */
  let allUrl: string;
  let kidlessUrl: string;
  let served = 0;
  /** Serves `jwks` (any JSON) from the issuer; returns its URL. */
  const serve = (jwks: unknown): string => {
    const name = `set-${++served}`;
    issuer.sets[name] = jwks;
    return issuer.setUrl(name);
  };
  const setOf = (...members: SigningKey[]) => ({ keys: members.map((k) => k.publicJwk) });
  const withoutKid = (key: SigningKey): SigningKey => ({ ...key, kid: undefined, publicJwk: { ...key.publicJwk, kid: undefined } });
  const callWith = (jwksUrl: string, token: string, algorithms: string[] = [...asymmetricAlgorithms]) =>
    pipeline({ config: jwksConfig({ jwksUrl, algorithms }) }).call(bearer(token));
  const signature = (token: string) => Buffer.from(token.split('.')[2]!, 'base64url');
  const withSignature = (token: string, bytes: Uint8Array) => `${token.split('.').slice(0, 2).join('.')}.${b64url(bytes)}`;
  const signingInput = (header: Record<string, unknown>, payload: Record<string, unknown> = claims()) => `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;

  function expectRefused(answer: Answer, message: RegExp, token?: string) {
    expect(answer.statusCode).toBe(401);
    expect(answer.principal).toBeUndefined();
    expect(answer.body?.error.code).toBe('unauthorized');
    expect(answer.body?.error.message).toMatch(message);
    if (token !== undefined) {
      const text = JSON.stringify(answer);
      for (const secret of [token, token.split('.')[2]!].filter((s) => s.length > 0)) expect(text).not.toContain(secret);
    }
  }

  beforeAll(async () => {
    keys = Object.fromEntries(await Promise.all(asymmetricAlgorithms.map(async (alg) => [alg, await signingKey(alg, `k-${alg}`)] as const)));
    allUrl = serve(setOf(...Object.values(keys)));
    kidlessUrl = serve(setOf(...Object.values(keys).map(withoutKid)));
  });

  describe('tokens signed by jose verify, for every algorithm', () => {
    it.each(asymmetricAlgorithms)('%s, the key named by kid', async (alg) => {
      const answer = await callWith(allUrl, await signJwt(keys[alg]!, claims()), [alg]);
      expect(answer).toEqual({ statusCode: 200, principal: { userId: 'alice', scopes: ['perkamo:emit', 'perkamo:identify'] } });
    });

    it.each(asymmetricAlgorithms)('%s, no kid: the one key whose type, curve and alg fit', async (alg) => {
      const answer = await callWith(kidlessUrl, await signJwt(withoutKid(keys[alg]!), claims()));
      expect(answer.statusCode).toBe(200);
    });

    it.each(['HS384', 'HS512'])('%s with AUTH_JWT_SECRET', async (alg) => {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg }).sign(HS_SECRET);
      expect((await pipeline({ config: secretConfig({ algorithms: [alg] }) }).call(bearer(token))).statusCode).toBe(200);
      expectRefused(await pipeline({ config: secretConfig() }).call(bearer(token)), /signing algorithm is not accepted \(accepted: HS256\)/, token);
    });

    it('a JWK whose key_ops include verify, an aud list holding ours', async () => {
      const key = await signingKey('ES256', 'ops', { key_ops: ['verify'] });
      const answer = await callWith(serve(setOf(key)), await signJwt(key, claims({ aud: ['another-api', AUDIENCE] })));
      expect(answer.statusCode).toBe(200);
    });

    it('no kid, and the only other key of the type is for encryption', async () => {
      const sig = withoutKid(await signingKey('RS256', undefined));
      const encryption = withoutKid(await signingKey('RS256', undefined, { use: 'enc', alg: undefined }));
      expect((await callWith(serve(setOf(encryption, sig)), await signJwt(sig, claims()))).statusCode).toBe(200);
    });
  });

  // Each answers 401 with the message jose's error used to map to.
  type Refusal = [string, () => Promise<{ token: string; url?: string; algorithms?: string[] }>, RegExp];
  /** An RS256 token signed by the one key of its set, which the JWK's own members (`jwk`) forbid to verify it. */
  const unusableKey = (name: string, kid: string, jwk: Record<string, unknown>): Refusal => [
    name,
    async () => {
      const key = await signingKey('RS256', kid, jwk);
      return { token: await signJwt(key, claims()), url: serve(setOf(key)) };
    },
    /key set does not hold/,
  ];
  const refusals: Refusal[] = [
    [
      'crit names an extension this verifier does not understand',
      async () => ({
        token: await new SignJWT(claims())
          .setProtectedHeader({ alg: 'RS256', kid: 'k-RS256', crit: ['urn:example:policy'], 'urn:example:policy': 'strict' })
          .sign(keys.RS256!.privateKey, { crit: { 'urn:example:policy': true } }),
      }),
      /unsupported algorithm or header/,
    ],
    ['crit is an empty list', async () => ({ token: handmadeToken({ alg: 'RS256', kid: 'k-RS256', crit: [] }, claims(), 'c2ln') }), /not a well-formed JWT/],
    ['crit is not a list', async () => ({ token: handmadeToken({ alg: 'RS256', kid: 'k-RS256', crit: 'b64', b64: true }, claims(), 'c2ln') }), /not a well-formed JWT/],
    ['crit names b64 without b64', async () => ({ token: handmadeToken({ alg: 'RS256', kid: 'k-RS256', crit: ['b64'] }, claims(), 'c2ln') }), /not a well-formed JWT/],
    [
      'b64: false, critical (an unencoded payload, validly signed)',
      async () => ({
        token: await new FlattenedSign(enc.encode('unencoded'))
          .setProtectedHeader({ alg: 'RS256', kid: 'k-RS256', b64: false, crit: ['b64'] })
          .sign(keys.RS256!.privateKey)
          // jose detaches an unencoded payload; attached, it is the compact form's middle part.
          .then((jws) => `${jws.protected}.unencoded.${jws.signature}`),
      }),
      /not a well-formed JWT/,
    ],
    ['b64: false, not critical (validly signed; jose ignored it, refused here: no JWT has it)', async () => ({ token: await signJwt(keys.RS256!, claims(), { b64: false }) }), /not a well-formed JWT/],
    ['the header is a JSON list', async () => ({ token: `${b64url('["RS256"]')}.${b64url(JSON.stringify(claims()))}.c2ln` }), /not a well-formed JWT/],
    ['the header is JSON null', async () => ({ token: `${b64url('null')}.${b64url(JSON.stringify(claims()))}.c2ln` }), /not a well-formed JWT/],
    ['alg is not a string', async () => ({ token: handmadeToken({ alg: 256, kid: 'k-RS256' }, claims(), 'c2ln') }), /not a well-formed JWT/],
    [
      'the header is of a length base64 cannot have',
      async () => {
        let header = b64url(JSON.stringify({ alg: 'RS256', kid: 'k-RS256' }));
        while (header.length % 4 !== 1) header += 'A';
        return { token: `${header}.${b64url(JSON.stringify(claims()))}.c2ln` };
      },
      /not a well-formed JWT/,
    ],
    ['the claims are a JSON list (validly signed)', async () => ({ token: await new CompactSign(enc.encode('[1,2]')).setProtectedHeader({ alg: 'RS256', kid: 'k-RS256' }).sign(keys.RS256!.privateKey) }), /not a well-formed JWT/],
    ['the claims are JSON null (validly signed)', async () => ({ token: await new CompactSign(enc.encode('null')).setProtectedHeader({ alg: 'RS256', kid: 'k-RS256' }).sign(keys.RS256!.privateKey) }), /not a well-formed JWT/],
    ['the claims are not UTF-8 (validly signed)', async () => ({ token: await new CompactSign(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)).setProtectedHeader({ alg: 'RS256', kid: 'k-RS256' }).sign(keys.RS256!.privateKey) }), /not a well-formed JWT/],
    ['kid is not a string', async () => ({ token: await signJwt(keys.RS256!, claims(), { kid: 42 }) }), /signing key \(kid\) that the key set does not hold/],
    [
      'wrong key type: an RS256 token whose kid names an EC key',
      async () => {
        const ec = await signingKey('ES256', 'shared', { alg: undefined });
        return { token: await signJwt(await signingKey('RS256', 'shared'), claims()), url: serve(setOf(ec)) };
      },
      /key set does not hold/,
    ],
    [
      'wrong key type: an ES256 token whose kid names an RSA key',
      async () => {
        const rsa = await signingKey('RS256', 'shared', { alg: undefined });
        return { token: await signJwt(await signingKey('ES256', 'shared'), claims()), url: serve(setOf(rsa)) };
      },
      /key set does not hold/,
    ],
    [
      'wrong curve: an ES256 token whose kid names a P-384 key',
      async () => {
        const p384 = await signingKey('ES384', 'shared', { alg: undefined });
        return { token: await signJwt(await signingKey('ES256', 'shared'), claims()), url: serve(setOf(p384)) };
      },
      /key set does not hold/,
    ],
    unusableKey('the key is for encryption (use: enc), the right key otherwise', 'enc-key', { use: 'enc' }),
    unusableKey('the key_ops leave out verify', 'ops', { key_ops: ['encrypt'] }),
    unusableKey('the JWK names another alg (RS512 key, RS256 token)', 'other-alg', { alg: 'RS512' }),
    [
      'alg confusion: an HS256 token whose kid names an oct key published in the JWKS, HS256 listed by mistake',
      async () => {
        const secret = enc.encode('a-secret-published-as-an-oct-jwk-xx');
        const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'oct' }).sign(secret);
        return { token, url: serve({ keys: [{ kty: 'oct', kid: 'oct', k: b64url(secret) }] }), algorithms: ['RS256', 'HS256'] };
      },
      /signing algorithm is not accepted \(accepted: RS256\)/,
    ],
    [
      'alg confusion: a PS256 signature under an RS256 header, key without alg',
      async () => {
        const key = await signingKey('PS256', 'both', { alg: undefined });
        const input = signingInput({ alg: 'RS256', kid: 'both' });
        const pss = nodeSign('sha256', Buffer.from(input), { key: KeyObject.from(key.privateKey), padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 });
        return { token: `${input}.${b64url(pss)}`, url: serve(setOf(key)), algorithms: ['RS256', 'PS256'] };
      },
      /signature does not verify/,
    ],
    ['ES256 signature one byte short', async () => { const t = await signJwt(keys.ES256!, claims()); return { token: withSignature(t, signature(t).subarray(1)) }; }, /signature does not verify/],
    ['ES256 signature one byte long', async () => { const t = await signJwt(keys.ES256!, claims()); return { token: withSignature(t, Buffer.concat([signature(t), Buffer.of(0)])) }; }, /signature does not verify/],
    [
      'ES256 signature DER-encoded (valid, but not the JWS form r‖s)',
      async () => {
        const input = signingInput({ alg: 'ES256', kid: 'k-ES256' });
        return { token: `${input}.${b64url(nodeSign('sha256', Buffer.from(input), { key: KeyObject.from(keys.ES256!.privateKey), dsaEncoding: 'der' }))}` };
      },
      /signature does not verify/,
    ],
    ['ES512 signature of ES256 length', async () => { const t = await signJwt(keys.ES512!, claims()); return { token: withSignature(t, signature(t).subarray(0, 64)) }; }, /signature does not verify/],
    ['EdDSA signature truncated', async () => { const t = await signJwt(keys.EdDSA!, claims()); return { token: withSignature(t, signature(t).subarray(0, 63)) }; }, /signature does not verify/],
    ['PS256 signature flipped', async () => { const t = await signJwt(keys.PS256!, claims()); const s = signature(t); s[10]! ^= 1; return { token: withSignature(t, s) }; }, /signature does not verify/],
    ['an empty signature', async () => ({ token: withSignature(await signJwt(keys.RS256!, claims()), new Uint8Array()) }), /signature does not verify/],
    [
      'an RSA key of 1024 bits (jose refuses to sign with one: signed by node:crypto)',
      async () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
        const input = signingInput({ alg: 'RS256', kid: 'weak' });
        const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256', use: 'sig' };
        return { token: `${input}.${b64url(nodeSign('sha256', Buffer.from(input), privateKey))}`, url: serve({ keys: [jwk] }) };
      },
      /the token could not be verified/,
    ],
    [
      'an RSA key of 1024 bits among several keys, no kid',
      async () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
        const input = signingInput({ alg: 'RS256' });
        const jwks = { keys: [publicKey.export({ format: 'jwk' }), withoutKid(keys.RS256!).publicJwk] };
        return { token: `${input}.${b64url(nodeSign('sha256', Buffer.from(input), privateKey))}`, url: serve(jwks) };
      },
      /signature does not verify/,
    ],
    ['iat is not a number', async () => ({ token: await signJwt(keys.RS256!, claims({ iat: 'yesterday' })) }), /the token's "iat" claim is invalid/],
    ['exp is not a number', async () => ({ token: await signJwt(keys.RS256!, claims({ exp: 'tomorrow' })) }), /the token's "exp" claim is invalid/],
    ['nbf is not a number', async () => ({ token: await signJwt(keys.RS256!, claims({ nbf: 'now' })) }), /not valid yet \(nbf\)/],
    ['iss is null', async () => ({ token: await signJwt(keys.RS256!, claims({ iss: null })) }), /another issuer \(iss\)/],
    ['aud is a number', async () => ({ token: await signJwt(keys.RS256!, claims({ aud: 42 })) }), /another audience \(aud\)/],
    ['no aud', async () => ({ token: await signJwt(keys.RS256!, claims({ aud: undefined })) }), /no "aud" claim/],
  ];

  it.each(refusals)('%s → 401', async (_name, arrange, message) => {
    const { token, url = allUrl, algorithms } = await arrange();
    expectRefused(await callWith(url, token, algorithms), message, token);
  });

  describe('exp and nbf at the edge of the clock tolerance (5 s)', () => {
    const t = 1_700_000_000;
    it.each([
      ['exp 4.999 s ago', { exp: t }, (t + 4) * 1000 + 999, 200],
      ['exp 5 s ago', { exp: t }, (t + 5) * 1000, 401],
      ['nbf 5 s ahead', { nbf: t + 5, exp: t + 60 }, t * 1000, 200],
      ['nbf 6 s ahead', { nbf: t + 6, exp: t + 60 }, t * 1000, 401],
    ] as const)('%s → %i', async (_name, times, nowMs, status) => {
      const token = await signHs256(HS_SECRET, claims({ ...times }, t - 100));
      expect((await pipeline({ config: secretConfig(), now: () => nowMs }).call(bearer(token))).statusCode).toBe(status);
    });
  });
});

describe('the key set: cached 10 minutes, fetched once at a time, never served broken', () => {
  it('is fetched again after 10 minutes (in the background), not before', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    issuer.server.reset();
    const run = pipeline({ config: jwksConfig() });
    const call = async () => (await run.call(bearer(await signRs256(issuer.keys[0]!, claims())))).statusCode;
    expect(await call()).toBe(200);
    vi.setSystemTime(Date.now() + 9 * 60_000);
    expect(await call()).toBe(200);
    expect(issuer.fetches()).toBe(1);
    vi.setSystemTime(Date.now() + 61_000);
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(issuer.fetches()).toBe(2));
  });

  it('an IdP that fails later does not take the held keys with it: stale keys verify while refreshed in the background, a failed refresh waits 30 s, and an hour past their age the failure is ours (503)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    issuer.server.reset();
    const run = pipeline({ config: jwksConfig() });
    const call = async () => (await run.call(bearer(await signRs256(issuer.keys[0]!, claims())))).statusCode;
    const failing = () => issuer.server.enqueue((_req, res) => void res.writeHead(500).end());
    expect(await call()).toBe(200);
    expect(issuer.fetches()).toBe(1);

    // Past the 10 minutes: the refresh fails, the held key still verifies, and nobody waited for it.
    vi.setSystemTime(Date.now() + 11 * 60_000);
    failing();
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(issuer.fetches()).toBe(2));
    // Within 30 s of the failure no fetch is tried; an unknown kid cannot be told from a rotated one: 503, not 401.
    expect(await call()).toBe(200);
    const stranger = await run.call(bearer(await signRs256(await rsaKey('k-unknown'), claims())));
    expect(stranger.statusCode).toBe(503);
    expect(stranger.body?.error.code).toBe('auth_unavailable');
    expect(issuer.fetches()).toBe(2);

    // After it, the refresh is tried again, in the background, and succeeds: the set is fresh again.
    vi.setSystemTime(Date.now() + 31_000);
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(issuer.fetches()).toBe(3));
    vi.setSystemTime(Date.now() + 60_000);
    expect(await call()).toBe(200);
    expect(issuer.fetches()).toBe(3);

    // An hour past its age a set no longer verifies on its own: the fetch is awaited, and its failure
    // answers — then for 1 s without a fetch, as with no keys at all.
    vi.setSystemTime(Date.now() + 71 * 60_000);
    failing();
    expect(await call()).toBe(503);
    expect(issuer.fetches()).toBe(4);
    expect(await call()).toBe(503);
    expect(issuer.fetches()).toBe(4);
    vi.setSystemTime(Date.now() + 1_100);
    expect(await call()).toBe(200);
    expect(issuer.fetches()).toBe(5);
  });

  it('a failed refresh is told once per run of failures (not at each retry), with the fetch\'s reason and no token; a good fetch ends the run', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    issuer.server.reset();
    const told: { message: string; staleForMs: number }[] = [];
    const run = pipeline({ config: jwksConfig(), onKeySetFetchError: (error, { staleForMs }) => told.push({ message: error.message, staleForMs }) });
    const token = await signRs256(issuer.keys[0]!, claims());
    const call = async () => (await run.call(bearer(token))).statusCode;
    // The IdP drops the connection: a network failure, whose reason is undici's cause.
    const dropping = () => issuer.server.enqueue((_req, res) => void res.socket?.destroy());
    expect(await call()).toBe(200);

    vi.setSystemTime(Date.now() + 11 * 60_000);
    dropping();
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(told).toHaveLength(1));
    expect(told[0]!.message).toMatch(/^the JWKS could not be fetched: fetch failed: \S/);
    expect(told[0]!.message).not.toContain(token);
    // 11 minutes after the fetch, the keys verify 59 minutes more.
    expect(told[0]!.staleForMs).toBeGreaterThan(58 * 60_000);
    expect(told[0]!.staleForMs).toBeLessThanOrEqual(59 * 60_000);

    // Past the cooldown the refresh fails again: tried (a fetch), not told again.
    vi.setSystemTime(Date.now() + 31_000);
    issuer.server.enqueue((_req, res) => void res.writeHead(500).end());
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(issuer.fetches()).toBe(3));
    expect(told).toHaveLength(1);

    // A good refresh ends the run; the next failure, ten minutes on, is told again.
    vi.setSystemTime(Date.now() + 31_000);
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(issuer.fetches()).toBe(4));
    vi.setSystemTime(Date.now() + 11 * 60_000);
    issuer.server.enqueue((_req, res) => void res.writeHead(500).end());
    expect(await call()).toBe(200);
    await vi.waitFor(() => expect(told).toHaveLength(2));
    expect(told[1]!.message).toBe('the JWKS answered HTTP 500, not 200');
    expect(issuer.fetches()).toBe(5);
  });

  it("the fetch's reason is told bounded: one line of at most 300 characters", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    issuer.server.reset();
    const told: string[] = [];
    const run = pipeline({ config: jwksConfig(), onKeySetFetchError: (error) => told.push(error.message) });
    const call = async () => (await run.call(bearer(await signRs256(issuer.keys[0]!, claims())))).statusCode;
    expect(await call()).toBe(200);
    // A network stack whose error runs on (a proxy's page, say): the first fetch was real, this one fails so.
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('fetch failed', { cause: new Error(`proxy said:\n${'<p>blocked</p>'.repeat(500)}`) })));
    try {
      vi.setSystemTime(Date.now() + 11 * 60_000);
      expect(await call()).toBe(200);
      await vi.waitFor(() => expect(told).toHaveLength(1));
    } finally {
      vi.unstubAllGlobals();
    }
    const reason = told[0]!.slice('the JWKS could not be fetched: '.length);
    expect(reason).toMatch(/^fetch failed: proxy said: <p>blocked/);
    expect(reason).not.toContain('\n');
    expect(reason.length).toBeLessThanOrEqual(300);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('invocations waiting for the keys share one fetch', async () => {
    issuer.server.reset();
    const run = pipeline({ config: jwksConfig() });
    const token = await signRs256(issuer.keys[0]!, claims());
    const answers = await Promise.all(Array.from({ length: 5 }, () => run.call(bearer(token))));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(issuer.fetches()).toBe(1);
  });

  /** The IdP's next `count` fetches answer 503 (a fresh server). */
  const failingFetches = (count: number) => {
    issuer.server.reset();
    for (let i = 0; i < count; i++) issuer.server.enqueue((_req, res) => void res.writeHead(503).end());
  };

  it('with no keys held, a failed fetch is not kept, and tried again after 1 s, then 2 s (a backoff): meanwhile 503, without a fetch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    failingFetches(2);
    const told: { message: string; staleForMs: number }[] = [];
    const run = pipeline({ config: jwksConfig(), onKeySetFetchError: (error, { staleForMs }) => told.push({ message: error.message, staleForMs }) });
    const token = await signRs256(issuer.keys[0]!, claims());
    expect((await run.call(bearer(token))).statusCode).toBe(503);
    for (let i = 0; i < 5; i++) {
      const answer = await run.call(bearer(token));
      expect(answer.statusCode).toBe(503);
      expect(answer.body?.error.code).toBe('auth_unavailable');
      expect(answer.headers?.['retry-after']).toBe('5');
    }
    expect(issuer.fetches()).toBe(1);
    /** `ms` later: the status an invocation gets, and the fetches made so far. */
    const later = async (ms: number) => {
      vi.setSystemTime(Date.now() + ms);
      return [(await run.call(bearer(token))).statusCode, issuer.fetches()];
    };
    expect(await later(900)).toEqual([503, 1]);
    // Past 1 s: tried again, and it fails again — now 2 s before the next try.
    expect(await later(200)).toEqual([503, 2]);
    expect(await later(1_800)).toEqual([503, 2]);
    expect(await later(300)).toEqual([200, 3]);
    // Told once for the run of failures, with the IdP's answer; no keys held: none verifies (every token got 503).
    expect(told).toEqual([{ message: 'the JWKS answered HTTP 503, not 200', staleForMs: 0 }]);
  });

  it('with no keys held, the wait between failed fetches stops growing at 30 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    failingFetches(9);
    const run = pipeline({ config: jwksConfig() });
    const token = await signRs256(issuer.keys[0]!, claims());
    // Failures 1 to 7: waits of 1, 2, 4, 8, 16, 30, 30 s.
    const waits = [1, 2, 4, 8, 16, 30, 30];
    expect((await run.call(bearer(token))).statusCode).toBe(503);
    for (const [i, seconds] of waits.entries()) {
      vi.setSystemTime(Date.now() + seconds * 1000 - 100);
      expect((await run.call(bearer(token))).statusCode).toBe(503);
      expect(issuer.fetches()).toBe(i + 1);
      vi.setSystemTime(Date.now() + 200);
      expect((await run.call(bearer(token))).statusCode).toBe(503);
      expect(issuer.fetches()).toBe(i + 2);
    }
  });

  it('unknown kids within the cooldown cost no fetch, however many', async () => {
    issuer.server.reset();
    const run = pipeline({ config: jwksConfig() });
    expect((await run.call(bearer(await signRs256(issuer.keys[0]!, claims())))).statusCode).toBe(200);
    const stranger = await rsaKey('stranger');
    for (let i = 0; i < 20; i++) {
      const answer = await run.call(bearer(await signRs256({ ...stranger, kid: `kid-${i}` }, claims())));
      expect(answer.body?.error.message).toMatch(/key set does not hold/);
    }
    expect(issuer.fetches()).toBe(1);
  });

  const unavailable: [string, (url: string) => { url: string; server?: Parameters<typeof startLoopbackServer>[0] }][] = [
    ['the JWKS redirects (keys come from AUTH_JWKS_URL only)', (jwksUrl) => ({ url: '', server: (_req, res) => { res.writeHead(302, { location: jwksUrl }).end(); } })],
    [
      'the JWKS declares a body over 256 KiB',
      () => ({ url: '', server: (_req, res) => json(res, 200, { keys: issuer.keys.map((k) => k.publicJwk), padding: 'x'.repeat(300 * 1024) }) }),
    ],
    ['the JWKS publishes the private key', () => ({ url: '', server: (_req, res) => json(res, 200, { keys: [privateJwk] }) })],
    ['the key the token names does not import', () => ({ url: '', server: (_req, res) => json(res, 200, { keys: [{ kty: 'RSA', e: 'AQAB', kid: 'k1' }] }) })],
  ];
  let privateJwk: Record<string, unknown>;
  beforeAll(async () => {
    privateJwk = { ...(await exportJWK(issuer.keys[0]!.privateKey)), kid: 'k1', alg: 'RS256' };
  });

  it.each(unavailable)('%s → 503 auth_unavailable', async (_name, arrange) => {
    const { server: handler } = arrange(issuer.jwksUrl);
    const server = await startLoopbackServer(handler);
    try {
      const token = await signRs256(issuer.keys[0]!, claims());
      const answer = await pipeline({ config: jwksConfig({ jwksUrl: `${server.url}/jwks`, algorithms: ['RS256', 'ES256'] }) }).call(bearer(token));
      expect(answer.statusCode).toBe(503);
      expect(answer.body?.error.code).toBe('auth_unavailable');
      expect(answer.headers?.['retry-after']).toBe('5');
      expect(JSON.stringify(answer)).not.toContain(token);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('among several candidates (no kid), a key that does not import and a private key are skipped', async () => {
    const good = issuer.kidless[0]!;
    const server = await startLoopbackServer((_req, res) => json(res, 200, { keys: [{ kty: 'RSA', e: 'AQAB' }, { ...privateJwk, kid: undefined }, good.publicJwk] }));
    try {
      const answer = await pipeline({ config: jwksConfig({ jwksUrl: `${server.url}/jwks` }) }).call(bearer(await signRs256(good, claims())));
      expect(answer.statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('configuration', () => {
  it.each([
    ['both a JWKS URL and a secret', () => jwksConfig({ secret: HS_SECRET }), /exactly one of AUTH_JWKS_URL and AUTH_JWT_SECRET/],
    ['neither', () => jwksConfig({ jwksUrl: undefined }), /exactly one of/],
    ['only HMAC algorithms with a JWKS', () => jwksConfig({ algorithms: ['HS256'] }), /none of the algorithms \[HS256\]/],
    ['only RSA algorithms with a secret', () => secretConfig({ algorithms: ['RS256', 'none'] }), /none of the algorithms/],
  ])('refuses %s at cold start', (_name, config, message) => {
    expect(() => auth({ config: config() })).toThrow(message);
  });

  it('api-gateway mode needs no key material', () => {
    expect(() => auth({ config: gatewayConfig({ algorithms: [] }) })).not.toThrow();
  });

  it('exposes a named before middleware (middy reports it by name)', () => {
    expect(auth({ config: secretConfig() }).before?.name).toBe('authBefore');
  });

  it('signs with SignJWT fixtures that really verify (sanity of the helpers)', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(HS_SECRET);
    expect((await pipeline({ config: secretConfig() }).call(bearer(token))).statusCode).toBe(200);
  });
});
