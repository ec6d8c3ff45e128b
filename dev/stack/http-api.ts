/**
 * The local HTTP API: API Gateway HTTP API routes → the functions (as 2.0 events), plus what only
 * exists locally — the demo page, the dev routes under /dev/ (a dev JWT, the page's config), and
 * the trace view: OTLP/HTTP exports in at POST /v1/traces, the traces page at /traces, its data
 * at /dev/traces (list, one trace, and a live event stream).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join } from 'node:path';
import { devDefaultScopes, devTokenTtlSeconds, mintDevToken } from './dev-config.ts';
import {
  apiGatewayRequestId,
  fromFunctionResult,
  gatewayAnswer,
  internalServerError,
  notFound,
  readBody,
  toHttpApiEvent,
  writeAnswer,
  type HttpAnswer,
} from './api-gateway.ts';
import { functions } from '../../src/lambda/functions/index.ts';
import { decodeOtlpTraces } from '../harness/otlp-receiver.ts';
import type { TraceStore } from './trace-store.ts';
import { routeParams } from '../../src/lambda/sources/http.ts';
import type { FunctionName } from './lambda.ts';
import { boundText, upstreamCode } from '../../src/core/text.ts';

/** The HTTP routes of the function list (src/lambda/functions/index.ts), as serverless.yml declares them: `METHOD /path` → function. */
export const routes: Record<string, FunctionName> = Object.fromEntries(
  functions.filter((fn) => fn.triggers.includes('http')).map((fn) => [fn.route, fn.name]),
);

/** The function serving `method path` (exact, as API Gateway routes; OPTIONS for browser functions' preflights). */
export function routeOf(method: string, path: string): FunctionName | undefined {
  for (const fn of functions) {
    if (!fn.triggers.includes('http')) continue;
    const [routeMethod, routePath] = fn.route.split(' ') as [string, string];
    if (!routeParams(routePath, path)) continue;
    if (method === routeMethod || (method === 'OPTIONS' && fn.browser)) return fn.name;
  }
  return undefined;
}

export interface LocalApiOptions {
  /** Invokes a function; undefined until the functions are loaded (requests then get 503). */
  invoke: () => ((name: FunctionName, event: unknown) => Promise<unknown>) | undefined;
  demoDir: string;
  /** What GET /dev/config tells the demo page. */
  pageConfig: () => unknown;
  log: (line: string) => void;
  /** Where OTLP exports to POST /v1/traces go; without it there is no trace view. */
  traces?: TraceStore;
}

const staticTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

const userIdPattern = /^[\w.:@+-]{1,128}$/;
const scopePattern = /^[\w.:/-]{1,64}$/;

async function devToken(body: Buffer): Promise<HttpAnswer> {
  let input: { user_id?: unknown; scopes?: unknown } = {};
  try {
    input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as typeof input);
  } catch {
    return json(400, { error: { code: 'invalid_json', message: 'the body is not JSON; send {"user_id":"alice"}' } });
  }
  if (typeof input.user_id !== 'string' || !userIdPattern.test(input.user_id)) {
    return json(400, { error: { code: 'validation_failed', field: 'user_id', message: 'user_id: 1–128 of A-Z a-z 0-9 _ . : @ + -' } });
  }
  const scopes = input.scopes === undefined ? [...devDefaultScopes] : input.scopes;
  if (!Array.isArray(scopes) || !scopes.every((s): s is string => typeof s === 'string' && scopePattern.test(s))) {
    return json(400, { error: { code: 'validation_failed', field: 'scopes', message: 'scopes: a list of scope names' } });
  }
  const token = await mintDevToken(input.user_id, scopes);
  return json(200, { token, token_type: 'Bearer', expires_in: devTokenTtlSeconds, user_id: input.user_id, scopes });
}

/**
 * What a JSON error answer (`{"error":{"code","message"}}`) told the caller, for the request line:
 * ` <code>` and ` — <message>` (one line, at most 160 characters), else ''. The functions' messages
 * name fields and fixes, never tokens or values, so the caller's reason can be shown as it was given.
 */
function answeredError(answer: HttpAnswer | undefined): { code: string; message: string } {
  const none = { code: '', message: '' };
  if (!answer || answer.status < 400 || answer.body.length === 0 || answer.body.length > 64 * 1024) return none;
  try {
    const error = (JSON.parse(answer.body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const token = upstreamCode(error?.code);
    const code = token === undefined ? '' : ` ${token}`;
    const message = typeof error?.message === 'string' && error.message.trim() !== '' ? ` — ${boundText(error.message, 160)}` : '';
    return { code, message };
  } catch {
    return none;
  }
}

/**
 * What Node's HTTP parser refuses before any route sees it — most often a header holding a line
 * break: `-H "authorization: Bearer $(npm run token -- alice)"` without `-s` puts npm's banner lines
 * into the header. Node would answer a bare 400; this says what is wrong, and the request line logs it.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex, log: (line: string) => void): void {
  const code = String(error.code ?? 'HPE_INVALID');
  if (!socket.writable || code === 'ECONNRESET') return void socket.destroy();
  const tooLarge = code === 'HPE_HEADER_OVERFLOW';
  const header = !tooLarge && /HEADER|LF_EXPECTED|CR_EXPECTED/.test(code);
  const [status, reason, errorCode, message] = tooLarge
    ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'the request headers are larger than this server takes (16 KiB in all)']
    : [
        400,
        'Bad Request',
        'malformed_request',
        header
          ? 'the request headers could not be parsed: a header line is malformed or a header value holds a line break. ' +
            'With a token from `npm run token`, use `npm run -s token -- <user>` (without -s, npm prints its banner into the header)'
          : `the request could not be parsed as HTTP/1.1 (${code})`,
      ];
  log(`HTTP request refused before routing: ${status} ${errorCode} (${code})${header ? ': malformed header (npm run -s token?)' : ''}`);
  const body = JSON.stringify({ error: { code: errorCode, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** OTLP/HTTP trace export (http/protobuf or http/json, gzip or not), as a collector answers it. */
function receiveOtlp(traces: TraceStore, req: IncomingMessage, body: Buffer): HttpAnswer {
  const contentType = String(req.headers['content-type'] ?? 'application/x-protobuf');
  try {
    traces.add(decodeOtlpTraces(body, contentType, req.headers['content-encoding'] as string | undefined));
  } catch (error) {
    return json(400, { error: { code: 'invalid_otlp', message: `unreadable OTLP body: ${(error as Error).message}` } });
  }
  return contentType.includes('json')
    ? json(200, {})
    : { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(0) };
}

/** Server-sent events: one `trace` event with a trace's summary whenever spans of it arrive. */
function traceEvents(traces: TraceStore, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': live traces\n\n');
  const unsubscribe = traces.subscribe((summary) => res.write(`event: trace\ndata: ${JSON.stringify(summary)}\n\n`));
  // Proxies and browsers drop an idle stream; a comment every 15 s keeps it.
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  keepAlive.unref();
  res.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
  });
}

