import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PerkamoApiError,
  PerkamoConfigurationError,
  PerkamoDeadlineExceededError,
  PerkamoNetworkError,
  PerkamoRedirectError,
  PerkamoResponseError,
  PerkamoTimeoutError,
  PerkamoValidationError,
  createPerkamoClient,
  responseMeta,
} from '../../src/sdk/index.ts';
import { ingestResult, json, startLoopbackServer } from '../helpers/loopback-server.ts';

const apiKey = 'sk_test_secret';
let server: Awaited<ReturnType<typeof startLoopbackServer>>;

beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => json(res, 200, ingestResult()));
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const client = (extra: Partial<Parameters<typeof createPerkamoClient>[0]> = {}) =>
  createPerkamoClient({ apiKey, baseUrl: server.url, ...extra });

async function caught(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('API errors carry their metadata', () => {
  it('reads ratelimit-* headers, x-perkamo-request-id, delta-seconds retry-after and the body message', async () => {
    server.enqueue((_req, res) =>
      json(res, 429, { message: 'Rate limit exceeded', code: 'rate_limited' }, {
        'x-perkamo-request-id': 'req_429',
        'retry-after': '30',
        'ratelimit-limit': '100',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '1767225600',
      }),
    );
    const error = await caught(client().emit('u1', 'page.viewed'));
    expect(error).toBeInstanceOf(PerkamoApiError);
    expect(error).toMatchObject({
      status: 429,
      message: 'Perkamo API error: Rate limit exceeded',
      code: 'rate_limited',
      body: { message: 'Rate limit exceeded', code: 'rate_limited' },
      requestId: 'req_429',
      retryAfter: 30,
      rateLimit: { limit: 100, remaining: 0, reset: '1767225600' },
      retryable: true,
      attempts: 1,
    });
  });

  it('reads x-ratelimit-* headers, x-request-id and an HTTP-date retry-after', async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    server.enqueue((_req, res) =>
      json(res, 503, { message: 'Service unavailable' }, {
        'x-request-id': 'gw_77',
        'retry-after': inTenSeconds,
        'x-ratelimit-limit': '50',
        'x-ratelimit-remaining': 'many',
        'x-ratelimit-reset': '12',
      }),
    );
    const error = await caught(client().program());
    expect(error).toMatchObject({ status: 503, requestId: 'gw_77', rateLimit: { limit: 50, remaining: null, reset: '12' } });
    expect(error.retryAfter).toBeGreaterThanOrEqual(8);
    expect(error.retryAfter).toBeLessThanOrEqual(11);
  });

  it('falls back to "HTTP <status>" with an empty or non-JSON body, and has no metadata it was not sent', async () => {
    server.enqueue(
      (_req, res) => {
        res.writeHead(500);
        res.end();
      },
      (_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<h1>Bad gateway</h1>');
      },
    );
    const empty = await caught(client().program());
    expect(empty).toMatchObject({ status: 500, message: 'HTTP 500', body: undefined, requestId: undefined, retryAfter: undefined, rateLimit: undefined });
    const html = await caught(client().program());
    expect(html).toMatchObject({ status: 502, message: 'HTTP 502', body: '<h1>Bad gateway</h1>' });
  });

  it('a 2xx that is not JSON, or a batch with the wrong number of results, is a PerkamoResponseError', async () => {
    server.enqueue(
      (_req, res) => {
        res.writeHead(200, { 'x-perkamo-request-id': 'req_x' });
        res.end('not json');
      },
      (_req, res) => json(res, 200, { results: [ingestResult()] }),
      (_req, res) => json(res, 200, { ok: true }),
    );
    expect(await caught(client().program())).toMatchObject({ name: 'PerkamoResponseError', requestId: 'req_x' });
    const events = [
      { user_id: 'u1', event: 'a.b', transaction_id: 't1' },
      { user_id: 'u1', event: 'a.b', transaction_id: 't2' },
    ];
    const mismatch = await caught(client().batch(events));
    expect(mismatch).toBeInstanceOf(PerkamoResponseError);
    expect(mismatch.message).toContain('expected results for 2 events, got 1');
    expect(await caught(client().emit('u1', 'a.b'))).toBeInstanceOf(PerkamoResponseError);
  });
});

