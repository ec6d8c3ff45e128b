import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPerkamoClient,
  PerkamoApiError,
  responseMeta,
  type PerkamoCustomer,
} from '../../src/sdk/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { browserKey, requestIdPattern, serverKey, start, waitFor } from './helpers.ts';

let emu: Emulator;
let perkamo: ReturnType<typeof createPerkamoClient>;
beforeAll(async () => {
  emu = await start({ heartbeatMs: 1000 });
  // An async key supplier, as the docs' `apiKey: () => process.env.PERKAMO_SECRET_KEY`.
  perkamo = createPerkamoClient({ apiKey: async () => serverKey, baseUrl: emu.url, timeoutMs: 5000 });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const levelShape = {
  wallet: expect.any(String),
  level: expect.any(Number),
  current: expect.any(Number),
  currentLevelAt: expect.any(Number),
  nextLevelAt: expect.anything(),
  progress: expect.any(Number),
};

describe('the Perkamo client against the emulator', () => {
  it('identify() creates and updates a customer', async () => {
    const created = await perkamo.identify('customer_123', { email: 'customer@example.test', name: 'Customer Test', locale: undefined });
    expect(created).toEqual({
      user_id: 'customer_123',
      created: true,
      traits: { email: 'customer@example.test', name: 'Customer Test' },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(responseMeta(created)).toMatchObject({ status: 200, requestId: expect.stringMatching(requestIdPattern), attempts: 1 });
    const updated = await perkamo.identify('customer_123', { crm_id: 'crm_123', name: null });
    expect(updated).toMatchObject({ created: false, traits: { email: 'customer@example.test', crm_id: 'crm_123' } });
  });

  it('emit() returns every documented field', async () => {
    const result = await perkamo.emit(
      'customer_123',
      'purchase.completed',
      { order_id: 'order_1092', amount: 12900, currency: 'CZK' },
      { txId: 'order_1092', occurredAt: new Date('2026-06-01T10:00:00.000Z') },
    );
    expect(result).toEqual({
      applied: true,
      duplicate: false,
      delta: [{ wallet: 'points', amount: 129 }],
      leveled_up: true,
      unlocked: [],
      wallet_state: { points: 129, xp: 0 },
      level: { wallet: 'points', level: 2, current: 129, currentLevelAt: 100, nextLevelAt: 250, progress: 29 / 150 },
    });
    expect(responseMeta(result)?.requestId).toMatch(requestIdPattern);
    expect(emu.ledger().events[0]).toMatchObject({ transaction_id: 'order_1092', occurred_at: '2026-06-01T10:00:00.000Z' });
    const again = await perkamo.emit('customer_123', 'purchase.completed', { order_id: 'order_1092', amount: 12900, currency: 'CZK' }, {
      txId: 'order_1092',
      occurredAt: '2026-06-01T10:00:00Z',
    });
    expect(again).toMatchObject({ applied: false, duplicate: true, delta: [], wallet_state: { points: 129 } });
    // Without txId the client generates one: a second call is a second fact.
    await perkamo.emit('auto', 'page.viewed');
    await perkamo.emit('auto', 'page.viewed');
    expect(emu.customer('auto')?.wallets.xp).toBe(2);
  });

  it('emit() surfaces a conflict as PerkamoApiError 409 with code and request id', async () => {
    await perkamo.emit('c', 'purchase.completed', { amount: 100 }, { txId: 'order_9' });
    const error = (await perkamo.emit('c', 'purchase.completed', { amount: 999 }, { txId: 'order_9' }).catch((e: unknown) => e)) as PerkamoApiError;
    expect(error).toBeInstanceOf(PerkamoApiError);
    expect(error.status).toBe(409);
    expect(error.code).toBe('transaction_id_conflict');
    expect(error.requestId).toMatch(requestIdPattern);
    expect(error.message).toContain('Perkamo API error: transaction_id "order_9" was already used');
  });

  it('batch() returns results in input order', async () => {
    const res = await perkamo.batch([
      { user_id: 'b', event: 'lesson.finished', transaction_id: 'lesson:intro:user:b', context: { lesson_id: 'intro' }, occurred_at: new Date().toISOString() },
      { user_id: 'b', event: 'user.registered', transaction_id: 'reg:b', occurred_at: new Date() },
      { user_id: 'b', event: 'unknown.thing', transaction_id: 'u:b' },
    ]);
    expect(res.results).toHaveLength(3);
    expect(res.results[0]).toEqual({
      applied: true,
      duplicate: false,
      delta: [
        { wallet: 'xp', amount: 10 },
        { wallet: 'points', amount: 5 },
      ],
      leveled_up: false,
      unlocked: [],
      wallet_state: { points: 5, xp: 10 },
      level: levelShape,
    });
    expect(res.results[1]).toMatchObject({ unlocked: [{ type: 'perk', key: 'welcome_member', name: 'Welcome member' }], wallet_state: { points: 55, xp: 10 } });
    expect(res.results[2]).toMatchObject({ applied: true, delta: [] });
  });

  it('customer() reads the full customer, with an id that needs encoding', async () => {
    await perkamo.identify('account:acme:42', { plan: 'pro' });
    await perkamo.emit('account:acme:42', 'user.registered', {}, { txId: 'reg:42' });
    const customer = await perkamo.customer('account:acme:42');
    expect(customer).toEqual({
      user_id: 'account:acme:42',
      traits: { plan: 'pro' },
      wallets: { points: 50, xp: 0 },
      level: { wallet: 'points', level: 1, current: 50, currentLevelAt: 0, nextLevelAt: 100, progress: 0.5 },
      perks: [{ key: 'welcome_member', name: 'Welcome member', unlocked_at: expect.any(String) }],
      flags: { perks: { welcome_member: true, loyal_customer: false, eager_learner: false, ambassador: false } },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(customer.flags.perks.welcome_member).toBe(true);
    const missing = (await perkamo.customer('nobody').catch((e: unknown) => e)) as PerkamoApiError;
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('customer_not_found');
  });

  it('program() and eventCatalog() expose the earning rules', async () => {
    const program = await perkamo.program();
    expect(program.blueprint?.earningRules).toEqual(emu.program.blueprint.earningRules);
    const catalog = await perkamo.eventCatalog();
    expect(catalog.map((item) => [item.event, item.title])).toEqual([
      ['purchase.completed', 'Purchase completed'],
      ['lesson.finished', 'Lesson finished'],
      ['user.registered', 'Registered'],
      ['referral.completed', 'Referral completed'],
      ['page.viewed', 'Page viewed'],
    ]);
  });

  it('createBrowserToken() and createStreamToken() mint tokens', async () => {
    const browser = await perkamo.createBrowserToken(browserKey, 'customer_123');
    expect(browser).toEqual({ token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'Bearer', expires_at: expect.any(String), expires_in: 600 });
    const stream = await perkamo.createStreamToken(browserKey, 'customer_123');
    expect(stream.expires_in).toBe(120);
    expect(Date.parse(stream.expires_at) - Date.now()).toBeGreaterThan(110_000);
    const unknown = (await perkamo.createBrowserToken('pk_test_nope', 'u').catch((e: unknown) => e)) as PerkamoApiError;
    expect(unknown.status).toBe(400);
    expect(unknown.code).toBe('unknown_browser_key');
  });

  it('reports a wrong server key as 401 invalid_api_key', async () => {
    const wrong = createPerkamoClient({ apiKey: 'sk_test_wrong', baseUrl: emu.url });
    const error = (await wrong.emit('u', 'page.viewed').catch((e: unknown) => e)) as PerkamoApiError;
    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_api_key');
  });
});

describe('subscribeCustomer() against the emulator stream', () => {
  it('receives the current state on connect and the new state after an emit', async () => {
    const { token } = await perkamo.createStreamToken(browserKey, 'account:acme:42');
    const seen: PerkamoCustomer[] = [];
    const errors: Error[] = [];
    const sub = perkamo.subscribeCustomer('account:acme:42', token, (c) => seen.push(c), (e) => errors.push(e));
    try {
      await waitFor(() => seen.length >= 1 || undefined);
      expect(seen[0]?.wallets).toEqual({ points: 0, xp: 0 });
      await perkamo.emit('account:acme:42', 'referral.completed', { referred: 'friend' }, { txId: 'ref:42' });
      await waitFor(() => seen.length >= 2 || undefined);
      expect(seen[1]).toMatchObject({
        user_id: 'account:acme:42',
        wallets: { points: 100, xp: 0 },
        level: { level: 2 },
        flags: { perks: { ambassador: true } },
      });
      expect(seen[1]).toEqual(await perkamo.customer('account:acme:42'));
      expect(errors).toEqual([]);
    } finally {
      sub.close();
    }
    await waitFor(() => emu.streamCount() === 0 || undefined);
  });

  it('reports 401 for a bad token and 403 for another user through onError, and stops', async () => {
    const errors: Error[] = [];
    const bad = perkamo.subscribeCustomer('alice', 'x.y.z', () => undefined, (e) => errors.push(e));
    await waitFor(() => errors.length >= 1 || undefined);
    bad.close();
    expect((errors[0] as PerkamoApiError).status).toBe(401);
    expect((errors[0] as PerkamoApiError).code).toBe('invalid_token');

    const { token } = await perkamo.createStreamToken(browserKey, 'mallory');
    const other = perkamo.subscribeCustomer('alice', token, () => undefined, (e) => errors.push(e));
    await waitFor(() => errors.length >= 2 || undefined);
    other.close();
    expect((errors[1] as PerkamoApiError).status).toBe(403);
    expect((errors[1] as PerkamoApiError).code).toBe('forbidden');
    expect(emu.streamCount()).toBe(0);
  });
});