export function createLocalApi(options: LocalApiOptions): Server {
  const { log } = options;

  async function serveStatic(path: string): Promise<HttpAnswer> {
    const name = path === '/' ? 'index.html' : path.slice(1);
    if (!/^[\w-]+\.(?:html|js|css|png|svg)$/.test(name)) return notFound();
    try {
      const body = await readFile(join(options.demoDir, name));
      return { status: 200, headers: { 'content-type': staticTypes[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }, body };
    } catch {
      return notFound();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    // A JSON error answer's code and message are worth as much as its status: the caller's reason,
    // after the time so that status, code and time stay in their places (`emit 400 validation_failed 2 ms — …`).
    const line = (status: number, target: string, answer?: HttpAnswer) => {
      const error = answeredError(answer);
      log(`HTTP ${method} ${path} → ${target} ${status}${error.code} ${Math.round(performance.now() - started)} ms${error.message}`);
    };

    const body = await readBody(req);
    const fn = routeOf(method, path);
    if (fn) {
      const requestId = apiGatewayRequestId();
      if (body === 'too_large') {
        writeAnswer(res, gatewayAnswer(413, 'Request Entity Too Large'), requestId);
        return line(413, fn);
      }
      const invoke = options.invoke();
      if (!invoke) {
        writeAnswer(res, gatewayAnswer(503, 'Service Unavailable'), requestId);
        return line(503, fn);
      }
      const event = toHttpApiEvent(
        { method, url, headers: req.headers, body, sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1' },
        `${method} ${path}`,
        requestId,
      );
      let answer: HttpAnswer;
      try {
        answer = fromFunctionResult(await invoke(fn, event));
      } catch (error) {
        log(`${fn}: invocation failed: ${(error as Error).name}: ${(error as Error).message}`);
        answer = internalServerError();
      }
      writeAnswer(res, answer, requestId);
      return line(answer.status, fn, answer);
    }

    if (body === 'too_large') return writeAnswer(res, gatewayAnswer(413, 'Request Entity Too Large'));
    const traces = options.traces;
    if (traces && method === 'GET' && path === '/dev/traces/events') return traceEvents(traces, res);
    let answer: HttpAnswer;
    if (traces && method === 'POST' && path === '/v1/traces') answer = receiveOtlp(traces, req, body);
    else if (traces && method === 'GET' && path === '/dev/traces') answer = json(200, { traces: traces.list() });
    else if (traces && method === 'GET' && /^\/dev\/traces\/[0-9a-f]{32}$/.test(path)) {
      const traceId = path.slice('/dev/traces/'.length);
      const spans = traces.get(traceId);
      answer = spans
        ? json(200, { summary: traces.summary(traceId), spans })
        : json(404, { error: { code: 'trace_not_found', message: 'no such trace here (yet): its spans arrive when the invocation ends; only the newest 200 traces are kept' } });
    } else if (traces && (method === 'GET' || method === 'HEAD') && path === '/traces') answer = await serveStatic('/traces.html');
    else if (method === 'POST' && path === '/dev/token') answer = await devToken(body);
    else if (method === 'GET' && path === '/dev/config') answer = json(200, options.pageConfig());
    else if (method === 'GET' && path === '/favicon.ico') answer = { status: 204, headers: {}, body: Buffer.alloc(0) };
    else if (method === 'GET' || method === 'HEAD') answer = await serveStatic(path);
    else answer = notFound();
    writeAnswer(res, method === 'HEAD' ? { ...answer, body: Buffer.alloc(0) } : answer);
    // The trace view's traffic (OTLP exports, the page's reads) is not worth a line unless it fails.
    const quiet = path === '/v1/traces' || path.startsWith('/dev/traces');
    if ((path.startsWith('/dev/') && !quiet) || answer.status >= 400) line(answer.status, path.startsWith('/dev/') ? 'dev' : path === '/v1/traces' ? 'traces' : 'static', answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`HTTP ${req.method} ${req.url}: ${(error as Error).message}`);
      if (!res.headersSent) writeAnswer(res, internalServerError());
      else res.destroy();
    });
  });
  server.on('clientError', (error, socket) => answerUnparsable(error, socket, log));
  return server;
}
