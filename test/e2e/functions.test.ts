import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { eventBridgeEvent, httpApiEvent, lambdaContext, restApiEvent, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, loadFunction, token, type Handler } from '../helpers/functions.ts';

let emulator: Emulator;
const fn: Record<string, Handler> = {};

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  for (const name of ['emit', 'batch', 'identify', 'stream-token']) fn[name] = await loadFunction(name, functionEnv(emulator));
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  emulator.setFaults([]);
});

const purchase = (user: string, tx: string, amount = 12900) => ({
  user_id: user,
  event: 'purchase.completed',
  transaction_id: tx,
  context: { order_id: tx, amount },
});
const parse = (response: { body: string }) => JSON.parse(response.body);
const apiRequests = () => emulator.ledger().requests.total;

describe('emit', () => {
  it('HTTP API 2.0: applies the event and answers with the result and the Perkamo request id', async () => {
    const res = await fn.emit!(httpApiEvent('POST /events', purchase('u1', 'order_1'), await bearer('backend')), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-perkamo-request-id']).toMatch(/^req_/);
    const body = parse(res);
    expect(body).toMatchObject({ applied: true, duplicate: false, wallet_state: { points: expect.any(Number) } });
    expect(emulator.ledger().events.map((e) => e.transaction_id)).toEqual(['order_1']);
  });

  it('Idempotency-Key becomes the transaction id; a client retry is a duplicate, applied once', async () => {
    const { transaction_id: _omit, ...event } = purchase('u1', 'x');
    const headers = { ...(await bearer('backend')), 'Idempotency-Key': 'checkout-42' };
    const first = parse(await fn.emit!(httpApiEvent('POST /events', event, headers), lambdaContext()));
    const again = parse(await fn.emit!(httpApiEvent('POST /events', event, headers), lambdaContext()));
    expect(first).toMatchObject({ applied: true, duplicate: false });
    expect(again).toMatchObject({ applied: false, duplicate: true });
    expect(emulator.ledger().events.map((e) => e.transaction_id)).toEqual(['checkout-42']);
  });

  it('REST API 1.0 and base64 bodies are understood', async () => {
    const auth = await bearer('backend');
    const rest = await fn.emit!(restApiEvent('POST /events', purchase('u1', 'rest_1'), { Authorization: auth.authorization }), lambdaContext());
    expect(rest.statusCode).toBe(200);
    const b64 = await fn.emit!(httpApiEvent('POST /events', purchase('u1', 'b64_1'), auth, { base64: true }), lambdaContext());
    expect(b64.statusCode).toBe(200);
    expect(emulator.ledger().applied).toBe(2);
  });

  it('EventBridge: detail is the event; the transaction id defaults to eb:<id> and occurred_at to the event time', async () => {
    const { transaction_id: _omit, ...detail } = purchase('u2', 'x');
    const event = eventBridgeEvent(detail, 'purchase.completed', 'evt-123');
    const result = await fn.emit!(event, lambdaContext());
    expect(result).toMatchObject({ applied: true });
    await fn.emit!(event, lambdaContext());
    const ledger = emulator.ledger();
    expect(ledger.events).toMatchObject([{ transaction_id: 'eb:evt-123', occurred_at: expect.stringMatching(/^2026-11-25T12:00:00/) }]);
    expect(ledger.duplicates.total).toBe(1);
  });

  it('EventBridge: a bad detail throws (for Lambda retries and the DLQ) and is never sent', async () => {
    await expect(fn.emit!(eventBridgeEvent({ user_id: 'u1', event: 'a.b', context: { xp: 5 } }), lambdaContext())).rejects.toMatchObject({
      name: 'PerkamoValidationError',
      field: 'context.xp',
    });
    expect(apiRequests()).toBe(0);
  });

  it('direct invoke: the payload is the event; errors are thrown typed', async () => {
    expect(await fn.emit!(purchase('u3', 'direct_1'), lambdaContext())).toMatchObject({ applied: true });
    const context = lambdaContext();
    await fn.emit!({ user_id: 'u3', event: 'page.viewed' }, context);
    expect(emulator.ledger().events.map((e) => e.transaction_id)).toEqual(['direct_1', `lambda:${context.awsRequestId}`]);
    await expect(fn.emit!({ user_id: '', event: 'page.viewed', transaction_id: 't' }, lambdaContext())).rejects.toMatchObject({
      name: 'PerkamoValidationError',
      field: 'user_id',
    });
  });
});

describe('batch', () => {
  it('HTTP: a batch of events, results in order', async () => {
    const events = [purchase('u1', 'b1'), purchase('u2', 'b2'), { user_id: 'u1', event: 'lesson.finished', transaction_id: 'b3' }];
    const res = await fn.batch!(httpApiEvent('POST /events/batch', { events }, await bearer('backend')), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(parse(res).results).toHaveLength(3);
    expect(emulator.ledger().events.map((e) => e.transaction_id)).toEqual(['b1', 'b2', 'b3']);
  });

  it('direct invoke of { events } answers { results }', async () => {
    const answer = await fn.batch!({ events: [purchase('u1', 'd1'), purchase('u1', 'd2')] }, lambdaContext());
    expect(answer.results.map((r: { applied: boolean }) => r.applied)).toEqual([true, true]);
  });

  it('SQS: 250 records become three Perkamo batch calls, each record mapped back, none failed', async () => {
    const messages = Array.from({ length: 250 }, (_, i) => ({ body: purchase(`user_${i % 7}`, `sqs_order_${i}`, 100 + i) }));
    const answer = await fn.batch!(sqsEvent(messages), lambdaContext());
    expect(answer).toEqual({ batchItemFailures: [] });
    const ledger = emulator.ledger();
    expect(ledger.applied).toBe(250);
    expect(ledger.requests.by_route).toEqual({ 'POST /v1/events:batch': 3 });
    expect(new Set(ledger.events.map((e) => e.request_id)).size).toBe(3);
  });

  it('SQS: a transaction id defaults to sqs:<messageId>; redelivery is applied once and reported success', async () => {
    const messages = [0, 1, 2].map((i) => ({ messageId: `m-${i}`, body: { user_id: 'u1', event: 'page.viewed', context: { n: i } } }));
    expect(await fn.batch!(sqsEvent(messages), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await fn.batch!(sqsEvent(messages), lambdaContext())).toEqual({ batchItemFailures: [] });
    const ledger = emulator.ledger();
    expect(ledger.events.map((e) => e.transaction_id)).toEqual(['sqs:m-0', 'sqs:m-1', 'sqs:m-2']);
    expect(ledger.duplicates.total).toBe(3);
  });

  it('SQS: only poison records fail, and they never reach Perkamo', async () => {
    const messages = [
      { messageId: 'ok-1', body: purchase('u1', 'p1') },
      { messageId: 'bad-json', body: '{"user_id":' },
      { messageId: 'reserved', body: { user_id: 'u1', event: 'a.b', transaction_id: 'p2', context: { Wallet: 1 } } },
      { messageId: 'ok-2', body: purchase('u1', 'p3') },
    ];
    const answer = await fn.batch!(sqsEvent(messages), lambdaContext());
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'bad-json' }, { itemIdentifier: 'reserved' }]);
    expect(emulator.ledger().events.map((e) => e.transaction_id)).toEqual(['p1', 'p3']);
  });

  it('SQS FIFO: after a failed record the rest of its group fails too, other groups go on', async () => {
    const messages = [
      { messageId: 'a1', group: 'A', body: purchase('ua', 'fa1') },
      { messageId: 'a2', group: 'A', body: { user_id: 'ua', event: '' } },
      { messageId: 'a3', group: 'A', body: purchase('ua', 'fa3') },
      { messageId: 'b1', group: 'B', body: purchase('ub', 'fb1') },
    ];
    const answer = await fn.batch!(sqsEvent(messages, 'perkamo-events.fifo'), lambdaContext());
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }, { itemIdentifier: 'a3' }]);
    expect(emulator.ledger().events.map((e) => e.transaction_id).sort()).toEqual(['fa1', 'fb1']);
  });

  it('SQS FIFO, all records valid: one record of a group per call, so a record Perkamo refuses keeps the rest of its group unsent', async () => {
    await fn.batch!(sqsEvent([{ messageId: 'k0', body: purchase('ua', 'fk1', 1) }]), lambdaContext());
    const messages = [
      { messageId: 'k1', group: 'A', body: purchase('ua', 'fk1', 999) }, // the id is used with another payload: refused as an item
      { messageId: 'k2', group: 'A', body: purchase('ua', 'fk2') },
      { messageId: 'k3', group: 'B', body: purchase('ub', 'fk3') },
    ];
    const answer = await fn.batch!(sqsEvent(messages, 'perkamo-events.fifo'), lambdaContext());
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'k1' }, { itemIdentifier: 'k2' }]);
    expect(emulator.ledger().events.map((e) => e.transaction_id).sort()).toEqual(['fk1', 'fk3']);
  });

  it('300 ms left and 1 s of Perkamo latency: every record fails and the handler returns before the deadline', async () => {
    emulator.setFaults([{ kind: 'latency', latencyMs: 1_000 }]);
    const messages = Array.from({ length: 5 }, (_, i) => ({ messageId: `late-${i}`, body: purchase('u1', `late_${i}`) }));
    const context = lambdaContext(300);
    const answer = await fn.batch!(sqsEvent(messages), context);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(answer.batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier)).toEqual(messages.map((m) => m.messageId));
  });

  it('Perkamo 5xx after applying, then success on redelivery: applied exactly once', async () => {
    emulator.setFaults([{ kind: 'error_after', times: 4 }]);
    const messages = Array.from({ length: 3 }, (_, i) => ({ messageId: `ea-${i}`, body: purchase('u1', `ea_${i}`) }));
    const first = await fn.batch!(sqsEvent(messages), lambdaContext(2_000));
    const second = await fn.batch!(sqsEvent(messages), lambdaContext(2_000));
    expect(second).toEqual({ batchItemFailures: [] });
    expect(emulator.ledger().faults.error_after).toBeGreaterThanOrEqual(1);
    expect(first.batchItemFailures.length).toBeLessThanOrEqual(3);
    const ledger = emulator.ledger();
    expect(ledger.events.map((e) => e.transaction_id).sort()).toEqual(['ea_0', 'ea_1', 'ea_2']);
  });
});

