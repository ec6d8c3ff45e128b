// The fifth function, customer (issue 14's proof of the function list): GET /customer answers the
// authenticated subject's own state — wallets, level, perks, flags, trait names, never trait values
// — with `perkamo:read`, `cache-control: private, no-store`; a direct invoke names the user. Built
// bundle against the emulator; the span tree read from the real OpenTelemetry SDK.
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { httpApiEvent, lambdaContext } from '../helpers/aws-events.ts';
import { functionEnv, loadFunction, token, type Handler } from '../helpers/functions.ts';
import { parentOf, setupTestTracing } from '../helpers/tracing.ts';

let emulator: Emulator;
let tracing: ReturnType<typeof setupTestTracing>;
const fn: Record<string, Handler> = {};
const origin = 'http://localhost:3000';

beforeAll(async () => {
  tracing = setupTestTracing();
  emulator = await startEmulator({ quiet: true });
  const env = functionEnv(emulator, { CORS_ALLOWED_ORIGINS: origin });
  for (const name of ['customer', 'emit', 'identify']) fn[name] = await loadFunction(name, env);
});
afterAll(async () => {
  await emulator.close();
  await tracing.shutdown();
});
beforeEach(async () => {
  emulator.reset();
  // alice registered (50 points, perk welcome_member) and told us her email.
  await fn.emit!({ user_id: 'alice', event: 'user.registered', transaction_id: 'reg-alice' }, lambdaContext());
  await fn.identify!({ user_id: 'alice', traits: { email: 'alice@example.test', plan: 'pro' } }, lambdaContext());
  tracing.reset();
});

const get = async (user: string, scopes = ['perkamo:read'], extra: { body?: unknown; method?: string; headers?: Record<string, string> } = {}) => {
  const event = httpApiEvent(`${extra.method ?? 'GET'} /customer`, extra.body, { authorization: `Bearer ${await token(user, scopes)}`, origin, ...extra.headers });
  return fn.customer!(event, lambdaContext());
};

describe('customer', () => {
  it("HTTP: the subject's own wallets, level, perks and flags; trait names, not values; private, no-store", async () => {
    const res = await get('alice');
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({
      user_id: 'alice',
      wallets: { points: 50 },
      perks: [{ key: 'welcome_member' }],
      flags: { perks: { welcome_member: true } },
      trait_names: ['email', 'plan'],
    });
    expect(body).not.toHaveProperty('traits');
    expect(res.body).not.toContain('alice@example.test');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['x-perkamo-request-id']).toMatch(/^req_/);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(emulator.ledger().requests.by_route['GET /v1/customer/alice']).toBe(1);
  });

  it("never another user's: the token's subject is read; a body naming someone else is refused, nothing read", async () => {
    const before = emulator.ledger().requests.total;
    const bob = await get('bob');
    expect(bob.statusCode).toBe(404);
    expect(JSON.parse(bob.body).error.code).toBe('customer_not_found');
    const asking = await get('bob', ['perkamo:read'], { body: { user_id: 'alice' } });
    expect(asking.statusCode).toBe(400);
    expect(JSON.parse(asking.body).error.message).toMatch(/GET \/customer takes no body/);
    const { requests } = emulator.ledger();
    expect(requests.total - before).toBe(1);
    expect(requests.by_route['GET /v1/customer/bob']).toBe(1);
    expect(requests.by_route['GET /v1/customer/alice']).toBeUndefined();
  });

  it.each([
    ['no token', 401, undefined],
    ['a token without perkamo:read', 403, ['perkamo:emit', 'perkamo:identify']],
  ] as const)('%s → %i, Perkamo never asked', async (_what, status, scopes) => {
    const before = emulator.ledger().requests.total;
    const event = httpApiEvent('GET /customer', undefined, scopes ? { authorization: `Bearer ${await token('alice', [...scopes])}` } : {});
    const res = await fn.customer!(event, lambdaContext());
    expect(res.statusCode).toBe(status);
    expect(emulator.ledger().requests.total).toBe(before);
  });

  it('POST /customer → 405 naming GET; the preflight answers GET, OPTIONS', async () => {
    const post = await get('alice', ['perkamo:read'], { method: 'POST', body: {} });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
    const preflight = await fn.customer!(
      httpApiEvent('OPTIONS /customer', undefined, { origin, 'access-control-request-method': 'GET' }),
      lambdaContext(),
    );
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, OPTIONS');
  });

  it('direct invoke: { user_id } → the state; a bad payload is a PerkamoValidationError naming the field', async () => {
    await expect(fn.customer!({ user_id: 'alice' }, lambdaContext())).resolves.toMatchObject({ user_id: 'alice', flags: { perks: { welcome_member: true } }, trait_names: ['email', 'plan'] });
    const error = await fn.customer!({ userId: 'alice' }, lambdaContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'PerkamoValidationError', field: 'userId' });
  });

  it('spans: GET /customer (SERVER) → perkamo customer (INTERNAL) → the HTTP GET (CLIENT), with the request id', async () => {
    await get('alice');
    const spans = tracing.spans();
    const server = spans.find((s) => s.name === 'GET /customer');
    const op = spans.find((s) => s.name === 'perkamo customer');
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(server?.kind).toBe(SpanKind.SERVER);
    expect(server?.attributes).toMatchObject({ 'http.route': '/customer', 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(op?.kind).toBe(SpanKind.INTERNAL);
    expect(parentOf(op!)).toBe(server!.spanContext().spanId);
    expect(parentOf(client!)).toBe(op!.spanContext().spanId);
    expect(client?.attributes['http.request.method']).toBe('GET');
    expect(op?.attributes['perkamo.request_id']).toMatch(/^req_/);
    // User ids in spans are hashed by default, and the URL records the route, not the id.
    expect(client?.attributes['url.full']).toMatch(/\/v1\/customer\/\{user_id\}$/);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('alice');
  });
});
