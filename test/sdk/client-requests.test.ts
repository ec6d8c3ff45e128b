import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkedEvent, toCheckedBatchEvents } from '../../src/core/validation.ts';
import { createPerkamoClient, responseMeta, toBatchEvents, verifySignature, type PerkamoRequestInit } from '../../src/sdk/index.ts';
import { ingestResult, json, startLoopbackServer } from '../helpers/loopback-server.ts';

const apiKey = 'sk_test_secret';
let server: Awaited<ReturnType<typeof startLoopbackServer>>;

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => json(res, 200, req.url.endsWith('/v1/events') ? ingestResult() : {}));
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function client(extra: Partial<Parameters<typeof createPerkamoClient>[0]> = {}) {
  return createPerkamoClient({ apiKey, baseUrl: server.url, ...extra });
}

/** What a Perkamo server does: recompute the signature from the raw bytes it received. */
function expectSignedByReceiver(index = -1) {
  const req = server.requests.at(index)!;
  const [path] = req.url.split('?');
  expect(req.headers['x-perkamo-timestamp']).toMatch(/^\d{10}$/);
  expect(
    verifySignature({
      apiKey,
      timestamp: String(req.headers['x-perkamo-timestamp']),
      method: req.method,
      path: path!,
      body: req.body,
      signature: String(req.headers['x-perkamo-signature']),
    }),
  ).toBe(true);
  expect(Math.abs(Number(req.headers['x-perkamo-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
}

describe('requests on the wire', () => {
  it('emit posts the event, signed, with a generated tx id when none is given', async () => {
    server.enqueue((_req, res) => json(res, 200, ingestResult(), { 'x-perkamo-request-id': 'req_emit_1' }));
    const result = await client().emit('customer_123', 'purchase.completed', { order_id: 'o1', amount: 12900 });
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/events');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['x-perkamo-api-key']).toBe(apiKey);
    expect(req.headers['user-agent']).toMatch(/^perkamo-lambda\/\d+\.\d+\.\d+$/);
    const body = req.json();
    expect(body).toEqual({
      user_id: 'customer_123',
      event: 'purchase.completed',
      transaction_id: expect.stringMatching(/^tx_[0-9a-f-]{36}$/),
      context: { order_id: 'o1', amount: 12900 },
    });
    expectSignedByReceiver();
    expect(result).toEqual(ingestResult());
    // The bytes on the wire, as the server got and sent them.
    expect(responseMeta(result)).toEqual({
      status: 200,
      requestId: 'req_emit_1',
      rateLimit: undefined,
      attempts: 1,
      requestBytes: Buffer.byteLength(req.body),
      responseBytes: Buffer.byteLength(JSON.stringify(ingestResult())),
    });
  });

  it('emit sends txId and occurredAt (Date or string) as given', async () => {
    await client().emit('customer_123', 'purchase.completed', {}, {
      txId: 'order_1092',
      occurredAt: new Date('2026-06-01T10:00:00.000Z'),
    });
    await client().emit('customer_123', 'lesson.finished', undefined, {
      txId: 'lesson:intro',
      occurredAt: '2026-06-01T12:00:00+02:00',
    });
    expect(server.requests[0]!.json()).toMatchObject({ transaction_id: 'order_1092', occurred_at: '2026-06-01T10:00:00.000Z' });
    expect(server.requests[1]!.json()).toEqual({
      user_id: 'customer_123',
      event: 'lesson.finished',
      transaction_id: 'lesson:intro',
      context: {},
      occurred_at: '2026-06-01T12:00:00+02:00',
    });
  });

  it('batch posts to /v1/events:batch, Dates turned into ISO strings, results kept in order', async () => {
    server.enqueue((req, res) =>
      json(res, 200, { results: req.json().events.map((_: unknown, i: number) => ingestResult({ wallet_state: { points: i } })) }),
    );
    const events = [
      { user_id: 'u1', event: 'lesson.finished', transaction_id: 'lesson:intro:user:u1', context: { lesson_id: 'intro' } },
      { user_id: 'u2', event: 'page.viewed', transaction_id: 'pv:2', occurred_at: new Date('2026-06-01T10:00:00Z') },
    ];
    const result = await client().batch(events);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/events:batch');
    expect(req.json()).toEqual({
      events: [events[0], { ...events[1], occurred_at: '2026-06-01T10:00:00.000Z' }],
    });
    expectSignedByReceiver();
    expect(result.results.map((r) => r.wallet_state.points)).toEqual([0, 1]);
  });

  it('identify posts user_id and traits, undefined traits dropped', async () => {
    server.enqueue((_req, res) => json(res, 200, { user_id: 'customer_123' }));
    const answer = await client().identify('customer_123', {
      email: 'customer@example.test',
      name: 'Customer Test',
      crm_id: 'crm_123',
      locale: undefined,
    });
    const req = server.requests[0]!;
    expect(req.url).toBe('/v1/identify');
    expect(req.body.toString()).toBe(
      '{"user_id":"customer_123","traits":{"email":"customer@example.test","name":"Customer Test","crm_id":"crm_123"}}',
    );
    expectSignedByReceiver();
    expect(answer).toEqual({ user_id: 'customer_123' });

    await client().identify('customer_9');
    expect(server.requests[1]!.json()).toEqual({ user_id: 'customer_9', traits: {} });
  });

  it('customer GETs a path-encoded id, with the key and no signature', async () => {
    const customer = { user_id: 'account:acme:42', traits: {}, wallets: { points: 5 }, level: null, perks: [], flags: { perks: {} } };
    server.enqueue((_req, res) => json(res, 200, customer));
    expect(await client().customer('account:acme:42')).toEqual(customer);
    const req = server.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/v1/customer/account%3Aacme%3A42');
    expect(req.headers['x-perkamo-api-key']).toBe(apiKey);
    expect(req.headers['x-perkamo-signature']).toBeUndefined();
    expect(req.headers['x-perkamo-timestamp']).toBeUndefined();
    expect(req.headers['content-type']).toBeUndefined();
    expect(req.body.length).toBe(0);

    server.enqueue((_req, res) => json(res, 200, customer));
    await client().customer("o'neil (x)*!");
    expect(server.requests[1]!.url).toBe('/v1/customer/o%27neil%20%28x%29%2A%21');
  });

  it('program and eventCatalog read GET /v1/program; the catalog is a list for a list, a map or nothing', async () => {
    const rules = [{ event: 'purchase.completed', title: 'Purchase' }, { event: 'lesson.finished', title: 'Lesson' }];
    server.enqueue(
      (_req, res) => json(res, 200, { blueprint: { earningRules: rules } }),
      (_req, res) => json(res, 200, { blueprint: { earningRules: rules } }),
      (_req, res) => json(res, 200, { blueprint: { earningRules: { a: rules[0], b: rules[1] } } }),
      (_req, res) => json(res, 200, { blueprint: {} }),
    );
    expect(await client().program()).toEqual({ blueprint: { earningRules: rules } });
    expect(await client().eventCatalog()).toEqual(rules);
    expect(await client().eventCatalog()).toEqual(rules);
    expect(await client().eventCatalog()).toEqual([]);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(Array(4).fill('GET /v1/program'));
  });

  it('createBrowserToken and createStreamToken post to /v1/browser-tokens', async () => {
    const token = { token: 'eyJ.a.b', token_type: 'Bearer', expires_at: '2026-06-04T12:10:00.000Z', expires_in: 600 };
    server.enqueue((_req, res) => json(res, 200, token), (_req, res) => json(res, 200, token), (_req, res) => json(res, 200, token));
    expect(await client().createBrowserToken('pk_test_123', 'customer_123')).toEqual(token);
    await client().createStreamToken('pk_test_123', 'customer_123');
    await client().createStreamToken('pk_test_123', 'customer_123', 30);
    expect(server.requests.map((r) => r.url)).toEqual(Array(3).fill('/v1/browser-tokens'));
    expect(server.requests.map((r) => r.json())).toEqual([
      { browser_key: 'pk_test_123', user_id: 'customer_123' },
      { browser_key: 'pk_test_123', user_id: 'customer_123', ttl_seconds: 120, purpose: 'stream' },
      { browser_key: 'pk_test_123', user_id: 'customer_123', ttl_seconds: 30, purpose: 'stream' },
    ]);
    server.requests.forEach((_r, i) => expectSignedByReceiver(i));
  });

  it('a baseUrl with a path prefix keeps the prefix in the URL but signs the API path alone', async () => {
    const prefixed = createPerkamoClient({ apiKey, baseUrl: `${server.url}/perkamo/` });
    await prefixed.identify('u1');
    const req = server.requests[0]!;
    expect(req.url).toBe('/perkamo/v1/identify');
    expect(
      verifySignature({
        apiKey,
        timestamp: String(req.headers['x-perkamo-timestamp']),
        method: 'POST',
        path: '/v1/identify',
        body: req.body,
        signature: String(req.headers['x-perkamo-signature']),
      }),
    ).toBe(true);
  });

  it('an async key supplier is called for each call and its key is used', async () => {
    const keys = ['sk_test_one', 'sk_test_two'];
    let calls = 0;
    const c = createPerkamoClient({
      baseUrl: server.url,
      apiKey: async () => {
        await new Promise((r) => setTimeout(r, 5));
        return keys[calls++];
      },
    });
    await c.program();
    await c.identify('u1');
    expect(calls).toBe(2);
    expect(server.requests.map((r) => r.headers['x-perkamo-api-key'])).toEqual(keys);
    const req = server.requests[1]!;
    expect(
      verifySignature({
        apiKey: 'sk_test_two',
        timestamp: String(req.headers['x-perkamo-timestamp']),
        method: 'POST',
        path: '/v1/identify',
        body: req.body,
        signature: String(req.headers['x-perkamo-signature']),
      }),
    ).toBe(true);
  });

  it('a custom fetch receives each attempt with its operation, resend count and deadline', async () => {
    const seen: PerkamoRequestInit['perkamo'][] = [];
    server.enqueue((_req, res) => json(res, 503, { message: 'busy' }));
    const deadline = Date.now() + 10_000;
    const c = client({
      retry: { attempts: 2, baseDelayMs: 1 },
      timeoutMs: 5_000,
      fetch: (url, init) => {
        seen.push(init.perkamo);
        return fetch(url, init);
      },
    });
    await c.emit('u1', 'page.viewed', {}, { txId: 'pv:1', deadline });
    expect(seen).toEqual([
      { operation: 'emit', attempt: 0, deadline, timeoutMs: 5000 },
      { operation: 'emit', attempt: 1, deadline, timeoutMs: 5000 },
    ]);
  });
});

describe('an event checked at the edge is not checked again (the Lambda path pays once)', () => {
  /** A context whose one value counts how often a check walks it. */
  function countedContext() {
    const seen = { reads: 0 };
    const context = {
      get amount() {
        seen.reads++;
        return 12900;
      },
    };
    return { context, seen };
  }

  it('batch and emit walk a checked event\'s context no more; they still walk a caller\'s own', async () => {
    const checked = countedContext();
    const event = checkedEvent({ user_id: 'customer_123', event: 'purchase.completed', transaction_id: 'order_1', context: checked.context });
    const readsAfterTheEdge = checked.seen.reads;
    expect(readsAfterTheEdge).toBeGreaterThan(0);
    server.enqueue((_req, res) => json(res, 200, { results: [ingestResult()] }));
    await client().batch([event]);
    await client().emit(event.user_id, event.event, event.context, { txId: event.transaction_id });
    expect(checked.seen.reads - readsAfterTheEdge).toBe(2); // only JSON.stringify of each request body
    expect(server.requests.map((r) => r.json())).toMatchObject([{ events: [{ context: { amount: 12900 } }] }, { context: { amount: 12900 } }]);

    const callers = countedContext();
    server.enqueue((_req, res) => json(res, 200, { results: [ingestResult()] }));
    await client().batch([{ user_id: 'customer_123', event: 'purchase.completed', transaction_id: 'order_2', context: callers.context }]);
    // The client's own check walked it (and the body's JSON read it once more): a caller's object is never taken as checked.
    expect(callers.seen.reads).toBeGreaterThan(1);
  });

  it('the public toBatchEvents marks nothing, even when a JS caller asks for { mark: true }; only the internal toCheckedBatchEvents marks', async () => {
    const send = async (events: unknown[]) => {
      server.enqueue((_req, res) => json(res, 200, { results: events.map(() => ingestResult()) }));
      await client().batch(events as Parameters<ReturnType<typeof client>['batch']>[0]);
    };
    const publicOne = countedContext();
    const asPublic = toBatchEvents as (events: unknown, options: unknown) => unknown[];
    const [fromPublic] = asPublic([{ user_id: 'customer_123', event: 'purchase.completed', transaction_id: 'order_5', context: publicOne.context }], { mark: true });
    const afterPublic = publicOne.seen.reads;
    await send([fromPublic]);
    // Checked again (a walk) and serialized: the caller could have changed it in between.
    expect(publicOne.seen.reads - afterPublic).toBeGreaterThan(1);

    const internal = countedContext();
    const [fromInternal] = toCheckedBatchEvents([{ user_id: 'customer_123', event: 'purchase.completed', transaction_id: 'order_6', context: internal.context }]);
    const afterInternal = internal.seen.reads;
    await send([fromInternal]);
    expect(internal.seen.reads - afterInternal).toBe(1); // only JSON.stringify of the request body
  });

  it("the client never takes a caller's own object as checked, even one shaped like a checked event", async () => {
    const counted = countedContext();
    const own = { user_id: 'customer_123', event: 'purchase.completed', transaction_id: 'order_4', context: counted.context };
    server.enqueue((_req, res) => json(res, 200, { results: [ingestResult()] }));
    await client().batch([own]);
    await client().emit(own.user_id, own.event, own.context, { txId: own.transaction_id });
    // Each call walked the context (its check) and serialized it: four reads at least.
    expect(counted.seen.reads).toBeGreaterThanOrEqual(4);
  });
});
