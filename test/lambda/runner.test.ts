import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import type { Command, Origin } from '../../src/lambda/invocation.ts';
import { identifyFunction } from '../../src/lambda/functions/identify.ts';
import { streamTokenFunction } from '../../src/lambda/functions/stream-token.ts';
import { GroupBlockedError, PerkamoItemRejectedError } from '../../src/lambda/errors.ts';
import { runCommands } from '../../src/lambda/runner.ts';
import { PerkamoDeadlineExceededError, PerkamoValidationError, createPerkamoClient, responseMeta } from '../../src/sdk/index.ts';
import { ingestResult, json, startLoopbackServer } from '../helpers/loopback-server.ts';

let emulator: Emulator;
let client: ReturnType<typeof createPerkamoClient>;
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  client = createPerkamoClient({ apiKey: emulator.keys.server[0]!, baseUrl: emulator.url, retry: { attempts: 3, baseDelayMs: 1 } });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  emulator.setFaults([]);
});

const emit = (tx: string, extra: { group?: string; amount?: number; user?: string } = {}): Command => ({
  kind: 'emit',
  event: { user_id: extra.user ?? 'u1', event: 'purchase.completed', transaction_id: tx, context: { amount: extra.amount ?? 100 } },
  origin: { id: tx, ...(extra.group !== undefined && { group: extra.group }) },
});
/** An identify command as the identify function makes it from an SQS body. */
const identify = (body: unknown, origin: Origin = {}): Command => identifyFunction.parseRecord!(body, {}, origin);
const run = (commands: Command[], deadlineMs = 5_000, concurrency = 4) =>
  runCommands(commands, { client, deadline: Date.now() + deadlineMs, concurrency });

