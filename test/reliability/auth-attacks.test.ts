// Auth attacks against the BUILT functions over HTTP: each function set sits behind the local API
// Gateway HTTP API (real sockets, real headers), once configured with AUTH_JWT_SECRET (HS256) and
// once with AUTH_JWKS_URL (RS256 keys served on a loopback JWKS server). Every attack must get a
// 401 (with WWW-Authenticate: Bearer) or a 403, never echo the token, and reach Perkamo NOT at all.
import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createLocalApi } from '../../dev/stack/http-api.ts';
import { projectRoot } from '../../dev/stack/lambda.ts';
import { httpApiEvent, lambdaContext } from '../helpers/aws-events.ts';
import { audience, functionEnv, issuer, jwtSecret, loadFunction, type Handler } from '../helpers/functions.ts';
import { startLoopbackServer, json } from '../helpers/loopback-server.ts';
import { functionOf } from '../../src/lambda/functions/index.ts';
import { CaseCounter, functionNames, methodOf, pathOf, routeOf, type FunctionName } from './harness.ts';

const counter = new CaseCounter();
let emulator: Emulator;
let jwks: Awaited<ReturnType<typeof startLoopbackServer>>;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'key-2026-11';

type Mode = 'secret' | 'jwks';
const stacks = {} as Record<Mode, { fn: Record<FunctionName, Handler>; server: Server; url: string }>;

/** A body each function accepts. */
const validBody: Record<FunctionName, unknown> = {
  emit: { user_id: 'u1', event: 'page.viewed', transaction_id: 'auth_tx_1' },
  batch: { events: [{ user_id: 'u1', event: 'page.viewed', transaction_id: 'auth_tx_2' }] },
  identify: { user_id: 'u1', traits: { plan: 'pro' } },
  'stream-token': {},
  customer: undefined, // GET: no body
  program: undefined,
};

