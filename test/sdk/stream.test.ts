import { afterEach, describe, expect, it } from 'vitest';
import { PerkamoApiError, createPerkamoClient, type PerkamoCustomer } from '../../src/sdk/index.ts';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';

const servers: Awaited<ReturnType<typeof startLoopbackServer>>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const snapshot = (points: number) => ({
  user_id: 'account:acme:42',
  traits: {},
  wallets: { points },
  level: null,
  perks: [],
  flags: { perks: {} },
});

function waitFor<T>(items: T[], count: number, ms = 3_000): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (items.length >= count) return resolve(items);
      if (Date.now() - started > ms) return reject(new Error(`only ${items.length} of ${count} arrived`));
      setTimeout(check, 10);
    };
    check();
  });
}

describe('subscribeCustomer', () => {
  it('sends the token as a bearer header, parses customer events split across chunks, and ignores comments', async () => {
    const server = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\nretry: 50\n\n');
      const text = `event: customer\ndata: ${JSON.stringify(snapshot(0))}\n\n: heartbeat\n\nevent: customer\r\ndata: ${JSON.stringify(snapshot(50))}\r\n\r\n`;
      res.write(text.slice(0, 17));
      setTimeout(() => res.write(text.slice(17)), 20);
    });
    servers.push(server);
    const seen: PerkamoCustomer[] = [];
    const errors: Error[] = [];
    const sub = createPerkamoClient({ apiKey: 'sk_test_secret', baseUrl: server.url }).subscribeCustomer(
      'account:acme:42',
      'tok.en.value',
      (c) => seen.push(c),
      (e) => errors.push(e),
    );
    await waitFor(seen, 2);
    sub.close();
    expect(seen.map((c) => c.wallets.points)).toEqual([0, 50]);
    expect(errors).toEqual([]);
    const req = server.requests[0]!;
    expect(req.url).toBe('/v1/client/customer/account%3Aacme%3A42/stream');
    expect(req.headers.authorization).toBe('Bearer tok.en.value');
    expect(req.headers.accept).toBe('text/event-stream');
    expect(req.headers['x-perkamo-api-key']).toBeUndefined();
  });

  it('goes where the calls go: the base URL as the client resolved it (no trailing slash), through the client\'s fetch', async () => {
    const server = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: customer\ndata: ${JSON.stringify(snapshot(7))}\n\n`);
    });
    servers.push(server);
    const fetched: string[] = [];
    const client = createPerkamoClient({
      apiKey: 'k',
      baseUrl: `${server.url}/`,
      fetch: (url, init) => {
        fetched.push(String(url));
        return fetch(url, init);
      },
    });
    const seen: PerkamoCustomer[] = [];
    const sub = client.subscribeCustomer('u', 't', (c) => seen.push(c));
    await waitFor(seen, 1);
    sub.close();
    expect(fetched).toEqual([`${server.url}/v1/client/customer/u/stream`]);
    expect(server.requests.map((r) => r.url)).toEqual(['/v1/client/customer/u/stream']);
    // Where the calls go is kept off the client: nothing but its calls is on it, under a symbol or a name.
    expect(Object.getOwnPropertySymbols(client)).toEqual([]);
  });

  it('reconnects after the server drops the stream, using the server retry delay', async () => {
    let connections = 0;
    const server = await startLoopbackServer((_req, res) => {
      connections++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`retry: 20\nevent: customer\ndata: ${JSON.stringify(snapshot(connections))}\n\n`);
    });
    servers.push(server);
    const seen: PerkamoCustomer[] = [];
    const sub = createPerkamoClient({ apiKey: 'k', baseUrl: server.url }).subscribeCustomer('u', 't', (c) => seen.push(c));
    await waitFor(seen, 3);
    sub.close();
    expect(seen.slice(0, 3).map((c) => c.wallets.points)).toEqual([1, 2, 3]);
  });

  it('reports a 401 through onError and stops, since the same token cannot succeed', async () => {
    const server = await startLoopbackServer((_req, res) =>
      json(res, 401, { message: 'token expired', code: 'invalid_token' }, { 'x-perkamo-request-id': 'req_401' }),
    );
    servers.push(server);
    const errors: Error[] = [];
    createPerkamoClient({ apiKey: 'k', baseUrl: server.url }).subscribeCustomer('u', 'expired', () => {}, (e) => errors.push(e));
    await waitFor(errors, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PerkamoApiError);
    expect(errors[0]).toMatchObject({ status: 401, code: 'invalid_token', requestId: 'req_401' });
    expect(server.requests).toHaveLength(1);
  });

  it('close() stops delivery', async () => {
    const server = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => res.write(`event: customer\ndata: ${JSON.stringify(snapshot(n++))}\n\n`), 10);
      res.on('close', () => clearInterval(timer));
    });
    servers.push(server);
    const seen: PerkamoCustomer[] = [];
    const sub = createPerkamoClient({ apiKey: 'k', baseUrl: server.url }).subscribeCustomer('u', 't', (c) => seen.push(c));
    await waitFor(seen, 2);
    sub.close();
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.length).toBe(count);
  });
});
