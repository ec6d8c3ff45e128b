// Every request's way through the emulator: request id and log line, control routes, the request
// count, CORS for the browser routes, injected faults, the rate limit, then the API route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routeApi } from './api-routes.ts';
import { routeControl } from './control-routes.ts';
import { customerStreamPath } from './customer-stream.ts';
import type { FaultRule } from './faults.ts';
import { errorReply, send, type Reply } from './replies.ts';
import { nextRequestId, type EmulatorState } from './state.ts';

const localOrigin = /^https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/;

function delay(state: EmulatorState, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      state.timers.delete(timer);
      resolve();
    }, ms);
    state.timers.add(timer);
  });
}

/** CORS for `/v1/client/*`; true when the request was a preflight, answered here. */
function clientCors(req: IncomingMessage, res: ServerResponse, method: string): boolean {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && localOrigin.test(origin)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'x-perkamo-request-id');
  }
  res.setHeader('vary', 'origin');
  if (method !== 'OPTIONS') return false;
  if (typeof origin === 'string' && localOrigin.test(origin)) {
    res.setHeader('access-control-allow-methods', 'GET, OPTIONS');
    res.setHeader('access-control-allow-headers', 'authorization, last-event-id, cache-control, content-type');
    res.setHeader('access-control-max-age', '600');
  }
  res.writeHead(204);
  res.end();
  return true;
}

/**
 * Draws this request's fault. 'answered' when the fault has dealt with the request (or the
 * emulator closed during its latency); the error_after rule when the response must be lost after
 * the route ran; null when the request goes on unharmed.
 */
async function injectFault(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): Promise<'answered' | FaultRule | null> {
  const decision = state.faults.decide(path);
  if (decision.latencyMs > 0) {
    await delay(state, decision.latencyMs);
    if (state.closed) return 'answered';
  }
  const fault = decision.fault;
  switch (fault?.kind) {
    case 'error_before':
      send(res, {
        status: fault.status ?? 503,
        body: { message: 'injected fault: the request failed before it was applied (error_before)', code: 'injected_fault', fault: 'error_before' },
      });
      return 'answered';
    case 'rate_limit': {
      const retryAfter = fault.retryAfterSeconds ?? 1;
      send(res, {
        status: 429,
        headers: { 'retry-after': String(retryAfter) },
        body: { message: `injected fault: rate limited; retry after ${retryAfter} s`, code: 'rate_limited', fault: 'rate_limit' },
      });
      return 'answered';
    }
    case 'reset':
      req.socket.destroy();
      return 'answered';
    case 'hang':
      state.hung.add(res);
      res.on('close', () => state.hung.delete(res));
      req.resume();
      return 'answered';
    case 'error_after':
      return fault;
  }
  return null;
}

/** Takes a token from the bucket (its headers go on every answer); true when refused and answered 429. */
function rateLimited(state: EmulatorState, res: ServerResponse): boolean {
  const bucket = state.bucket;
  if (!bucket) return false;
  const outcome = bucket.take();
  for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
  if (outcome.allowed) return false;
  send(res, {
    status: 429,
    headers: { 'retry-after': String(outcome.retryAfterSeconds) },
    body: { message: `rate limit of ${bucket.options.capacity} requests exceeded; retry after ${outcome.retryAfterSeconds} s`, code: 'rate_limited' },
  });
  return true;
}

export async function handleRequest(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { quiet, log } = state.settings;
  const started = quiet ? 0 : performance.now();
  const requestId = nextRequestId(state);
  res.setHeader('x-perkamo-request-id', requestId);
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const method = req.method ?? 'GET';
  if (!quiet) res.on('finish', () => log(`${method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms ${requestId}`));

  try {
    if (path.startsWith('/__emulator/')) {
      send(res, await routeControl(state, req, path, method));
      return;
    }
    // Every API request counts, refused ones too: tests prove bad input never reaches Perkamo.
    const route = `${method} ${path}`;
    state.requests.set(route, (state.requests.get(route) ?? 0) + 1);
    if (path.startsWith('/v1/client/') && clientCors(req, res, method)) return;

    let errorAfter: FaultRule | null = null;
    if (state.faults.active) {
      const fault = await injectFault(state, req, res, path);
      if (fault === 'answered') return;
      errorAfter = fault;
    }

    if (path.startsWith('/v1/') && rateLimited(state, res)) return;

    let reply: Reply | null;
    try {
      if (errorAfter && customerStreamPath.test(path)) {
        reply = null; // a stream is not opened under error_after: it fails like error_before
      } else {
        reply = await routeApi(state, req, res, method, path, query, requestId);
      }
    } catch (error) {
      reply = errorReply(error);
    }
    if (errorAfter) {
      send(res, {
        status: errorAfter.status ?? 502,
        body: { message: 'injected fault: the request was applied but its response was lost (error_after)', code: 'injected_fault', fault: 'error_after' },
      });
      return;
    }
    if (reply) send(res, reply);
  } catch (error) {
    send(res, errorReply(error));
  }
}
