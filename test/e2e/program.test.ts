// The sixth function, program (issue 25's proof that a function has one home): GET /program answers a
// browser-safe view of the program — the event catalogue, wallets, levels and perks from an
// allow-list, never reward amounts or formulas — to any authenticated caller, `private, max-age=60`,
// one Perkamo call for every caller within 60 s; a direct invoke `{}` too. Built bundle against the
// emulator; spans from the real OpenTelemetry SDK.
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { programView } from '../../src/lambda/functions/program.ts';
import { httpApiEvent, lambdaContext } from '../helpers/aws-events.ts';
import { functionEnv, loadFunction, token, type Handler } from '../helpers/functions.ts';
import { setupTestTracing } from '../helpers/tracing.ts';

let emulator: Emulator;
let tracing: ReturnType<typeof setupTestTracing>;
const origin = 'http://localhost:3000';
/** A fresh cold start of the built function (its held answer empty). */
const coldProgram = (): Promise<Handler> => loadFunction('program', functionEnv(emulator, { CORS_ALLOWED_ORIGINS: origin }));

beforeAll(async () => {
  tracing = setupTestTracing();
  emulator = await startEmulator({ quiet: true });
});
afterAll(async () => {
  await emulator.close();
  await tracing.shutdown();
});
beforeEach(() => {
  emulator.reset();
  emulator.setFaults([]);
  tracing.reset();
});

const get = async (program: Handler, user = 'alice', extra: { body?: unknown; method?: string } = {}) =>
  program(httpApiEvent(`${extra.method ?? 'GET'} /program`, extra.body, { authorization: `Bearer ${await token(user, [])}`, origin }), lambdaContext());
const programCalls = () => emulator.ledger().requests.by_route['GET /v1/program'] ?? 0;

describe('program', () => {
  it('HTTP, any authenticated caller (no scope): events, wallets, levels and perks from the allow-list; private, max-age=60', async () => {
    const program = await coldProgram();
    const res = await get(program);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, max-age=60');
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    const view = JSON.parse(res.body);
    expect(Object.keys(view).sort()).toEqual(['events', 'levels', 'perks', 'wallets']);
    expect(view.events).toContainEqual(expect.objectContaining({ event: 'purchase.completed', title: expect.any(String) }));
    expect(view.wallets).toContainEqual({ key: 'points', name: expect.any(String) });
    expect(view.perks).toContainEqual(expect.objectContaining({ key: 'welcome_member', name: expect.any(String), unlock: { event: 'user.registered' } }));
    // The rules behind the rewards stay server-side.
    expect(res.body).not.toMatch(/"(formula|reward|rewards|amount|blueprint|earningRules)"/);
  });

  it('one Perkamo call for many callers within 60 s; each answer the same view', async () => {
    const program = await coldProgram();
    const answers = [];
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) answers.push(await get(program, user));
    // Direct invokes share the held answer too.
    const direct = await program({}, lambdaContext());
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(direct).toEqual(JSON.parse(answers[0]!.body));
    expect(programCalls()).toBe(1);
    // Held answers make no span of a Perkamo call: only the first invocation has one.
    expect(tracing.spans().filter((s) => s.name === 'perkamo program')).toHaveLength(1);
  });

  it('no token → 401, Perkamo never asked; POST → 405 naming GET; the preflight answers GET, OPTIONS; a body → 400', async () => {
    const program = await coldProgram();
    const none = await program(httpApiEvent('GET /program', undefined, {}), lambdaContext());
    expect(none.statusCode).toBe(401);
    const post = await get(program, 'alice', { method: 'POST', body: {} });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
    const preflight = await program(httpApiEvent('OPTIONS /program', undefined, { origin, 'access-control-request-method': 'GET' }), lambdaContext());
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, OPTIONS');
    const body = await get(program, 'alice', { body: { user_id: 'alice' } });
    expect(body.statusCode).toBe(400);
    expect(JSON.parse(body.body).error.message).toMatch(/GET \/program takes no body/);
    expect(programCalls()).toBe(0);
  });

  it('a Perkamo error is answered as for the other functions (5xx → 502), and not held: the next caller asks again', async () => {
    const program = await coldProgram();
    emulator.setFaults([{ kind: 'error_before', status: 503, routes: ['/v1/program'] }]);
    const failed = await get(program);
    expect(failed.statusCode).toBe(502);
    expect(JSON.parse(failed.body).error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    emulator.setFaults([]);
    const after = await get(program);
    expect(after.statusCode).toBe(200);
  });

  it('direct invoke: {} or nothing → the view; another field is a PerkamoValidationError naming it', async () => {
    const program = await coldProgram();
    await expect(program({}, lambdaContext())).resolves.toMatchObject({ events: expect.any(Array) });
    const error = await program({ user_id: 'alice' }, lambdaContext()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PerkamoValidationError', field: 'user_id' });
  });

  it('spans: GET /program (SERVER) → perkamo program (INTERNAL) → the HTTP GET (CLIENT)', async () => {
    await get(await coldProgram());
    const spans = tracing.spans();
    expect(spans.find((s) => s.name === 'GET /program')?.kind).toBe(SpanKind.SERVER);
    expect(spans.find((s) => s.name === 'perkamo program')?.attributes['perkamo.request_id']).toMatch(/^req_/);
    expect(spans.find((s) => s.kind === SpanKind.CLIENT)?.attributes['url.full']).toMatch(/\/v1\/program$/);
  });
});

describe('the program view: an allow-list over a distrusted program', () => {
  it('only the named fields, bounded, whatever Perkamo sends', () => {
    const view = programView({
      blueprint: {
        earningRules: {
          a: { event: 'purchase.completed', title: 'Purchase', reward: { wallet: 'points', formula: '{{amount}} * 10' }, secret_rule: 'x' },
          b: { event: '', title: 'no key: left out' },
          c: { event: 'quiz.passed', label: 'Quiz', description: 'd'.repeat(5_000) },
        },
        internal: { margin: 0.4 },
      },
      wallets: [{ key: 'points', name: 'Points', decimals: 2, cost_per_point: 0.01 }, 'not an object', { name: 'no key' }],
      levels: { wallet: 'points', ladder: [{ at: 0, name: 'Bronze' }, { at: 'NaN' }, { at: 500, name: 'Gold', internal: true }] },
      perks: Array.from({ length: 1_000 }, (_, i) => ({ key: `p${i}`, name: `Perk ${i}`, unlock: { wallet: 'points', atLeast: i }, grant: { coupon: 'SECRET' } })),
      api_keys: ['sk_live_x'],
    });
    expect(view.events).toEqual([
      { event: 'purchase.completed', title: 'Purchase' },
      { event: 'quiz.passed', title: 'Quiz', description: `${'d'.repeat(255)}…` },
    ]);
    expect(view.wallets).toEqual([{ key: 'points', name: 'Points' }]);
    expect(view.levels).toEqual({ wallet: 'points', ladder: [{ level: 1, at: 0, name: 'Bronze' }, { level: 3, at: 500, name: 'Gold' }] });
    expect(view.perks).toHaveLength(200);
    expect(view.perks[7]).toEqual({ key: 'p7', name: 'Perk 7', unlock: { wallet: 'points', at_least: 7 } });
    expect(JSON.stringify(view)).not.toMatch(/formula|secret|SECRET|sk_live|margin|cost_per_point|internal|decimals/);
  });

  it('a program with none of it (or not an object) is an empty view, not an error', () => {
    for (const program of [undefined, null, 'text', [], {}]) expect(programView(program)).toEqual({ events: [], wallets: [], levels: null, perks: [] });
  });
});
