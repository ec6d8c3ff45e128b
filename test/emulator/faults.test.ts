import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPerkamoClient,
  PerkamoApiError,
  PerkamoNetworkError,
  PerkamoTimeoutError,
} from '../../src/sdk/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { call, event, requestIdPattern, serverKey, start } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await start({ seed: 42 });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.setFaults([]);
  emu.setRateLimit(null);
  emu.reset();
});

const client = (options: Partial<Parameters<typeof createPerkamoClient>[0]> = {}) =>
  createPerkamoClient({ apiKey: serverKey, baseUrl: emu.url, ...options });

describe('fault kinds', () => {
  it('error_before answers 5xx and applies nothing', async () => {
    emu.setFaults([{ kind: 'error_before', routes: ['/v1/events'], times: 1 }]);
    const res = await call(emu, '/v1/events', { body: event('f1', 'user.registered', 'fb:1') });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'injected_fault', fault: 'error_before' });
    expect(res.headers.get('x-perkamo-request-id')).toMatch(requestIdPattern);
    expect(emu.ledger().applied).toBe(0);
    expect(emu.customer('f1')).toBeUndefined();
    // times: 1 — the retry goes through and is the first application.
    const retry = await call(emu, '/v1/events', { body: event('f1', 'user.registered', 'fb:1') });
    expect(retry.body).toMatchObject({ applied: true, duplicate: false });
    expect(emu.ledger().faults).toEqual({ error_before: 1 });
  });

  it('error_after applies the event, then answers 5xx; the retry is a duplicate', async () => {
    emu.setFaults([{ kind: 'error_after', status: 500, times: 1 }]);
    const res = await call(emu, '/v1/events', { body: event('f2', 'referral.completed', 'fa:1') });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'injected_fault', fault: 'error_after' });
    const ledger = emu.ledger();
    expect(ledger.applied).toBe(1);
    expect(ledger.events[0]).toMatchObject({ transaction_id: 'fa:1', user_id: 'f2', event: 'referral.completed', request_id: res.headers.get('x-perkamo-request-id') });
    expect(emu.customer('f2')?.wallets.points).toBe(100);
    const retry = await call(emu, '/v1/events', { body: event('f2', 'referral.completed', 'fa:1') });
    expect(retry.body).toMatchObject({ applied: false, duplicate: true, wallet_state: { points: 100 } });
  });

  it('error_after on a batch applies every event before the 5xx', async () => {
    emu.setFaults([{ kind: 'error_after', routes: ['/v1/events:batch'], times: 1 }]);
    const events = [event('f3', 'page.viewed', 'fab:1'), event('f3', 'page.viewed', 'fab:2')];
    const res = await call(emu, '/v1/events:batch', { body: { events } });
    expect(res.status).toBe(502);
    expect(emu.ledger().applied).toBe(2);
    const retry = await call(emu, '/v1/events:batch', { body: { events } });
    expect(retry.body.results.map((r: { duplicate: boolean }) => r.duplicate)).toEqual([true, true]);
  });

  it('rate_limit answers 429 with retry-after, which the client reports', async () => {
    emu.setFaults([{ kind: 'rate_limit', retryAfterSeconds: 7, times: 1 }]);
    const error = await client().emit('f4', 'page.viewed', {}, { txId: 'rl:1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerkamoApiError);
    expect((error as PerkamoApiError).status).toBe(429);
    expect((error as PerkamoApiError).retryAfter).toBe(7);
    expect((error as PerkamoApiError).code).toBe('rate_limited');
    expect((error as PerkamoApiError).requestId).toMatch(requestIdPattern);
    expect(emu.ledger().applied).toBe(0);
  });

  it('reset destroys the connection before applying', async () => {
    emu.setFaults([{ kind: 'reset', routes: ['/v1/events'], times: 1 }]);
    const error = await client().emit('f5', 'page.viewed', {}, { txId: 'rs:1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerkamoNetworkError);
    expect(emu.ledger().applied).toBe(0);
    // The emulator keeps serving.
    expect((await client().emit('f5', 'page.viewed', {}, { txId: 'rs:1' })).applied).toBe(true);
  });

  it('latency delays the answer, then proceeds', async () => {
    emu.setFaults([{ kind: 'latency', latencyMs: 150, routes: ['/v1/program'] }]);
    const started = performance.now();
    const res = await call(emu, '/v1/program');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    const fast = performance.now();
    await call(emu, '/v1/customer/nobody');
    expect(performance.now() - fast).toBeLessThan(140);
  });

  it('hang never answers: the client times out and nothing is applied', async () => {
    emu.setFaults([{ kind: 'hang', routes: ['/v1/events'], times: 1 }]);
    const started = performance.now();
    const error = await client({ timeoutMs: 200 })
      .emit('f6', 'page.viewed', {}, { txId: 'hang:1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PerkamoTimeoutError);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(emu.ledger().applied).toBe(0);
  });

  it('close() ends hung requests and pending latency', async () => {
    const local = await start({ faults: [{ kind: 'hang', routes: ['/v1/program'] }, { kind: 'latency', latencyMs: 60_000, routes: ['/v1/customer/*'] }] });
    const hung = fetch(`${local.url}/v1/program`, { headers: { 'x-perkamo-api-key': serverKey } }).catch((e: unknown) => e);
    const slow = fetch(`${local.url}/v1/customer/x`, { headers: { 'x-perkamo-api-key': serverKey } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await local.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hung).toBeInstanceOf(Error);
    expect(await slow).toBeInstanceOf(Error);
  });

  it('matches routes exactly or by a trailing *; never the control routes', async () => {
    emu.setFaults([{ kind: 'error_before', routes: ['/v1/customer/*', '/v1/events'] }]);
    expect((await call(emu, '/v1/customer/a')).status).toBe(503);
    expect((await call(emu, '/v1/profile/a')).status).toBe(404);
    expect((await call(emu, '/v1/events:batch', { body: { events: [event('r', 'page.viewed', 'r1')] } })).status).toBe(200);
    expect((await call(emu, '/__emulator/health')).status).toBe(200);
  });

  it('is seeded: the same seed and rules give the same fault sequence', async () => {
    const rules = [{ kind: 'error_before' as const, rate: 0.5, routes: ['/v1/program'] }];
    const run = async (seed: number) => {
      const local = await start({ seed, faults: rules });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await call(local, '/v1/program')).status);
      await local.close();
      return statuses;
    };
    const [a, b, c] = await Promise.all([run(7), run(7), run(8)]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(4);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(4);
  });
});

describe('a retrying client under error_after faults', () => {
  it('ends with each of 200 events applied exactly once', async () => {
    emu.setFaults([{ kind: 'error_after', rate: 0.5, routes: ['/v1/events'] }]);
    const perkamo = client({ retry: { attempts: 30, baseDelayMs: 1, maxDelayMs: 5 } });
    const ids = Array.from({ length: 200 }, (_, i) => `order_${i}`);
    const results: Awaited<ReturnType<typeof perkamo.emit>>[] = [];
    for (let i = 0; i < ids.length; i += 20) {
      results.push(
        ...(await Promise.all(
          ids.slice(i, i + 20).map((txId, j) => perkamo.emit(`buyer_${(i + j) % 7}`, 'purchase.completed', { amount: 1000 }, { txId })),
        )),
      );
    }
    // Each call ends in a success: the first answer that got through (applied) or a duplicate after a lost answer.
    expect(results.every((r) => r.applied || r.duplicate)).toBe(true);
    const ledger = emu.ledger();
    expect(ledger.applied).toBe(200);
    expect(new Set(ledger.events.map((e) => e.transaction_id))).toEqual(new Set(ids));
    expect(ledger.faults.error_after).toBeGreaterThan(50);
    expect(ledger.duplicates.total).toBeGreaterThan(50);
    expect(ledger.conflicts.total).toBe(0);
    const points = Array.from({ length: 7 }, (_, b) => emu.customer(`buyer_${b}`)?.wallets.points ?? 0);
    expect(points.reduce((a, b) => a + b, 0)).toBe(200 * 10);
  });
});

describe('rate limiting', () => {
  it('sends ratelimit-* headers on every API response and 429 rate_limited with retry-after when empty', async () => {
    // 4 tokens/s: the four requests below take far less than the 250 ms one token needs.
    emu.setRateLimit({ capacity: 3, refillPerSecond: 4 });
    const seen: (string | null)[][] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(emu, '/v1/program');
      expect(res.status).toBe(200);
      seen.push(['limit', 'remaining', 'reset'].map((h) => res.headers.get(`ratelimit-${h}`)));
    }
    expect(seen.map((s) => s[0])).toEqual(['3', '3', '3']);
    expect(seen.map((s) => s[1])).toEqual(['2', '1', '0']);
    for (const s of seen) expect(s[2]).toMatch(/^\d+$/);
    const limited = await call(emu, '/v1/events', { body: event('rl', 'page.viewed', 'rl:1') });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(emu.ledger().applied).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(emu, '/v1/events', { body: event('rl', 'page.viewed', 'rl:1') })).status).toBe(200);
    // Control routes are not limited and carry no rate headers.
    const health = await call(emu, '/__emulator/health');
    expect(health.headers.get('ratelimit-limit')).toBeNull();
  });

  it('can use the x-ratelimit-* family; the client exposes the values and retries after retry-after', async () => {
    emu.setRateLimit({ capacity: 2, refillPerSecond: 2, headers: 'x-ratelimit' });
    const perkamo = client();
    await perkamo.program();
    await perkamo.program();
    const error = (await perkamo.program().catch((e: unknown) => e)) as PerkamoApiError;
    expect(error).toBeInstanceOf(PerkamoApiError);
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(1);
    expect(error.rateLimit).toEqual({ limit: 2, remaining: 0, reset: expect.stringMatching(/^\d+$/) });
    const res = await call(emu, '/v1/customer/x');
    expect(res.headers.get('ratelimit-limit')).toBeNull();
    expect(res.headers.get('x-ratelimit-limit')).toBe('2');
    const retrying = client({ retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000 } });
    const started = performance.now();
    expect(await retrying.program()).toHaveProperty('blueprint');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('control routes', () => {
  it('sets faults at run time with PUT /__emulator/faults and rejects bad rules', async () => {
    const put = await call(emu, '/__emulator/faults', { method: 'PUT', key: null, body: [{ kind: 'error_before', status: 500, routes: ['/v1/program'], times: 2 }] });
    expect(put.status).toBe(200);
    expect(put.body.faults).toEqual([{ kind: 'error_before', status: 500, routes: ['/v1/program'], times: 2 }]);
    expect((await call(emu, '/v1/program')).status).toBe(500);
    expect((await call(emu, '/v1/program')).status).toBe(500);
    expect((await call(emu, '/v1/program')).status).toBe(200);
    expect((await call(emu, '/__emulator/faults', { key: null })).body.faults).toHaveLength(1);
    const bad = await call(emu, '/__emulator/faults', { method: 'PUT', key: null, body: [{ kind: 'explode' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_faults');
    expect(bad.body.message).toContain('faults[0].kind');
    const badRate = await call(emu, '/__emulator/faults', { method: 'PUT', key: null, body: { faults: [{ kind: 'latency', rate: 2 }] } });
    expect(badRate.body.message).toContain('faults[0].rate');
    const clear = await call(emu, '/__emulator/faults', { method: 'PUT', key: null, body: [] });
    expect(clear.body.faults).toEqual([]);
  });

  it('serves health, the ledger, reset and rate-limit settings without a key', async () => {
    await call(emu, '/v1/events', { body: event('l1', 'page.viewed', 'l:1') });
    await call(emu, '/v1/events', { body: event('l1', 'page.viewed', 'l:1') });
    const health = await call(emu, '/__emulator/health', { key: null });
    expect(health.body).toMatchObject({ ok: true, url: emu.url, customers: 1, applied: 1, streams: 0 });
    const ledger = await call(emu, '/__emulator/ledger', { key: null });
    expect(ledger.body).toEqual({
      events: [
        {
          transaction_id: 'l:1',
          user_id: 'l1',
          event: 'page.viewed',
          request_id: expect.stringMatching(requestIdPattern),
          applied_at: expect.any(String),
          occurred_at: null,
          delta: [{ wallet: 'xp', amount: 1 }],
        },
      ],
      applied: 1,
      duplicates: { total: 1, by_transaction_id: { 'l:1': 1 } },
      conflicts: { total: 0, by_transaction_id: {} },
      customers: 1,
      faults: {},
      requests: { total: 2, by_route: { 'POST /v1/events': 2 } },
    });
    const rate = await call(emu, '/__emulator/rate-limit', { method: 'PUT', key: null, body: { capacity: 5, refillPerSecond: 1 } });
    expect(rate.body.rateLimit).toEqual({ capacity: 5, refillPerSecond: 1, headers: 'ratelimit' });
    expect((await call(emu, '/v1/program')).headers.get('ratelimit-limit')).toBe('5');
    const badRate = await call(emu, '/__emulator/rate-limit', { method: 'PUT', key: null, body: { capacity: 0 } });
    expect(badRate.body.code).toBe('invalid_rate_limit');
    await call(emu, '/__emulator/rate-limit', { method: 'PUT', key: null, raw: 'null' });
    expect((await call(emu, '/v1/program')).headers.get('ratelimit-limit')).toBeNull();
    const reset = await call(emu, '/__emulator/reset', { method: 'POST', key: null, sign: false });
    expect(reset.body).toEqual({ ok: true });
    expect(emu.ledger()).toMatchObject({ applied: 0, customers: 0, duplicates: { total: 0 } });
    expect((await call(emu, '/__emulator/nothing', { key: null })).status).toBe(404);
  });
});
