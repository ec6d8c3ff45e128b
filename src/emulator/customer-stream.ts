// Customer streams (SSE): `GET /v1/client/customer/<id>/stream` with a stream token. Each open
// stream gets the customer's snapshot at once and again on every change to that customer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeUserId } from './request-checks.ts';
import { ApiError } from './replies.ts';
import type { EmulatorState, Stream } from './state.ts';
import { verifyJwt } from './tokens.ts';

export const customerStreamPath = /^\/v1\/client\/customer\/([^/]+)\/stream$/;

function customerFrame(state: EmulatorState, userId: string): string {
  const { view, version } = state.space.snapshot(userId);
  return `event: customer\nid: ${version}\ndata: ${JSON.stringify(view)}\n\n`;
}

export function broadcastCustomerChanges(state: EmulatorState): void {
  state.space.onChange((userId) => {
    const set = state.streams.get(userId);
    if (!set) return;
    const frame = customerFrame(state, userId);
    for (const stream of set) stream.res.write(frame);
  });
}

export function openCustomerStream(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  segment: string,
  query: string,
  requestId: string,
): void {
  const { streams } = state;
  const { tokenSecret, browserKeys, heartbeatMs } = state.settings;
  const userId = decodeUserId(segment);
  const auth = req.headers.authorization;
  let token: string | null = null;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) token = auth.replace(/^bearer\s+/i, '').trim();
  else if (query) token = new URLSearchParams(query).get('access_token');
  const challenge = { 'www-authenticate': 'Bearer realm="perkamo-client"' };
  if (!token) {
    throw new ApiError(401, 'missing_token', 'send the stream token as "authorization: Bearer <token>" or ?access_token=<token>', undefined, undefined, challenge);
  }
  const check = verifyJwt(token, { secret: tokenSecret, audience: state.audience, browserKeys });
  if (!check.ok) throw new ApiError(401, 'invalid_token', check.message, undefined, undefined, challenge);
  if (!check.claims.scope.includes('stream:read')) {
    throw new ApiError(403, 'forbidden', "the token lacks the 'stream:read' scope; mint it with purpose \"stream\"");
  }
  if (check.claims.sub !== userId) throw new ApiError(403, 'forbidden', 'the token was issued for another customer');

  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-perkamo-request-id': requestId,
  });
  res.write('retry: 2000\n\n');
  const stream: Stream = {
    res,
    userId,
    heartbeat: setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs),
  };
  stream.heartbeat.unref();
  let set = streams.get(userId);
  if (!set) streams.set(userId, (set = new Set()));
  set.add(stream);
  res.on('close', () => {
    clearInterval(stream.heartbeat);
    set.delete(stream);
    if (set.size === 0 && streams.get(userId) === set) streams.delete(userId);
  });
  stream.res.write(customerFrame(state, userId));
}

export function streamCount(state: EmulatorState): number {
  let n = 0;
  for (const set of state.streams.values()) n += set.size;
  return n;
}

export function closeStreams(state: EmulatorState): void {
  for (const set of state.streams.values()) for (const stream of set) {
    clearInterval(stream.heartbeat);
    stream.res.end();
  }
  state.streams.clear();
}
