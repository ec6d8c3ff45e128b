import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The raw bytes received, before any parsing. */
  body: Buffer;
  json(): any;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers with the next queued
 * handler (or the default one). Tests assert on what actually crossed the socket.
 */
export async function startLoopbackServer(defaultHandler: Handler = (_req, res) => json(res, 200, {})) {
  const requests: RecordedRequest[] = [];
  const queue: Handler[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json: () => JSON.parse(body.toString('utf8')),
      };
      requests.push(recorded);
      void (queue.shift() ?? defaultHandler)(recorded, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Forget recorded requests and queued handlers between tests. */
    reset() {
      requests.length = 0;
      queue.length = 0;
    },
    /** Answer the next requests with these handlers, in order. */
    enqueue(...handlers: Handler[]) {
      queue.push(...handlers);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const ingestResult = (overrides: Record<string, unknown> = {}) => ({
  applied: true,
  duplicate: false,
  delta: [{ wallet: 'points', amount: 50 }],
  leveled_up: false,
  unlocked: [],
  wallet_state: { points: 50 },
  level: { wallet: 'points', level: 1, current: 50, nextLevelAt: 100, currentLevelAt: 0, progress: 0.5 },
  ...overrides,
});