/** The functions' environment verifying tokens against a JWKS URL (no shared secret beside it). */
function jwksEnv(url: string): Record<string, string> {
  const { AUTH_JWT_SECRET: _secret, ...env } = functionEnv(emulator, { AUTH_JWKS_URL: url });
  return env;
}

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  const publicJwk = { ...(rsa.publicKey.export({ format: 'jwk' }) as object), kid: KID, alg: 'RS256', use: 'sig' };
  jwks = await startLoopbackServer((req, res) => (req.url === '/jwks.json' ? json(res, 200, { keys: [publicJwk] }) : json(res, 404, {})));
  const env: Record<Mode, Record<string, string>> = { secret: functionEnv(emulator), jwks: jwksEnv(`${jwks.url}/jwks.json`) };
  for (const mode of ['secret', 'jwks'] as const) {
    const fn = {} as Record<FunctionName, Handler>;
    for (const name of functionNames) fn[name] = await loadFunction(name, env[mode]);
    const server = createLocalApi({
      invoke: () => (name, event) => fn[name](event, lambdaContext(5_000, `perkamo-${name}`)),
      demoDir: join(projectRoot(), 'dev/stack/demo'),
      pageConfig: () => ({}),
      log: () => {},
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stacks[mode] = { fn, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
});
afterAll(async () => {
  counter.print('auth attacks');
  for (const stack of Object.values(stacks)) {
    stack.server.closeAllConnections();
    await new Promise<void>((resolve) => stack.server.close(() => resolve()));
  }
  await jwks?.close();
  await emulator?.close();
});
beforeEach(() => emulator.reset());

// ---------------------------------------------------------------------------------------------
// Token forge: every part under our control (no library refusing to sign something odd).
// ---------------------------------------------------------------------------------------------

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function claims(user: string, scopes: string[], over: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { sub: user, scope: scopes.join(' '), iss: issuer, aud: audience, iat: now(), exp: now() + 300, jti: randomUUID(), ...over };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}
function hs(payload: Record<string, unknown>, key: string | Uint8Array = jwtSecret, header: Record<string, unknown> = {}, alg = 'HS256'): string {
  const signing = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${signing}.${createHmac(hash, key).update(signing).digest('base64url')}`;
}
function rs(payload: Record<string, unknown>, key: KeyObject = rsa.privateKey, header: Record<string, unknown> = { kid: KID }): string {
  const signing = `${b64({ alg: 'RS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${signing}.${sign('sha256', Buffer.from(signing), key).toString('base64url')}`;
}
/** A valid token of the stack's own kind. */
const valid = (mode: Mode, user: string, scopes: string[], over: Record<string, unknown> = {}) => (mode === 'secret' ? hs(claims(user, scopes, over)) : rs(claims(user, scopes, over)));
const allScopes = ['perkamo:emit', 'perkamo:identify', 'perkamo:read'];
/** The functions whose route needs a scope (stream-token takes any authenticated user). */
const scoped = functionNames.filter((name) => functionOf(name).scope !== undefined);

async function call(mode: Mode, name: FunctionName, authorization: string | undefined, body: unknown = validBody[name]) {
  const res = await fetch(`${stacks[mode].url}${pathOf[name]}`, {
    method: methodOf(name),
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(authorization !== undefined && { authorization }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

interface Attack {
  name: string;
  /** The Authorization header (undefined: none). */
  header: (mode: Mode, name: FunctionName) => string | undefined;
  status: 401 | 403;
  modes?: Mode[];
  only?: FunctionName[];
  /** The request body (default: one the function accepts). */
  body?: unknown;
}

const tamper = (token: string, edit: (payload: Record<string, unknown>) => void) => {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  edit(payload);
  return `${h}.${b64(payload)}.${s}`;
};
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const rsaPkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
const rsaJwkJson = JSON.stringify({ ...(rsa.publicKey.export({ format: 'jwk' }) as object), kid: KID });

const attacks: Attack[] = [
  // Missing or garbled header.
  { name: 'no Authorization header', header: () => undefined, status: 401 },
  { name: 'an empty Authorization header', header: () => '', status: 401 },
  { name: '"Bearer" without a token', header: () => 'Bearer', status: 401 },
  { name: '"Bearer" and spaces', header: () => 'Bearer      ', status: 401 },
  { name: 'Basic credentials', header: () => `Basic ${Buffer.from('admin:admin').toString('base64')}`, status: 401 },
  { name: 'a valid token under another scheme (Token …)', header: (m) => `Token ${valid(m, 'backend', allScopes)}`, status: 401 },
  { name: 'a valid token without a scheme', header: (m) => valid(m, 'backend', allScopes), status: 401 },
  { name: 'not a JWT', header: () => 'Bearer not-a-jwt', status: 401 },
  { name: 'two parts', header: () => 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0', status: 401 },
  { name: 'four parts', header: (m) => `Bearer ${valid(m, 'backend', allScopes)}.extra`, status: 401 },
  { name: 'two tokens in one header', header: (m) => `Bearer ${valid(m, 'backend', allScopes)}, Bearer ${valid(m, 'backend', allScopes)}`, status: 401 },
  { name: 'base64 that is not JSON', header: () => `Bearer ${b64('{not json')}.${b64('{"sub":"x"}')}.c2ln`, status: 401 },
  { name: 'characters outside base64url', header: () => 'Bearer eyJ!!.eyJ$$.sig', status: 401 },
  // alg: none (any spelling), with and without a signature.
  ...['none', 'None', 'NONE', 'nOnE'].map(
    (alg): Attack => ({ name: `alg: ${alg}`, header: () => `Bearer ${b64({ alg, typ: 'JWT' })}.${b64(claims('backend', allScopes))}.`, status: 401 }),
  ),
  { name: 'alg: none with a signature kept', header: (m) => `Bearer ${b64({ alg: 'none' })}.${b64(claims('backend', allScopes))}.${valid(m, 'backend', allScopes).split('.')[2]}`, status: 401 },
  { name: 'no alg at all', header: () => `Bearer ${b64({ typ: 'JWT' })}.${b64(claims('backend', allScopes))}.${createHmac('sha256', jwtSecret).update('x').digest('base64url')}`, status: 401 },
  // HS/RS key confusion: HMAC keyed with the public key the verifier holds.
  { name: 'HS256 keyed with the RSA public key (SPKI PEM)', header: () => `Bearer ${hs(claims('backend', allScopes), rsaPem, { kid: KID })}`, status: 401, modes: ['jwks'] },
  { name: 'HS256 keyed with the RSA public key (PKCS#1 PEM)', header: () => `Bearer ${hs(claims('backend', allScopes), rsaPkcs1, { kid: KID })}`, status: 401, modes: ['jwks'] },
  { name: 'HS256 keyed with the JWK JSON', header: () => `Bearer ${hs(claims('backend', allScopes), rsaJwkJson, { kid: KID })}`, status: 401, modes: ['jwks'] },
  { name: 'HS512 keyed with the RSA public key', header: () => `Bearer ${hs(claims('backend', allScopes), rsaPem, { kid: KID }, 'HS512')}`, status: 401, modes: ['jwks'] },
  { name: 'an RS256 token against the HS256 secret', header: () => `Bearer ${rs(claims('backend', allScopes))}`, status: 401, modes: ['secret'] },
  { name: 'an HS256 token (the shared secret) against the JWKS', header: () => `Bearer ${hs(claims('backend', allScopes))}`, status: 401, modes: ['jwks'] },
  { name: 'HS256 signed with another secret', header: () => `Bearer ${hs(claims('backend', allScopes), 'another-secret-of-at-least-32-bytes!!')}`, status: 401, modes: ['secret'] },
  { name: 'HS256 with an empty key', header: () => `Bearer ${hs(claims('backend', allScopes), '')}`, status: 401 },
  { name: 'HS384 (not in the allow-list) with the right secret', header: () => `Bearer ${hs(claims('backend', allScopes), jwtSecret, {}, 'HS384')}`, status: 401, modes: ['secret'] },
  // Time.
  { name: 'expired a minute ago', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { exp: now() - 60 })}`, status: 401 },
  { name: 'expired 10 s ago (past the 5 s tolerance)', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { exp: now() - 10 })}`, status: 401 },
  { name: 'not valid for 2 minutes (nbf)', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { nbf: now() + 120 })}`, status: 401 },
  { name: 'no exp (a token that never expires)', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { exp: undefined })}`, status: 401 },
  { name: 'exp as a string', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { exp: String(now() + 300) })}`, status: 401 },
  // Addressing.
  { name: 'another issuer', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { iss: 'https://evil.example/' })}`, status: 401 },
  { name: 'the issuer without its trailing slash', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { iss: issuer.replace(/\/$/, '') })}`, status: 401 },
  { name: 'no issuer', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { iss: undefined })}`, status: 401 },
  { name: 'another audience', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { aud: 'someone-else' })}`, status: 401 },
  { name: 'an audience list without ours', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { aud: ['a', 'b'] })}`, status: 401 },
  { name: 'no audience', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { aud: undefined })}`, status: 401 },
  // Tampering.
  { name: 'payload tampered: sub changed', header: (m) => `Bearer ${tamper(valid(m, 'backend', allScopes), (p) => (p.sub = 'admin'))}`, status: 401 },
  { name: 'payload tampered: scopes added', header: (m) => `Bearer ${tamper(valid(m, 'backend', []), (p) => (p.scope = allScopes.join(' ')))}`, status: 401 },
  { name: 'payload tampered: exp extended', header: (m) => `Bearer ${tamper(valid(m, 'backend', allScopes, { exp: now() - 60 }), (p) => (p.exp = now() + 3600))}`, status: 401 },
  { name: 'header tampered: alg changed', header: (m) => { const [, p, s] = valid(m, 'backend', allScopes).split('.'); return `Bearer ${b64({ alg: m === 'secret' ? 'HS512' : 'RS512', kid: KID })}.${p}.${s}`; }, status: 401 },
  { name: 'signature stripped', header: (m) => `Bearer ${valid(m, 'backend', allScopes).split('.').slice(0, 2).join('.')}.`, status: 401 },
  { name: 'signature of another token', header: (m) => { const [h, p] = valid(m, 'backend', allScopes).split('.'); return `Bearer ${h}.${p}.${valid(m, 'other', allScopes).split('.')[2]}`; }, status: 401 },
  // Keys.
  { name: 'an unknown kid (signed by another key)', header: () => `Bearer ${rs(claims('backend', allScopes), attacker.privateKey, { kid: 'attacker-key' })}`, status: 401, modes: ['jwks'] },
  { name: 'the right kid, signed by another key', header: () => `Bearer ${rs(claims('backend', allScopes), attacker.privateKey, { kid: KID })}`, status: 401, modes: ['jwks'] },
  { name: 'a kid with path traversal', header: () => `Bearer ${rs(claims('backend', allScopes), attacker.privateKey, { kid: '../../../../etc/passwd' })}`, status: 401, modes: ['jwks'] },
  { name: "an embedded jwk header with the attacker's key", header: () => `Bearer ${rs(claims('backend', allScopes), attacker.privateKey, { jwk: attacker.publicKey.export({ format: 'jwk' }) })}`, status: 401, modes: ['jwks'] },
  { name: "a jku header pointing at the attacker's key set", header: () => `Bearer ${rs(claims('backend', allScopes), attacker.privateKey, { kid: 'x', jku: 'https://evil.example/jwks.json' })}`, status: 401, modes: ['jwks'] },
  { name: 'an unknown crit extension', header: (m) => `Bearer ${m === 'secret' ? hs(claims('backend', allScopes), jwtSecret, { crit: ['exp-x'], 'exp-x': 1 }) : rs(claims('backend', allScopes), rsa.privateKey, { kid: KID, crit: ['exp-x'], 'exp-x': 1 })}`, status: 401 },
  // Size.
  { name: 'an oversized (9 KiB) but validly signed token', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { pad: 'x'.repeat(9 * 1024) })}`, status: 401 },
  // Identity and scope.
  { name: 'no sub', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { sub: undefined })}`, status: 401 },
  { name: 'an empty sub', header: (m) => `Bearer ${valid(m, '', allScopes)}`, status: 401 },
  { name: 'a numeric sub', header: (m) => `Bearer ${valid(m, 'backend', allScopes, { sub: 42 })}`, status: 401 },
  { name: 'a sub over 256 bytes', header: (m) => `Bearer ${valid(m, 'x'.repeat(300), allScopes)}`, status: 401 },
  { name: 'no scope', header: (m) => `Bearer ${valid(m, 'backend', [])}`, status: 403, only: scoped },
  { name: 'the other functions’ scopes', header: (m, name) => `Bearer ${valid(m, 'backend', allScopes.filter((s) => s !== functionOf(name).scope))}`, status: 403, only: scoped },
  { name: 'a scope that only starts like the right one', header: (m) => `Bearer ${valid(m, 'backend', allScopes.map((s) => `${s}x`))}`, status: 403, only: scoped },
  { name: 'the scope in the wrong case', header: (m) => `Bearer ${valid(m, 'backend', allScopes.map((s) => s.toUpperCase()))}`, status: 403, only: scoped },
  { name: 'user A asks a stream token for user B', header: (m) => `Bearer ${valid(m, 'alice', [])}`, status: 403, only: ['stream-token'], body: { user_id: 'bob' } },
  { name: 'user A asks for user B with every scope', header: (m) => `Bearer ${valid(m, 'alice', allScopes)}`, status: 403, only: ['stream-token'], body: { user_id: 'bob' } },
];

describe('auth attacks over HTTP (local API Gateway → built functions)', () => {
  for (const mode of ['secret', 'jwks'] as const) {
    describe(mode === 'secret' ? 'AUTH_JWT_SECRET (HS256)' : 'AUTH_JWKS_URL (RS256, http://127.0.0.1)', () => {
      it('control: a valid token gets 200 on every route', async () => {
        // Subject u1: the customer read answers the caller's own state, which emit's event to u1 creates.
        for (const name of functionNames) {
          const res = await call(mode, name, `Bearer ${valid(mode, 'u1', allScopes)}`);
          expect(res.status, `${name}: ${res.text}`).toBe(200);
        }
        expect(emulator.ledger().requests.total).toBe(functionNames.length);
      });

      for (const attack of attacks.filter((a) => !a.modes || a.modes.includes(mode))) {
        it(`${attack.name} → ${attack.status}`, async () => {
          for (const name of attack.only ?? functionNames) {
            emulator.reset();
            const authorization = attack.header(mode, name);
            const res = await call(mode, name, authorization, attack.body);
            const what = `${mode} ${name}: ${attack.name} → ${res.status} ${res.text.slice(0, 200)}`;
            expect(res.status, what).toBe(attack.status);
            const body = JSON.parse(res.text) as { error: { code: string; message: string } };
            expect(body.error.code, what).toBe(attack.status === 401 ? 'unauthorized' : 'forbidden');
            expect(body.error.message.length, what).toBeGreaterThan(10);
            if (attack.status === 401) expect(res.headers.get('www-authenticate'), what).toBe('Bearer');
            // The answer never echoes the credential it refused.
            const token = authorization?.split(' ').slice(1).join(' ').trim();
            if (token && token.length > 8) {
              for (const part of token.split('.').filter((p) => p.length > 8)) expect(res.text, what).not.toContain(part);
            }
            expect(emulator.ledger().requests.total, `${what}: reached Perkamo`).toBe(0);
            counter.add(`${mode === 'secret' ? 'HS256 secret' : 'JWKS (RS256)'} · ${name}`);
          }
        });
      }
    });
  }

  it('a 64 KiB Authorization header never reaches a function (431 from the HTTP layer), a 1 MiB token in the event is a 401', async () => {
    const huge = `Bearer ${valid('secret', 'backend', allScopes, { pad: 'x'.repeat(64 * 1024) })}`;
    // Node's HTTP server answers a header over its 16 KiB limit with 431 before any handler runs.
    const over = await fetch(`${stacks.secret.url}${pathOf.emit}`, { method: 'POST', headers: { authorization: huge, 'content-type': 'application/json' }, body: '{}' });
    expect(over.status).toBe(431);
    expect(emulator.ledger().requests.total).toBe(0);
    counter.add('HS256 secret · emit');
    // API Gateway caps headers at 10 KiB, but the handler must not depend on it.
    for (const name of functionNames) {
      emulator.reset();
      const token = valid('secret', 'backend', allScopes, { pad: 'x'.repeat(1024 * 1024) });
      const res = await stacks.secret.fn[name](
        httpApiEvent(routeOf(name), validBody[name], { authorization: `Bearer ${token}` }),
        lambdaContext(),
      );
      expect(res.statusCode, name).toBe(401);
      expect(res.body.length, name).toBeLessThan(1_000);
      expect(emulator.ledger().requests.total).toBe(0);
      counter.add(`HS256 secret · ${name}`);
    }
  });

  it('the JWKS endpoint down: 503 auth_unavailable (retryable), never a pass', async () => {
    const emit = await loadFunction('emit', jwksEnv('http://127.0.0.1:9/jwks.json'));
    const res = await emit(httpApiEvent(routeOf('emit'), validBody.emit, { authorization: `Bearer ${rs(claims('backend', allScopes))}` }), lambdaContext());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe('auth_unavailable');
    expect(emulator.ledger().requests.total).toBe(0);
    counter.add('JWKS (RS256) · emit');
  });
});
