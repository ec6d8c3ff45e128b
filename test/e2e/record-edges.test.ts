// Records as producers really send them (issue 13, defects 5 and 7), against the built functions
// and the emulator: a producer's repeat of a body with its own transaction_id is a duplicate, not a
// conflict; a bad Idempotency-Key is named as such; an empty body says so; an SQS record without a
// messageId is never sent as `sqs:undefined` and still comes back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { eventBridgeEvent, httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, loadFunction, type Handler } from '../helpers/functions.ts';

let emulator: Emulator;
const fn: Record<string, Handler> = {};

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  for (const name of ['emit', 'batch']) fn[name] = await loadFunction(name, functionEnv(emulator));
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const purchase = { user_id: 'u1', event: 'purchase.completed', transaction_id: 'order-77', context: { amount: 500 } };

describe("a producer's repeat", () => {
  it('SQS: the same body with its own transaction_id in two messages sent an hour apart is applied once, the repeat a duplicate', async () => {
    const first = sqsEvent([{ body: purchase }]);
    const repeat = sqsEvent([{ body: purchase }]);
    (repeat.Records[0]!.attributes as Record<string, string>).SentTimestamp = String(Number(first.Records[0]!.attributes.SentTimestamp) + 3_600_000);
    expect(await fn.batch!(first, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await fn.batch!(repeat, lambdaContext())).toEqual({ batchItemFailures: [] });
    const ledger = emulator.ledger();
    expect(ledger.applied).toBe(1);
    expect(ledger.duplicates.total).toBe(1);
    expect(ledger.conflicts.total).toBe(0);
  });

  it('EventBridge: the same detail in two events with other ids and times is applied once, the repeat a duplicate', async () => {
    const first = eventBridgeEvent(purchase);
    const repeat = { ...eventBridgeEvent(purchase), time: '2026-11-25T13:00:00Z' };
    await expect(fn.emit!(first, lambdaContext())).resolves.toMatchObject({ applied: true });
    await expect(fn.emit!(repeat, lambdaContext())).resolves.toMatchObject({ duplicate: true });
    expect(emulator.ledger().conflicts.total).toBe(0);
  });

  it('a body without a transaction_id still takes the message id and its sent time together', async () => {
    const { transaction_id: _none, ...body } = purchase;
    const event = sqsEvent([{ body }]);
    expect(await fn.batch!(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    const [entry] = emulator.ledger().events;
    expect(entry?.transaction_id).toBe(`sqs:${event.Records[0]!.messageId}`);
    expect(Date.parse(entry?.occurred_at ?? '')).toBe(Number(event.Records[0]!.attributes.SentTimestamp));
  });
});

describe('small things, said plainly', () => {
  it.each([
    ['300 bytes long', 'k'.repeat(300), /'Idempotency-Key' is 300 bytes; the limit is 252 bytes/],
    ['with a control character', 'key\u0001one', /'Idempotency-Key' contains a control character/],
  ])('an Idempotency-Key %s is refused under its own name, never sent', async (_what, key, message) => {
    const { transaction_id: _none, ...body } = purchase;
    const res = await fn.emit!(httpApiEvent('POST /events', body, { ...(await bearer('backend')), 'Idempotency-Key': key }), lambdaContext());
    expect(res.statusCode).toBe(400);
    const { error } = JSON.parse(res.body);
    expect(error.field).toBe('Idempotency-Key');
    expect(error.message).toMatch(message);
    expect(emulator.ledger().requests.total).toBe(0);
  });

  it('a 252-byte Idempotency-Key still fits a batch of 100 (`<key>:99` is 255 bytes)', async () => {
    const key = 'k'.repeat(252);
    const events = Array.from({ length: 100 }, (_, i) => ({ user_id: 'u1', event: 'page.viewed', context: { i } }));
    const res = await fn.batch!(httpApiEvent('POST /events/batch', { events }, { ...(await bearer('backend')), 'Idempotency-Key': key }), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(emulator.ledger().events.at(-1)?.transaction_id).toBe(`${key}:99`);
  });

  it('an HTTP request with body null is told the body is empty', async () => {
    const event = { ...httpApiEvent('POST /events', undefined, await bearer('backend')), body: null };
    const res = await fn.emit!(event, lambdaContext());
    expect(res.statusCode).toBe(400);
    const { error } = JSON.parse(res.body);
    expect(error.message).toBe('the event is missing: send it as a JSON object (the body or payload is empty)');
    expect(error.message).not.toMatch(/undefined/);
  });

  it('an SQS record without a messageId is not sent; the batch answer makes Lambda redeliver the whole batch', async () => {
    const event = sqsEvent([{ body: purchase }, { body: { ...purchase, transaction_id: undefined } }]);
    delete (event.Records[1] as { messageId?: string }).messageId;
    const answer = await fn.batch!(event, lambdaContext());
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: '' }]);
    expect(emulator.ledger().events.map((e) => e.transaction_id)).toEqual(['order-77']);
    expect(JSON.stringify(emulator.ledger())).not.toContain('sqs:undefined');
  });
});
