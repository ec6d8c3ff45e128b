// The layer's Extensions API client against loopback servers: Lambda's answers as a Node and a Go
// server write them (Content-Length, chunked, split across packets), and what must be refused.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAfterResponseFlush } from '../../layers/otel/after-response.ts';
import { complete, ExtensionsApi } from '../../layers/otel/extensions-api.ts';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A raw TCP server that answers every connection with `reply` (written in the given pieces). */
async function raw(reply: string[], { close = true } = {}): Promise<{ address: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((socket) => {
    socket.once('data', async (data) => {
      requests.push(data.toString('latin1'));
      for (const piece of reply) {
        socket.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (close) socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('ExtensionsApi', () => {
  it('registers and reads events from an HTTP server (Content-Length answers), one connection each', async () => {
    const seen: { method?: string; url?: string; headers: Record<string, unknown>; body: string }[] = [];
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/2020-01-01/extension/register') res.writeHead(200, { 'Lambda-Extension-Identifier': 'ext-1', 'Content-Type': 'application/json' }).end('{"functionName":"f"}');
        else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ eventType: 'INVOKE', deadlineMs: 1234, requestId: 'r1' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => server.close() });
    const api = new ExtensionsApi(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    await api.register('perkamo-otel', ['INVOKE']);
    expect(await api.next()).toEqual({ eventType: 'INVOKE', deadlineMs: 1234, requestId: 'r1' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/2020-01-01/extension/register', body: '{"events":["INVOKE"]}' });
    expect(seen[0]!.headers).toMatchObject({ 'lambda-extension-name': 'perkamo-otel', connection: 'close' });
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/2020-01-01/extension/event/next' });
    expect(seen[1]!.headers['lambda-extension-identifier']).toBe('ext-1');
  });

  it('reads a chunked answer split across packets, and an answer the server does not close after', async () => {
    const chunked = await raw(['HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: abc\r\nTransfer-Encoding: chunked\r\n\r\n', '2\r\n{}\r\n', '0\r\n\r\n']);
    await new ExtensionsApi(chunked.address).register('x', ['INVOKE']);
    const open = await raw(['HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: abc\r\nContent-Length: 2\r\n\r\n{', '}'], { close: false });
    await new ExtensionsApi(open.address).register('x', ['INVOKE']);
    expect(open.requests[0]).toMatch(/^POST \/2020-01-01\/extension\/register HTTP\/1\.1\r\n/);
  });

  it('refuses a registration without an identifier, a refusal, a truncated or foreign answer', async () => {
    const cases: [string[], RegExp][] = [
      [['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'], /answered 200 to the registration/],
      [['HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}'], /answered 403/],
      [['HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: a\r\nContent-Length: 10\r\n\r\n{}'], /truncated body/],
      [['SSH-2.0-OpenSSH\r\n\r\n'], /other than HTTP/],
      [['HTTP/1.1 200 OK\r\n'], /before a complete answer/],
    ];
    for (const [reply, error] of cases) {
      const server = await raw(reply);
      await expect(new ExtensionsApi(server.address).register('x', ['INVOKE'])).rejects.toThrow(error);
    }
  });

  it('a refused connection rejects; a malformed AWS_LAMBDA_RUNTIME_API throws at once', async () => {
    const server = await raw([]);
    servers.pop()!.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(new ExtensionsApi(server.address).register('x', ['INVOKE'])).rejects.toThrow(/ECONNREFUSED/);
    expect(() => new ExtensionsApi('localhost')).toThrow(/not host:port/);
  });

  it('complete(): undefined until the declared body is there', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n';
    expect(complete(Buffer.from(`${head}ab`), false)).toBeUndefined();
    expect(complete(Buffer.from(`${head}abcd`), false)?.body).toBe('abcd');
    expect(complete(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), true)).toMatchObject({ status: 204, body: '' });
  });
});

describe('the after-response export keeps the functions\' flush margin before the deadline', () => {
  /** An Extensions API that registers, hands out one INVOKE with `deadlineMs`, then holds every later poll. */
  async function oneInvoke(deadlineMs: number) {
    let polls = 0;
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/2020-01-01/extension/register') return void res.writeHead(200, { 'Lambda-Extension-Identifier': 'ext-1' }).end('{}');
        if (polls++ === 0) res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ eventType: 'INVOKE', deadlineMs, requestId: 'r1' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => { server.closeAllConnections(); server.close(); } });
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it.each([
    [undefined, 100],
    ['2000', 400],
  ])('PERKAMO_DEADLINE_RESERVE_MS=%s: a handler that never signals is exported %i ms before the deadline, bounded by it', async (reserve, margin) => {
    const saved = process.env.PERKAMO_DEADLINE_RESERVE_MS;
    if (reserve === undefined) delete process.env.PERKAMO_DEADLINE_RESERVE_MS;
    else process.env.PERKAMO_DEADLINE_RESERVE_MS = reserve;
    try {
      const deadlineMs = Date.now() + 900;
      const address = await oneInvoke(deadlineMs);
      const started = new Promise<{ at: number; timeoutMs: number }>((resolve) => {
        void startAfterResponseFlush(address, async (timeoutMs) => resolve({ at: Date.now(), timeoutMs }), () => {});
      });
      const { at, timeoutMs } = await started;
      // It waited for a signal until the margin before the deadline (a timer turn later, not earlier)…
      expect(at).toBeGreaterThanOrEqual(deadlineMs - margin - 2);
      expect(at).toBeLessThan(deadlineMs - margin + 50);
      // …and the export is bounded to end by then.
      expect(at + timeoutMs).toBeLessThanOrEqual(Math.max(at, deadlineMs - margin) + 2);
    } finally {
      if (saved === undefined) delete process.env.PERKAMO_DEADLINE_RESERVE_MS;
      else process.env.PERKAMO_DEADLINE_RESERVE_MS = saved;
    }
  });
});

describe('the INVOKE event is looked at once the invocation\'s spans are complete, not when it arrives', () => {
  /** An Extensions API that registers, then answers every poll at once with an INVOKE due in `dueMs`; `polls` counts them. */
  async function eager(dueMs: number) {
    const state = { polls: 0, deadlines: [] as number[] };
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/2020-01-01/extension/register') return void res.writeHead(200, { 'Lambda-Extension-Identifier': 'ext-1' }).end('{}');
        state.polls++;
        state.deadlines.push(Date.now() + dueMs);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ eventType: 'INVOKE', deadlineMs: state.deadlines.at(-1), requestId: `r${state.polls}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => { server.closeAllConnections(); server.close(); } });
    return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, state };
  }
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('next(readAfter): the answer, already sent, is not looked at before readAfter settles (resolved or rejected)', async () => {
    const { address, state } = await eager(60_000);
    const api = new ExtensionsApi(address);
    await api.register('perkamo-otel', ['INVOKE']);
    for (const settle of ['resolve', 'reject'] as const) {
      let open!: { resolve: () => void; reject: (error: Error) => void };
      const gate = new Promise<void>((resolve, reject) => (open = { resolve, reject }));
      let event: unknown;
      const read = api.next(gate).then((e) => (event = e));
      await vi.waitFor(() => expect(state.polls).toBe(settle === 'resolve' ? 1 : 2));
      await wait(50);
      expect(event).toBeUndefined();
      if (settle === 'resolve') open.resolve();
      else open.reject(new Error('read anyway'));
      await read;
      expect(event).toMatchObject({ eventType: 'INVOKE', requestId: `r${state.polls}` });
    }
  });

  it('after an invocation that said its spans were complete, the next event is read at done(), not as it arrives; unless the process runs on unfrozen for 100 ms (a lost poll; a recheck held up by a freeze looks again), or started()\'s deadline nears', async () => {
    const margin = 100;
    const { address, state } = await eager(600);
    const flushes: number[] = [];
    const after = (await startAfterResponseFlush(address, async () => void flushes.push(Date.now()), () => {}))!;
    // The first invocation: its event read at once (no signal seen yet), exported once done() says so.
    await vi.waitFor(() => expect(state.polls).toBe(1));
    after.done();
    await vi.waitFor(() => expect(flushes).toHaveLength(1));
    // The n-th invocation starts, telling a later deadline than its event's — a probe: an extension
    // that read the event would export the margin before the event's deadline, one that did not
    // waits for done() or the told deadline.
    const provesUnread = async (n: number) => {
      after.started(state.deadlines[n - 1]! + 1_000);
      await wait(700);
      expect(flushes).toHaveLength(n - 1);
      after.done();
      await vi.waitFor(() => expect(flushes).toHaveLength(n));
    };

    // The second: its event (due in 600 ms) has been sent, and stays unread until done().
    await vi.waitFor(() => expect(state.polls).toBe(2));
    await provesUnread(2);

    // The third: no invocation starts, nothing is said, the process is not frozen — as when the poll's
    // connection was lost and the invocation still waits for it. Read after 100 ms; its own deadline then holds.
    await vi.waitFor(() => expect(state.polls).toBe(3));
    await vi.waitFor(() => expect(flushes).toHaveLength(3), { timeout: 2_000 });
    expect(flushes[2]!).toBeGreaterThanOrEqual(state.deadlines[2]! - margin - 2);
    expect(flushes[2]!).toBeLessThan(state.deadlines[2]! - margin + 100);

    // The fourth: the process is held up past the recheck's time (as by a freeze: here the event loop
    // blocked for 150 ms), so the late recheck does not read, it looks again later; the invocation
    // then starts, and the probe of the second shows the event still unread until done().
    await vi.waitFor(() => expect(state.polls).toBe(4));
    const blockedUntil = Date.now() + 150;
    while (Date.now() < blockedUntil);
    await wait(5);
    await provesUnread(4);

    // The fifth never says its spans are complete: read when started()'s deadline (here the event's) nears.
    await vi.waitFor(() => expect(state.polls).toBe(5));
    after.started(state.deadlines[4]!);
    await vi.waitFor(() => expect(flushes).toHaveLength(5), { timeout: 2_000 });
    expect(flushes[4]!).toBeGreaterThanOrEqual(state.deadlines[4]! - margin - 2);
    expect(flushes[4]!).toBeLessThan(state.deadlines[4]! - margin + 100);
  });
});