describe('transport failures', () => {
  it('times out a slow server after timeoutMs with a PerkamoTimeoutError', async () => {
    server.enqueue((_req, res) => {
      setTimeout(() => json(res, 200, ingestResult()), 2_000);
    });
    const started = Date.now();
    const error = await caught(client({ timeoutMs: 150 }).emit('u1', 'page.viewed'));
    expect(error).toBeInstanceOf(PerkamoTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 150, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('times out a server that sends headers and then stalls the body', async () => {
    server.enqueue((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"applied":');
    });
    expect(await caught(client({ timeoutMs: 150 }).program())).toBeInstanceOf(PerkamoTimeoutError);
  });

  it('turns a reset connection into a PerkamoNetworkError with the system code', async () => {
    server.enqueue((req, res) => {
      res.socket?.destroy();
    });
    const error = await caught(client().emit('u1', 'page.viewed'));
    expect(error).toBeInstanceOf(PerkamoNetworkError);
    expect(error.code).toMatch(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/);
  });

  it('turns a refused connection into a PerkamoNetworkError', async () => {
    const closed = await startLoopbackServer();
    const url = closed.url;
    await closed.close();
    const error = await caught(createPerkamoClient({ apiKey, baseUrl: url }).program());
    expect(error).toBeInstanceOf(PerkamoNetworkError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).not.toContain(apiKey);
  });
});

describe('retries', () => {
  it('retries 5xx and network errors with the same transaction id and body, re-signed', async () => {
    server.enqueue(
      (_req, res) => json(res, 500, { message: 'boom' }),
      (_req, res) => void res.socket?.destroy(),
      (_req, res) => json(res, 200, ingestResult(), { 'x-perkamo-request-id': 'req_third' }),
    );
    const result = await client({ retry: { attempts: 3, baseDelayMs: 5 } }).emit('u1', 'purchase.completed', { amount: 5 });
    expect(server.requests).toHaveLength(3);
    const bodies = server.requests.map((r) => r.body.toString());
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).transaction_id).toMatch(/^tx_/);
    expect(responseMeta(result)).toMatchObject({ requestId: 'req_third', attempts: 3 });
  });

  it('waits at least Retry-After before retrying a 429', async () => {
    server.enqueue((_req, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '1' }));
    const started = Date.now();
    await client({ retry: { attempts: 2, baseDelayMs: 1 } }).emit('u1', 'page.viewed', {}, { txId: 'pv:429' });
    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(second!.json().transaction_id).toBe('pv:429');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(first!.body.equals(second!.body)).toBe(true);
  });

  it('does not retry 4xx other than 429', async () => {
    server.enqueue((_req, res) => json(res, 409, { message: 'conflict', code: 'transaction_id_conflict' }));
    const error = await caught(client({ retry: true }).emit('u1', 'page.viewed'));
    expect(error).toMatchObject({ status: 409, retryable: false, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('stops when the attempts are spent and throws the last error', async () => {
    server.enqueue(...Array(3).fill((_req: unknown, res: any) => json(res, 503, { message: 'down' })));
    const error = await caught(client({ retry: { attempts: 3, baseDelayMs: 1 } }).program());
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait for a Retry-After that would pass the deadline', async () => {
    server.enqueue((_req, res) => json(res, 429, { message: 'later' }, { 'retry-after': '5' }));
    const started = Date.now();
    const error = await caught(
      client({ retry: { attempts: 5 } }).emit('u1', 'page.viewed', {}, { deadline: Date.now() + 1_000 }),
    );
    expect(error).toMatchObject({ status: 429, retryAfter: 5 });
    expect(server.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('bounds each attempt by the time left before the deadline, then stops', async () => {
    server.enqueue(...Array(5).fill((_req: unknown, res: any) => setTimeout(() => json(res, 200, ingestResult()), 3_000)));
    const started = Date.now();
    const error = await caught(
      client({ retry: { attempts: 5, baseDelayMs: 1 }, minRequestMs: 50 }).emit('u1', 'page.viewed', {}, { deadline: Date.now() + 400 }),
    );
    expect(error).toBeInstanceOf(PerkamoTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not start a request when the deadline is too close', async () => {
    const error = await caught(client({ minRequestMs: 50 }).emit('u1', 'page.viewed', {}, { deadline: Date.now() + 20 }));
    expect(error).toBeInstanceOf(PerkamoDeadlineExceededError);
    expect(error.message).toMatch(/not started: \d+ ms left/);
    expect(server.requests).toHaveLength(0);
  });

  it('is off by default', async () => {
    server.enqueue((_req, res) => json(res, 503, {}));
    expect(await caught(client().program())).toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('configuration and input errors make no request', () => {
  it.each([
    ['empty string key', { apiKey: '' }],
    ['missing key', { apiKey: undefined }],
    ['bad base URL', { apiKey, baseUrl: 'api.perkamo.com' }],
    ['base URL with a query', { apiKey, baseUrl: 'https://api.perkamo.com/?x=1' }],
    ['zero timeout', { apiKey, timeoutMs: 0 }],
    ['bad retry attempts', { apiKey, retry: { attempts: 0 } }],
  ])('%s is refused by createPerkamoClient', (_name, options) => {
    expect(() => createPerkamoClient(options as never)).toThrow(PerkamoConfigurationError);
  });

  it('a key supplier that returns nothing fails before any request, naming the variable', async () => {
    const error = await caught(createPerkamoClient({ apiKey: () => undefined, baseUrl: server.url }).program());
    expect(error).toBeInstanceOf(PerkamoConfigurationError);
    expect(error.message).toContain('PERKAMO_SECRET_KEY');
    expect(server.requests).toHaveLength(0);
  });

  const long = (n: number) => 'x'.repeat(n);
  it.each<[string, (c: ReturnType<typeof client>) => Promise<unknown>, string, string]>([
    ['emit user_id empty', (c) => c.emit('', 'a.b'), 'user_id', 'empty'],
    ['emit user_id too long', (c) => c.emit(long(257), 'a.b'), 'user_id', 'too_long'],
    ['emit event too long', (c) => c.emit('u', long(129)), 'event', 'too_long'],
    ['emit txId too long', (c) => c.emit('u', 'a.b', {}, { txId: long(257) }), 'txId', 'too_long'],
    ['emit reserved context key', (c) => c.emit('u', 'a.b', { Wallet: 5 }), 'context.Wallet', 'reserved_key'],
    ['emit undefined in context', (c) => c.emit('u', 'a.b', { a: { b: undefined } } as never), 'context.a.b', 'undefined'],
    ['emit NaN in context', (c) => c.emit('u', 'a.b', { amount: NaN }), 'context.amount', 'not_finite'],
    ['emit prototype key', (c) => c.emit('u', 'a.b', JSON.parse('{"x":{"__proto__":{"admin":true}}}')), 'context.x.__proto__', 'forbidden_key'],
    ['emit bad occurredAt', (c) => c.emit('u', 'a.b', {}, { occurredAt: '2026-02-30T10:00:00Z' }), 'occurredAt', 'invalid_date'],
    ['emit invalid Date', (c) => c.emit('u', 'a.b', {}, { occurredAt: new Date('nope') }), 'occurredAt', 'invalid_date'],
    ['batch empty', (c) => c.batch([]), 'events', 'empty'],
    ['batch of 101', (c) => c.batch(Array.from({ length: 101 }, (_, i) => ({ user_id: 'u', event: 'a.b', transaction_id: `t${i}` }))), 'events', 'too_many'],
    ['batch item without transaction_id', (c) => c.batch([{ user_id: 'u', event: 'a.b', transaction_id: 't0' }, { user_id: 'u', event: 'a.b' } as never]), 'events[1].transaction_id', 'required'],
    ['batch repeated transaction_id', (c) => c.batch([{ user_id: 'u', event: 'a.b', transaction_id: 't' }, { user_id: 'v', event: 'a.b', transaction_id: 't' }]), 'events[1].transaction_id', 'repeated'],
    ['batch camelCase field', (c) => c.batch([{ userId: 'u', event: 'a.b', transaction_id: 't' } as never]), 'events[0].userId', 'unknown_field'],
    ['identify undefined in a trait array', (c) => c.identify('u', { tags: ['a', undefined] } as never), 'traits.tags[1]', 'undefined'],
    ['identify blank user', (c) => c.identify('   '), 'user_id', 'empty'],
    ['customer control character', (c) => c.customer('a\nb'), 'userId', 'control_character'],
    ['browser token ttl 0', (c) => c.createBrowserToken('pk', 'u', 0), 'ttlSeconds', 'out_of_range'],
    ['stream token ttl 1801', (c) => c.createStreamToken('pk', 'u', 1801), 'ttlSeconds', 'out_of_range'],
    ['stream token without browser key', (c) => c.createStreamToken('', 'u'), 'browserKey', 'empty'],
  ])('%s → PerkamoValidationError', async (_name, call, field, reason) => {
    const error = await caught(call(client()));
    expect(error).toBeInstanceOf(PerkamoValidationError);
    expect(error).toMatchObject({ field, reason });
    expect(error.message).toContain(`'${field}'`);
    expect(server.requests).toHaveLength(0);
  });

  it('names the limit in length errors', async () => {
    const error = await caught(client().emit('u', 'x'.repeat(129)));
    expect(error.message).toBe("'event' is 129 bytes; the limit is 128 bytes (UTF-8)");
  });
});

describe('redirects are never followed (issue 13, defect 1)', () => {
  it.each([301, 302, 303, 307, 308])('%i to another host: that host receives nothing, the call fails once with PerkamoRedirectError', async (status) => {
    const elsewhere = await startLoopbackServer((_req, res) => json(res, 200, ingestResult()));
    try {
      server.enqueue((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.url}/v1/events`, 'x-perkamo-request-id': 'req_3xx' }).end('moved');
      });
      const error = await caught(client().emit('u1', 'page.viewed', { transactionId: `tx-${status}` }));
      expect(error).toBeInstanceOf(PerkamoRedirectError);
      expect(error).toMatchObject({ status, requestId: 'req_3xx', retryable: false, attempts: 1 });
      expect(error.message).toMatch(/redirect to another location; redirects are not followed .* check PERKAMO_BASE_URL/);
      // The upstream's Location is not repeated, and the key went nowhere but the first host.
      expect(error.message).not.toContain(elsewhere.url);
      expect(elsewhere.requests).toHaveLength(0);
      expect(server.requests).toHaveLength(1);
    } finally {
      await elsewhere.close();
    }
  });

  it('a 3xx without Location is a redirect failure too, not a rejection of the event', async () => {
    server.enqueue((_req, res) => {
      res.writeHead(302).end();
    });
    const error = await caught(client().emit('u1', 'page.viewed', { transactionId: 'tx-noloc' }));
    expect(error).toBeInstanceOf(PerkamoRedirectError);
    expect(error.message).toMatch(/a redirect without a Location/);
    expect(error).not.toBeInstanceOf(PerkamoApiError);
  });
});

describe('the API key is waited for no longer than the deadline (issue 13, defect 4)', () => {
  it('an apiKey supplier that never answers fails the call at the deadline, before any request', async () => {
    const started = performance.now();
    const error = await caught(
      client({ apiKey: () => new Promise<string>(() => {}) }).emit('u1', 'page.viewed', { transactionId: 'tx-key' }, { deadline: Date.now() + 300 }),
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(PerkamoDeadlineExceededError);
    expect(error.message).toMatch(/not started: 0 ms left before the deadline \(previous attempt: the API key \(apiKey supplier\) was not available before the deadline\)/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('upstream answers are bounded and checked (issue 13, defects 6 and 7)', () => {
  const events = [
    { user_id: 'u1', event: 'a.b', transaction_id: 't1' },
    { user_id: 'u1', event: 'a.b', transaction_id: 't2' },
  ];

  it('batch results that name another transaction than their event are a PerkamoResponseError, not a success', async () => {
    server.enqueue((_req, res) => json(res, 200, { results: [ingestResult({ transaction_id: 't2' }), ingestResult({ transaction_id: 't1' })] }));
    const error = await caught(client().batch(events));
    expect(error).toBeInstanceOf(PerkamoResponseError);
    expect(error.message).toContain('result 0 is for another transaction than event 0');
  });

  it('batch results that name their own transactions, or none, are accepted', async () => {
    server.enqueue((_req, res) => json(res, 200, { results: [ingestResult({ transaction_id: 't1' }), ingestResult()] }));
    await expect(client().batch(events)).resolves.toMatchObject({ results: [{ applied: true }, { applied: true }] });
  });

  it('a success over maxResponseBytes fails without being read to the end; an error body over it is dropped, its status kept', async () => {
    server.enqueue(
      (_req, res) => json(res, 200, { ...ingestResult(), padding: 'p'.repeat(5_000) }),
      (_req, res) => json(res, 422, { message: 'm'.repeat(5_000), code: 'too_long' }),
    );
    const big = await caught(client({ maxResponseBytes: 4_096 }).emit('u1', 'a.b'));
    expect(big).toBeInstanceOf(PerkamoResponseError);
    expect(big.message).toContain('the answer is over 4096 bytes');
    const refused = await caught(client({ maxResponseBytes: 4_096 }).emit('u1', 'a.b'));
    expect(refused).toMatchObject({ name: 'PerkamoApiError', status: 422, body: undefined, message: 'HTTP 422' });
  });

  it('an error message is bounded to one line of 300 characters; a code that is not a token is not kept', async () => {
    server.enqueue((_req, res) => json(res, 400, { message: `first\nsecond ${'w'.repeat(1_000)}`, code: 'not a code' }));
    const error = await caught(client().emit('u1', 'a.b'));
    expect(error.message).toMatch(/^Perkamo API error: first second w+…$/);
    expect(error.message.length).toBe('Perkamo API error: '.length + 300);
    expect(error.code).toBeUndefined();
  });

  it("an error body that echoes the key or the request's values has them taken out, body and message alike", async () => {
    server.enqueue((req, res) =>
      json(res, 422, { message: `key ${req.headers['x-perkamo-api-key']} user ${req.json().user_id} ctx ${req.json().context.note}`, echo: req.json() }),
    );
    const error = await caught(client().emit('user-private-1', 'a.b', { note: 'a "quoted" secret note' }, { txId: 'tx-visible' }));
    const text = `${error.message}\n${JSON.stringify(error.body)}`;
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain('user-private-1');
    expect(text).not.toContain('secret note');
    expect(text).toContain('tx-visible'); // ids that explain the failure stay
    expect(error.message).toBe('Perkamo API error: key [redacted] user [redacted] ctx [redacted]');
  });

  it('maxResponseBytes must be a whole number of bytes', () => {
    expect(() => client({ maxResponseBytes: 0 })).toThrow(/maxResponseBytes must be a whole number of bytes > 0, got 0/);
  });
});