describe('identify', () => {
  it('HTTP, SQS, EventBridge and direct invokes all update traits', async () => {
    const res = await fn.identify!(
      httpApiEvent('POST /identify', { user_id: 'c1', traits: { plan: 'pro' } }, await bearer('backend', ['perkamo:identify'])),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(200);
    expect(await fn.identify!(sqsEvent([{ body: { user_id: 'c2', traits: { plan: 'free' } } }]), lambdaContext())).toEqual({ batchItemFailures: [] });
    await fn.identify!(eventBridgeEvent({ user_id: 'c3', traits: { plan: 'team' } }, 'customer.updated'), lambdaContext());
    await fn.identify!({ user_id: 'c4', traits: { plan: 'trial' } }, lambdaContext());
    expect(['c1', 'c2', 'c3', 'c4'].map((id) => emulator.customer(id)?.traits.plan)).toEqual(['pro', 'free', 'team', 'trial']);
  });

  it('needs the perkamo:identify scope', async () => {
    const res = await fn.identify!(httpApiEvent('POST /identify', { user_id: 'c1' }, await bearer('backend', ['perkamo:emit'])), lambdaContext());
    expect(res.statusCode).toBe(403);
    expect(parse(res).error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('perkamo:identify') });
  });
});

describe('stream-token', () => {
  it('mints a stream token for the authenticated user, not cached', async () => {
    const res = await fn['stream-token']!(httpApiEvent('POST /stream-token', {}, await bearer('customer_9', [])), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = parse(res);
    expect(body).toMatchObject({ token: expect.any(String), token_type: 'Bearer', expires_in: 120 });
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'customer_9', scope: ['stream:read'] });
  });

  it.each([
    ['no Authorization header', async () => ({}), 401],
    ['an expired token', async () => ({ authorization: `Bearer ${await token('u1', [], { expiresIn: Math.floor(Date.now() / 1000) - 60 })}` }), 401],
    ['a token for another audience', async () => ({ authorization: `Bearer ${await token('u1', [], { audience: 'someone-else' })}` }), 401],
  ])('refuses %s', async (_name, headers, status) => {
    const res = await fn['stream-token']!(httpApiEvent('POST /stream-token', {}, await headers()), lambdaContext());
    expect(res.statusCode).toBe(status);
    expect(parse(res).error.code).toBe('unauthorized');
    expect(apiRequests()).toBe(0);
  });

  it('refuses to mint for another user (403)', async () => {
    const res = await fn['stream-token']!(httpApiEvent('POST /stream-token', { user_id: 'victim' }, await bearer('attacker', [])), lambdaContext());
    expect(res.statusCode).toBe(403);
    expect(apiRequests()).toBe(0);
  });
});

