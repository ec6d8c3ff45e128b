import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.ts';
import { call, event, requestIdPattern, start } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await start();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('POST /v1/events', () => {
  it('applies the documented example: user.registered gives 50 points and the welcome_member perk', async () => {
    const res = await call(emu, '/v1/events', { body: event('customer_123', 'user.registered', 'reg:customer_123') });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body).toEqual({
      applied: true,
      duplicate: false,
      delta: [{ wallet: 'points', amount: 50 }],
      leveled_up: false,
      unlocked: [{ type: 'perk', key: 'welcome_member', name: 'Welcome member' }],
      wallet_state: { points: 50, xp: 0 },
      level: { wallet: 'points', level: 1, current: 50, currentLevelAt: 0, nextLevelAt: 100, progress: 0.5 },
    });
  });

  it('evaluates the purchase formula on context.amount and reports a level-up', async () => {
    const res = await call(emu, '/v1/events', {
      body: {
        ...event('buyer', 'purchase.completed', 'order_1092', { order_id: 'order_1092', amount: 30099, currency: 'CZK' }),
        occurred_at: '2026-06-01T10:00:00.000Z',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.delta).toEqual([{ wallet: 'points', amount: 300 }]);
    expect(res.body.leveled_up).toBe(true);
    expect(res.body.level).toEqual({ wallet: 'points', level: 3, current: 300, currentLevelAt: 250, nextLevelAt: 500, progress: 0.2 });
    expect(res.body.unlocked).toEqual([]);
  });

  it('awards several wallets for one rule and unlocks threshold perks', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call(emu, '/v1/events', { body: event('learner', 'lesson.finished', `lesson:${i}`, { lesson_id: `l${i}` }) });
      expect(res.body.delta).toEqual([
        { wallet: 'xp', amount: 10 },
        { wallet: 'points', amount: 5 },
      ]);
      expect(res.body.unlocked).toEqual(i === 4 ? [{ type: 'perk', key: 'eager_learner', name: 'Eager learner' }] : []);
    }
    expect(emu.customer('learner')?.wallets).toEqual({ points: 25, xp: 50 });
  });

  it('accepts unknown event names: applied, recorded, empty delta', async () => {
    const res = await call(emu, '/v1/events', { body: event('u1', 'feature.used', 'tx_unknown', { feature: 'x' }) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ applied: true, duplicate: false, delta: [], unlocked: [], leveled_up: false, wallet_state: { points: 0, xp: 0 } });
    expect(emu.ledger().events.map((e) => e.event)).toEqual(['feature.used']);
  });

  it('answers a repeated transaction_id with the same payload as a duplicate that changes nothing', async () => {
    const body = event('dup', 'referral.completed', 'ref:1', { referred: 'x' });
    const first = await call(emu, '/v1/events', { body });
    expect(first.body.applied).toBe(true);
    // Same instant written another way, context keys in another order: still the same payload.
    const again = await call(emu, '/v1/events', { body: { ...body, context: { referred: 'x' } } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      applied: false,
      duplicate: true,
      delta: [],
      leveled_up: false,
      unlocked: [],
      wallet_state: { points: 100, xp: 0 },
      level: { wallet: 'points', level: 2, current: 100, currentLevelAt: 100, nextLevelAt: 250, progress: 0 },
    });
    const ledger = emu.ledger();
    expect(ledger.applied).toBe(1);
    expect(ledger.duplicates).toEqual({ total: 1, by_transaction_id: { 'ref:1': 1 } });
  });

  it('compares occurred_at as an instant', async () => {
    const body = { ...event('t', 'page.viewed', 'pv:1'), occurred_at: '2026-06-01T12:00:00+02:00' };
    await call(emu, '/v1/events', { body });
    const again = await call(emu, '/v1/events', { body: { ...body, occurred_at: '2026-06-01T10:00:00.000Z' } });
    expect(again.body.duplicate).toBe(true);
  });

  it('answers the same transaction_id with another payload 409 transaction_id_conflict, changing nothing', async () => {
    await call(emu, '/v1/events', { body: event('c', 'purchase.completed', 'order_1', { amount: 1000 }) });
    const res = await call(emu, '/v1/events', { body: event('c', 'purchase.completed', 'order_1', { amount: 5000 }) });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('transaction_id_conflict');
    expect(res.body.field).toBe('transaction_id');
    expect(res.body.message).toContain('context');
    expect(res.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    expect(emu.customer('c')?.wallets.points).toBe(10);
    expect(emu.ledger().conflicts).toEqual({ total: 1, by_transaction_id: { order_1: 1 } });
  });

  it('tolerates PHP-style [] context and ignores legacy tenant/space fields', async () => {
    const res = await call(emu, '/v1/events', {
      body: { ...event('php', 'page.viewed', 'pv:php'), context: [], tenant: 'demo', space: 'demo' },
    });
    expect(res.status).toBe(200);
    expect(res.body.delta).toEqual([{ wallet: 'xp', amount: 1 }]);
  });

  it('validates with the core rules and names the field', async () => {
    const cases: [unknown, string, string][] = [
      [{ event: 'x.y', transaction_id: 't' }, 'user_id', 'required'],
      [event('u', 'x.y', 't', { wallet: 5 }), 'context.wallet', 'reserved_key'],
      [{ ...event('u', 'x.y', 't'), occurred_at: 'yesterday' }, 'occurred_at', 'invalid_date'],
      [event('u', 'e'.repeat(129), 't'), 'event', 'too_long'],
      [{ ...event('u', 'x.y', 't'), userId: 'u' }, 'userId', 'unknown_field'],
      [event('u', 'x.y', 't', { items: [{ __proto__x: 1, constructor: 1 }] }), 'context.items[0].constructor', 'forbidden_key'],
    ];
    for (const [body, field, reason] of cases) {
      const res = await call(emu, '/v1/events', { body });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', field, reason });
      expect(typeof res.body.message).toBe('string');
    }
    const notObject = await call(emu, '/v1/events', { body: [1, 2] });
    expect(notObject.status).toBe(400);
    expect(notObject.body.code).toBe('validation_failed');
    expect(emu.ledger().applied).toBe(0);
  });

  it('answers 400 invalid_json for a body that is not JSON, and for an empty body', async () => {
    const res = await call(emu, '/v1/events', { raw: '{"user_id": ' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_json');
    const empty = await call(emu, '/v1/events', { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('invalid_json');
  });

  it('answers 413 payload_too_large for a body over 1 MiB', async () => {
    const raw = JSON.stringify({ ...event('big', 'x.y', 't'), context: { blob: 'x'.repeat(1024 * 1024) } });
    const res = await call(emu, '/v1/events', { raw });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
    // The connection survives: the next request works.
    expect((await call(emu, '/v1/program')).status).toBe(200);
  });
});

describe('POST /v1/events:batch', () => {
  it('returns one result per event in input order, each in the ingest shape', async () => {
    const res = await call(emu, '/v1/events:batch', {
      body: {
        events: [
          event('b1', 'user.registered', 'b:reg'),
          event('b1', 'purchase.completed', 'b:order', { amount: 10000 }),
          event('b2', 'page.viewed', 'b:pv'),
          event('b1', 'something.else', 'b:other'),
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(4);
    const [reg, order, pv, other] = res.body.results;
    expect(reg).toMatchObject({ applied: true, duplicate: false, delta: [{ wallet: 'points', amount: 50 }] });
    expect(order).toMatchObject({ applied: true, delta: [{ wallet: 'points', amount: 100 }], leveled_up: true, wallet_state: { points: 150, xp: 0 } });
    expect(pv).toMatchObject({ applied: true, delta: [{ wallet: 'xp', amount: 1 }], wallet_state: { points: 0, xp: 1 } });
    expect(other).toMatchObject({ applied: true, delta: [], unlocked: [] });
    for (const r of res.body.results) {
      expect(Object.keys(r).sort()).toEqual(['applied', 'delta', 'duplicate', 'level', 'leveled_up', 'unlocked', 'wallet_state']);
    }
    expect(emu.ledger().events.every((e) => e.request_id === res.headers.get('x-perkamo-request-id'))).toBe(true);
  });

  it('treats a repeated id inside one batch as a duplicate or a conflict of the earlier item', async () => {
    await call(emu, '/v1/events', { body: event('b3', 'referral.completed', 'earlier') });
    const res = await call(emu, '/v1/events:batch', {
      body: {
        events: [
          event('b3', 'page.viewed', 'same'),
          event('b3', 'page.viewed', 'same'),
          event('b3', 'lesson.finished', 'same'),
          event('b3', 'referral.completed', 'earlier', { other: true }),
          event('b3', 'page.viewed', 'fresh'),
        ],
      },
    });
    expect(res.status).toBe(200);
    const [a, b, c, d, e] = res.body.results;
    expect(a).toMatchObject({ applied: true, duplicate: false });
    expect(b).toMatchObject({ applied: false, duplicate: true, delta: [] });
    expect(b.error).toBeUndefined();
    for (const conflict of [c, d]) {
      expect(conflict).toMatchObject({ applied: false, duplicate: false, delta: [], unlocked: [], leveled_up: false });
      expect(conflict.error.code).toBe('transaction_id_conflict');
      expect(conflict.error.message).toMatch(/already used/);
    }
    expect(e).toMatchObject({ applied: true, wallet_state: { points: 100, xp: 2 } });
    const ledger = emu.ledger();
    expect(ledger.applied).toBe(3);
    expect(ledger.duplicates.total).toBe(1);
    expect(ledger.conflicts).toEqual({ total: 2, by_transaction_id: { same: 1, earlier: 1 } });
  });

  it('rejects the whole batch when one item is invalid, naming events[i].field, and applies nothing', async () => {
    const res = await call(emu, '/v1/events:batch', {
      body: { events: [event('v', 'page.viewed', 'ok:1'), event('v', 'page.viewed', 'ok:2'), { ...event('v', 'page.viewed', 'bad'), user_id: '' }] },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', field: 'events[2].user_id' });
    expect(res.body.message).toContain("'events[2].user_id'");
    const notObject = await call(emu, '/v1/events:batch', { body: { events: [event('v', 'page.viewed', 'ok:1'), 'nope'] } });
    expect(notObject.body).toMatchObject({ code: 'validation_failed', field: 'events[1]' });
    expect(emu.ledger().applied).toBe(0);
    expect(emu.customer('v')).toBeUndefined();
  });

  it('answers an empty batch 400 and a batch over 100 events 413 batch_too_large', async () => {
    const empty = await call(emu, '/v1/events:batch', { body: { events: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ code: 'validation_failed', field: 'events' });
    const missing = await call(emu, '/v1/events:batch', { body: {} });
    expect(missing.body).toMatchObject({ code: 'validation_failed', field: 'events' });
    const events = Array.from({ length: 101 }, (_, i) => event('many', 'page.viewed', `m:${i}`));
    const tooMany = await call(emu, '/v1/events:batch', { body: { events } });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ code: 'batch_too_large', field: 'events' });
    const hundred = await call(emu, '/v1/events:batch', { body: { events: events.slice(0, 100) } });
    expect(hundred.status).toBe(200);
    expect(hundred.body.results).toHaveLength(100);
  });
});

describe('POST /v1/identify', () => {
  it('creates the customer, then merges traits shallowly; null deletes a trait', async () => {
    const first = await call(emu, '/v1/identify', {
      body: { user_id: 'customer_123', traits: { email: 'customer@example.test', name: 'Customer Test', plan: { tier: 'gold' } } },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      user_id: 'customer_123',
      created: true,
      traits: { email: 'customer@example.test', name: 'Customer Test', plan: { tier: 'gold' } },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const second = await call(emu, '/v1/identify', {
      body: { user_id: 'customer_123', traits: { name: null, plan: { seats: 3 }, crm_id: 'crm_123' } },
    });
    expect(second.body.created).toBe(false);
    expect(second.body.traits).toEqual({ email: 'customer@example.test', plan: { seats: 3 }, crm_id: 'crm_123' });
    expect(Date.parse(second.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(first.body.updated_at));
    expect(second.body.created_at).toBe(first.body.created_at);
  });

  it('accepts PHP [] traits, omitted traits and legacy tenant', async () => {
    expect((await call(emu, '/v1/identify', { body: { user_id: 'p1', traits: [], tenant: 'demo' } })).body.traits).toEqual({});
    expect((await call(emu, '/v1/identify', { body: { user_id: 'p2' } })).body).toMatchObject({ user_id: 'p2', created: true, traits: {} });
  });

  it('validates user_id and traits', async () => {
    const res = await call(emu, '/v1/identify', { body: { user_id: '  ', traits: {} } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', field: 'user_id' });
    const traits = await call(emu, '/v1/identify', { body: { user_id: 'x', traits: 'email' } });
    expect(traits.body).toMatchObject({ code: 'validation_failed', field: 'traits' });
  });
});

describe('GET /v1/customer/{id} and /v1/profile/{id}', () => {
  it('returns the full customer shape, percent-decoding the id', async () => {
    await call(emu, '/v1/identify', { body: { user_id: 'account:acme:42', traits: { plan: 'pro' } } });
    await call(emu, '/v1/events', { body: event('account:acme:42', 'user.registered', 'r42') });
    const res = await call(emu, '/v1/customer/account%3Aacme%3A42');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    expect(res.body).toEqual({
      user_id: 'account:acme:42',
      traits: { plan: 'pro' },
      wallets: { points: 50, xp: 0 },
      level: { wallet: 'points', level: 1, current: 50, currentLevelAt: 0, nextLevelAt: 100, progress: 0.5 },
      perks: [{ key: 'welcome_member', name: 'Welcome member', unlocked_at: expect.any(String) }],
      flags: { perks: { welcome_member: true, loyal_customer: false, eager_learner: false, ambassador: false } },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const profile = await call(emu, '/v1/profile/account%3Aacme%3A42');
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual(res.body);
  });

  it('answers 404 customer_not_found for an unknown customer, and 400 for a bad id', async () => {
    const res = await call(emu, '/v1/customer/nobody');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('customer_not_found');
    const bad = await call(emu, '/v1/customer/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'user_id' });
  });

  it('shows a level at the top of the ladder with nextLevelAt null and progress 1', async () => {
    await call(emu, '/v1/events', { body: event('rich', 'purchase.completed', 'big', { amount: 1_000_000 }) });
    const res = await call(emu, '/v1/customer/rich');
    expect(res.body.level).toEqual({ wallet: 'points', level: 6, current: 10000, currentLevelAt: 2500, nextLevelAt: null, progress: 1 });
    expect(res.body.flags.perks.loyal_customer).toBe(true);
  });
});

describe('GET /v1/program', () => {
  it('returns the program with blueprint.earningRules covering the docs example events', async () => {
    const res = await call(emu, '/v1/program');
    expect(res.status).toBe(200);
    const rules = res.body.blueprint.earningRules as { event: string; title: string; reward: unknown }[];
    expect(rules.map((r) => r.event)).toEqual(['purchase.completed', 'lesson.finished', 'user.registered', 'referral.completed', 'page.viewed']);
    for (const rule of rules) expect(typeof rule.title).toBe('string');
    expect(rules[0]?.reward).toEqual({ wallet: 'points', formula: 'floor({{amount}} / 100)' });
    expect(res.body.wallets.map((w: { key: string }) => w.key)).toEqual(['points', 'xp']);
    expect(res.body).toEqual(emu.program);
  });
});

describe('routing and headers', () => {
  it('answers unknown routes 404 and wrong methods 405, with a request id', async () => {
    const missing = await call(emu, '/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    expect(missing.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    const wrong = await call(emu, '/v1/events');
    expect(wrong.status).toBe(405);
    expect(wrong.body.code).toBe('method_not_allowed');
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('gives every response its own request id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await call(emu, '/v1/program')).headers.get('x-perkamo-request-id') as string);
    expect(ids.size).toBe(5);
  });
});