describe('runCommands', () => {
  it('sends a repeated transaction id once and gives both records its outcome', async () => {
    const outcomes = await run([emit('a'), emit('b'), emit('a')]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(outcomes[2]).toBe(outcomes[0]);
    expect(emulator.ledger().requests.by_route).toEqual({ 'POST /v1/events:batch': 1 });
    expect(emulator.ledger().applied).toBe(2);
  });

  it('fails a repeated transaction id with another payload as a conflict, without sending it', async () => {
    const outcomes = await run([emit('a', { amount: 1 }), emit('a', { amount: 2 })]);
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { name: 'PerkamoValidationError', reason: 'conflict', field: 'transaction_id' } });
    expect((outcomes[1] as { error: Error }).error).toBeInstanceOf(PerkamoValidationError);
  });

  it('maps a Perkamo per-item refusal in a batch to that record alone', async () => {
    await run([emit('known', { amount: 1 })]);
    const outcomes = await run([emit('fresh'), emit('known', { amount: 999 })]);
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: 'transaction_id_conflict' } });
    expect((outcomes[1] as { error: Error }).error).toBeInstanceOf(PerkamoItemRejectedError);
  });

  it('splits 230 events into calls of 100, 100 and 30 and keeps each outcome in place', async () => {
    const commands = Array.from({ length: 230 }, (_, i) => emit(`t${i}`, { user: `u${i % 5}`, amount: i }));
    const outcomes = await run(commands);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const ledger = emulator.ledger();
    expect(ledger.requests.by_route['POST /v1/events:batch']).toBe(3);
    const byTx = new Map(ledger.events.map((e) => [e.transaction_id, e.user_id]));
    commands.forEach((c, i) => expect(byTx.get(`t${i}`)).toBe(c.kind === 'emit' ? c.event.user_id : undefined));
  });

  it('FIFO: a failed call stops every group in it; nothing later of those groups is sent', async () => {
    // 150 events of group A then one of B: the first call holds a0 and b0 (one record per group), gets a
    // 500, and this client does not retry: both groups stop, their later records are blocked unsent.
    const c = createPerkamoClient({ apiKey: emulator.keys.server[0]!, baseUrl: emulator.url });
    emulator.setFaults([{ kind: 'error_before', status: 500, times: 1 }]);
    const commands = [...Array.from({ length: 150 }, (_, i) => emit(`a${i}`, { group: 'A' })), emit('b0', { group: 'B' })];
    const outcomes = await runCommands(commands, { client: c, deadline: Date.now() + 5_000, concurrency: 4 });
    expect(outcomes[0]).toMatchObject({ ok: false, error: { name: 'PerkamoApiError' } });
    expect(outcomes[150]).toMatchObject({ ok: false, error: { name: 'PerkamoApiError' } });
    expect(outcomes.slice(1, 150).every((o) => !o.ok && o.error instanceof GroupBlockedError)).toBe(true);
    expect(emulator.ledger().requests.total).toBe(1);
    expect(emulator.ledger().events).toEqual([]);
  });

  it('FIFO: a group puts one record per call, so a per-item refusal keeps the rest of its group unsent', async () => {
    await run([emit('a1', { amount: 1 })]); // a lone emit: POST /v1/events
    const commands = [
      emit('a1', { group: 'A', amount: 999 }), // refused by Perkamo as an item of the call: the id is used
      emit('a2', { group: 'A' }),
      emit('a3', { group: 'A' }),
      emit('b1', { group: 'B' }),
      emit('b2', { group: 'B' }),
    ];
    const outcomes = await run(commands);
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: 'transaction_id_conflict' } });
    expect(outcomes.slice(1, 3).every((o) => !o.ok && o.error instanceof GroupBlockedError)).toBe(true);
    expect(outcomes.slice(3).every((o) => o.ok)).toBe(true);
    expect(emulator.ledger().events.map((e) => e.transaction_id).sort()).toEqual(['a1', 'b1', 'b2']);
    // Round one: a1 and b1 in one call; round two: b2.
    expect(emulator.ledger().requests.by_route['POST /v1/events:batch']).toBe(2);
  });

  it('FIFO: ten groups of one record each still share one call', async () => {
    const outcomes = await run(Array.from({ length: 10 }, (_, i) => emit(`g${i}`, { group: `G${i}` })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(emulator.ledger().requests.by_route).toEqual({ 'POST /v1/events:batch': 1 });
  });

  it('FIFO: a repeat of a transaction in another group waits for the first and shares its outcome, sent once', async () => {
    const outcomes = await run([emit('x', { group: 'A' }), emit('a2', { group: 'A' }), emit('b1', { group: 'B' }), emit('x', { group: 'B' }), emit('b3', { group: 'B' })]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes[3]).toBe(outcomes[0]);
    expect(emulator.ledger().events.map((e) => e.transaction_id).sort()).toEqual(['a2', 'b1', 'b3', 'x']);
    expect(emulator.ledger().duplicates.total).toBe(0);
  });

  const plan = (version: number, group = 'P'): Command => identify({ user_id: 'fifo-user', traits: { plan: `v${version}` } }, { id: `m${version}`, group });

  it('FIFO identify: a group runs one record at a time, in order, even when the first is slow', async () => {
    emulator.setFaults([{ kind: 'latency', latencyMs: 300, routes: ['/v1/identify'], times: 1 }]);
    const outcomes = await run([1, 2, 3, 4].map((v) => plan(v)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(emulator.customer('fifo-user')?.traits).toEqual({ plan: 'v4' });
  });

  it('FIFO identify: after a record fails for good, the rest of its group is not sent', async () => {
    const c = createPerkamoClient({ apiKey: emulator.keys.server[0]!, baseUrl: emulator.url, retry: { attempts: 3, baseDelayMs: 1 } });
    emulator.setFaults([{ kind: 'error_before', status: 503, routes: ['/v1/identify'], times: 3 }]);
    const outcomes = await runCommands([1, 2, 3].map((v) => plan(v)), { client: c, deadline: Date.now() + 5_000, concurrency: 4 });
    expect(outcomes[0]).toMatchObject({ ok: false, error: { name: 'PerkamoApiError', status: 503 } });
    expect(outcomes.slice(1).every((o) => !o.ok && o.error instanceof GroupBlockedError)).toBe(true);
    expect(emulator.customer('fifo-user')).toBeUndefined();
    expect(emulator.ledger().requests.total).toBe(3);
  });

  it('with the deadline already near, nothing is started and every record fails', async () => {
    const outcomes = await run([emit('x'), emit('y')], 10);
    expect(outcomes.every((o) => !o.ok && o.error instanceof PerkamoDeadlineExceededError)).toBe(true);
    expect(emulator.ledger().requests.total).toBe(0);
  });

  it('runs identify and mint commands beside emits', async () => {
    const outcomes = await runCommands(
      [
        identify({ user_id: 'u9', traits: { plan: 'pro' } }),
        ...streamTokenFunction.parsePayload({}, {}, { userId: 'u9', scopes: [] }),
        emit('m1', { user: 'u9' }),
      ],
      { client, deadline: Date.now() + 5_000, concurrency: 2, browserKey: emulator.keys.browser[0]!, streamTokenTtlSeconds: 60 },
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect((outcomes[1] as { value: { expires_in: number } }).value.expires_in).toBe(60);
    expect(emulator.customer('u9')?.traits).toEqual({ plan: 'pro' });
  });

  it('answers identify with the trait names, never their values, and keeps the request id', async () => {
    await client.identify('u8', { email: 'u8@example.test' });
    const [outcome] = await runCommands([identify({ user_id: 'u8', traits: { plan: 'gold' } })], {
      client,
      deadline: Date.now() + 5_000,
      concurrency: 1,
    });
    const value = (outcome as { ok: true; value: Record<string, unknown> }).value;
    expect(value.user_id).toBe('u8');
    expect(value.trait_names).toEqual(['email', 'plan']);
    expect(value).not.toHaveProperty('traits');
    expect(JSON.stringify(value)).not.toMatch(/gold|u8@example/);
    expect(responseMeta(value)?.requestId).toMatch(/\S/);
    expect(emulator.customer('u8')?.traits).toEqual({ email: 'u8@example.test', plan: 'gold' });
  });

  it('a whole-call 422 caused by one event is narrowed down by halves: the others are applied, only it fails', async () => {
    // A Perkamo that refuses any call holding the poison event, as a whole (no per-item results).
    const strict = await startLoopbackServer((req, res) => {
      const { events } = req.json() as { events: { transaction_id: string }[] };
      if (events.some((e) => e.transaction_id === 'poison')) json(res, 422, { message: 'context.amount is not allowed', code: 'invalid_context' });
      else json(res, 200, { results: events.map((e) => ingestResult({ transaction_id: e.transaction_id })) });
    });
    try {
      const c = createPerkamoClient({ apiKey: 'sk_test', baseUrl: strict.url });
      const commands = Array.from({ length: 100 }, (_, i) => emit(i === 37 ? 'poison' : `ok${i}`));
      const outcomes = await runCommands(commands, { client: c, deadline: Date.now() + 5_000, concurrency: 4 });
      expect(outcomes.filter((o) => !o.ok)).toHaveLength(1);
      expect(outcomes[37]).toMatchObject({ ok: false, error: { name: 'PerkamoApiError', status: 422, code: 'invalid_context' } });
      // 1 + 2 per level down to the lone event: 1 + 2·7 calls at most.
      expect(strict.requests.length).toBeLessThanOrEqual(15);
      const applied = strict.requests.filter((r) => !r.json().events.some((e: { transaction_id: string }) => e.transaction_id === 'poison'));
      expect(applied.flatMap((r) => r.json().events).length).toBe(99);
    } finally {
      await strict.close();
    }
  });

  it('a whole-call refusal of the key is not narrowed down: every record fails after one call', async () => {
    const refusing = await startLoopbackServer((_req, res) => json(res, 401, { message: 'unknown key' }));
    try {
      const c = createPerkamoClient({ apiKey: 'sk_test', baseUrl: refusing.url });
      const outcomes = await runCommands(Array.from({ length: 10 }, (_, i) => emit(`k${i}`)), { client: c, deadline: Date.now() + 5_000, concurrency: 4 });
      expect(outcomes.every((o) => !o.ok)).toBe(true);
      expect(refusing.requests).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });
});