describe('HTTP errors', () => {
  it.each([
    ['a missing field', { event: 'a.b', transaction_id: 't' }, 'user_id'],
    ['a reserved context key', { user_id: 'u', event: 'a.b', transaction_id: 't', context: { LEVEL: 3 } }, 'context.LEVEL'],
    ['no transaction id and no Idempotency-Key', { user_id: 'u', event: 'a.b' }, 'transaction_id'],
    ['a camelCase field', { userId: 'u', event: 'a.b', transaction_id: 't' }, 'userId'],
  ])('%s → 400 naming the field, nothing sent', async (_name, body, field) => {
    const res = await fn.emit!(httpApiEvent('POST /events', body, await bearer('backend')), lambdaContext());
    expect(res.statusCode).toBe(400);
    expect(parse(res).error).toMatchObject({ code: 'validation_failed', field });
    expect(apiRequests()).toBe(0);
  });

  it('malformed JSON → 400 invalid_json; a form body → 415', async () => {
    const auth = await bearer('backend');
    const bad = await fn.emit!(httpApiEvent('POST /events', undefined, auth, { rawBody: '{"user_id":' }), lambdaContext());
    expect(bad.statusCode).toBe(400);
    expect(parse(bad).error.code).toBe('invalid_json');
    const form = await fn.emit!(httpApiEvent('POST /events', undefined, { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, { rawBody: 'a=1' }), lambdaContext());
    expect(form.statusCode).toBe(415);
  });

  it('Perkamo 429 → 429 with Retry-After; Perkamo 5xx → 502; both with the Perkamo request id', async () => {
    emulator.setFaults([{ kind: 'rate_limit', retryAfterSeconds: 7 }]);
    const limited = await fn.emit!(httpApiEvent('POST /events', purchase('u1', 'rl'), await bearer('backend')), lambdaContext(1_000));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(parse(limited).error).toMatchObject({ code: 'rate_limited', request_id: expect.stringMatching(/^req_/) });
    emulator.setFaults([{ kind: 'error_before', status: 503 }]);
    const down = await fn.emit!(httpApiEvent('POST /events', purchase('u1', 'down'), await bearer('backend')), lambdaContext(1_500));
    expect(down.statusCode).toBe(502);
    expect(parse(down).error.code).toBe('perkamo_unavailable');
  });

  it('an unknown route is 404 and a GET is 405', async () => {
    const auth = await bearer('backend');
    expect((await fn.emit!(httpApiEvent('POST /nope', {}, auth), lambdaContext())).statusCode).toBe(404);
    expect((await fn.emit!(httpApiEvent('GET /events', undefined, auth), lambdaContext())).statusCode).toBe(405);
  });
});

describe('server key from Secrets Manager', () => {
  it('the built bundle reads PERKAMO_SECRET_ARN through the AWS SDK (mocked), once per TTL', async () => {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const { mockClient } = await import('aws-sdk-client-mock');
    const secrets = mockClient(SecretsManagerClient);
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:perkamo-server-key-AbCdEf';
    secrets.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: JSON.stringify({ PERKAMO_SECRET_KEY: emulator.keys.server[0] }) });
    try {
      const { PERKAMO_SECRET_KEY: _drop, ...env } = functionEnv(emulator);
      const batch = await loadFunction('batch', { ...env, PERKAMO_SECRET_ARN: arn, AWS_REGION: 'eu-central-1' });
      expect(await batch(sqsEvent([{ body: purchase('u1', 'sm_1') }]), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await batch(sqsEvent([{ body: purchase('u1', 'sm_2') }]), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(emulator.ledger().applied).toBe(2);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    } finally {
      secrets.restore();
    }
  });
});

describe('stream-token CORS', () => {
  const origin = 'https://app.example.com';
  let streamToken: Handler;
  beforeAll(async () => {
    streamToken = await loadFunction('stream-token', functionEnv(emulator, { CORS_ALLOWED_ORIGINS: origin }));
  });

  it('answers a preflight from an allowed origin, and refuses another origin', async () => {
    const ok = await streamToken(httpApiEvent('OPTIONS /stream-token', undefined, { origin }), lambdaContext());
    expect(ok.statusCode).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': origin, 'access-control-allow-headers': expect.stringContaining('authorization') });
    const other = await streamToken(httpApiEvent('OPTIONS /stream-token', undefined, { origin: 'https://evil.example' }), lambdaContext());
    expect(other.statusCode).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('adds the allowed origin to answers and errors alike, and no-store to both', async () => {
    const minted = await streamToken(httpApiEvent('POST /stream-token', {}, { origin, ...(await bearer('u1', [])) }), lambdaContext());
    expect(minted.statusCode).toBe(200);
    expect(minted.headers).toMatchObject({ 'access-control-allow-origin': origin, 'cache-control': 'no-store', vary: 'origin' });
    const refused = await streamToken(httpApiEvent('POST /stream-token', {}, { origin }), lambdaContext());
    expect(refused.statusCode).toBe(401);
    expect(refused.headers).toMatchObject({ 'access-control-allow-origin': origin, 'www-authenticate': 'Bearer' });
  });
});

describe('partial batch failures', () => {
  it('HTTP: the first failure decides the status, each event has its result or error, and a resend is safe', async () => {
    await fn.emit!(purchase('u1', 'taken'), lambdaContext());
    const events = [purchase('u1', 'fresh_1'), { ...purchase('u1', 'taken'), context: { amount: 1 } }];
    const auth = await bearer('backend');
    const res = await fn.batch!(httpApiEvent('POST /events/batch', { events }, auth), lambdaContext());
    expect(res.statusCode).toBe(409);
    const body = parse(res);
    expect(body.error).toMatchObject({ code: 'transaction_id_conflict', message: expect.stringMatching(/^1 of 2 events failed/) });
    expect(body.results[0]).toMatchObject({ applied: true });
    expect(body.results[1].error.code).toBe('transaction_id_conflict');
    const again = parse(await fn.batch!(httpApiEvent('POST /events/batch', { events: [events[0]] }, auth), lambdaContext()));
    expect(again.results[0]).toMatchObject({ duplicate: true });
  });

  it('direct: throws BatchItemsFailedError with per-event results', async () => {
    await fn.emit!(purchase('u1', 'taken_d'), lambdaContext());
    const error = await fn.batch!({ events: [purchase('u1', 'fresh_d'), { ...purchase('u1', 'taken_d'), context: { amount: 2 } }] }, lambdaContext()).catch((e) => e);
    expect(error).toMatchObject({ name: 'BatchItemsFailedError', status: 409 });
    expect(error.details.results[0]).toMatchObject({ applied: true });
  });
});
