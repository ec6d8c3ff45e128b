/**
 * The local HTTP API: API Gateway HTTP API routes → the functions (as 2.0 events), plus what only
 * exists locally — the demo page and the dev routes under /dev/ (a dev JWT, the page's config).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
import { operations } from '../lambda/functions.ts';
import { routeParams } from '../lambda/sources/http.ts';
import type { FunctionName } from './lambda.ts';

/** The HTTP routes of the function list (src/lambda/functions.ts), as serverless.yml declares them: `METHOD /path` → function. */
export const routes: Record<string, FunctionName> = Object.fromEntries(
  operations.filter((operation) => operation.triggers.includes('http')).map((operation) => [operation.route, operation.name]),
);

/** The function serving `method path` (exact, as API Gateway routes; OPTIONS for browser functions' preflights). */
export function routeOf(method: string, path: string): FunctionName | undefined {
  for (const operation of operations) {
    if (!operation.triggers.includes('http')) continue;
    const [routeMethod, routePath] = operation.route.split(' ') as [string, string];
    if (!routeParams(routePath, path)) continue;
    if (method === routeMethod || (method === 'OPTIONS' && operation.browser)) return operation.name;
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
    const line = (status: number, target: string) =>
      log(`HTTP ${method} ${path} → ${target} ${status} ${Math.round(performance.now() - started)} ms`);

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
      return line(answer.status, fn);
    }

    if (body === 'too_large') return writeAnswer(res, gatewayAnswer(413, 'Request Entity Too Large'));
    let answer: HttpAnswer;
    if (method === 'POST' && path === '/dev/token') answer = await devToken(body);
    else if (method === 'GET' && path === '/dev/config') answer = json(200, options.pageConfig());
    else if (method === 'GET' && path === '/favicon.ico') answer = { status: 204, headers: {}, body: Buffer.alloc(0) };
    else if (method === 'GET' || method === 'HEAD') answer = await serveStatic(path);
    else answer = notFound();
    writeAnswer(res, method === 'HEAD' ? { ...answer, body: Buffer.alloc(0) } : answer);
    if (path.startsWith('/dev/') || answer.status >= 400) line(answer.status, path.startsWith('/dev/') ? 'dev' : 'static');
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`HTTP ${req.method} ${req.url}: ${(error as Error).message}`);
      if (!res.headersSent) writeAnswer(res, internalServerError());
      else res.destroy();
    });
  });
}
