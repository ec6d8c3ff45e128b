import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { assertIdentifier, limits } from '../../core/index.ts';
import { responseMeta } from '../../sdk/index.ts';
import { attr } from '../../telemetry/attributes.ts';
import { HttpError, toHttpError } from '../errors.ts';
import type { HttpRequest, PerkamoRequest } from '../request.ts';
import type { Defaults } from '../payload.ts';
import type { Source } from './source.ts';

export type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;

/** Bodies above this are refused before parsing: 100 events of 32 KiB, plus the envelope. */
export const maxBodyBytes = 4 * 1024 * 1024;

/** API Gateway HTTP API (2.0), Function URLs (2.0) and REST API (1.0) events. */
export function isHttpEvent(event: unknown): event is HttpEvent {
  const e = event as Partial<APIGatewayProxyEventV2 & APIGatewayProxyEvent> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.requestContext === 'object' &&
    (typeof (e as APIGatewayProxyEventV2).requestContext?.http?.method === 'string' || typeof e.httpMethod === 'string')
  );
}

/** Header names lowercased (REST API sends them as the client wrote them). */
export function lowercaseHeaders(event: HttpEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** The request's method, uppercased (payload 2.0 `requestContext.http.method`, 1.0 `httpMethod`). */
export function httpMethod(event: HttpEvent): string {
  const method = (event as Partial<APIGatewayProxyEventV2>).requestContext?.http?.method ?? (event as APIGatewayProxyEvent).httpMethod;
  return String(method).toUpperCase();
}

export function normalizeHttpEvent(event: HttpEvent): HttpRequest {
  const headers = lowercaseHeaders(event);
  // REST API: repeated headers come in multiValueHeaders.
  for (const [name, values] of Object.entries((event as APIGatewayProxyEvent).multiValueHeaders ?? {})) {
    if (values && values.length > 1) headers[name.toLowerCase()] = values.join(', ');
  }
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;

  if ('version' in event && event.version === '2.0') {
    const v2 = event as APIGatewayProxyEventV2 & { requestContext: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } } };
    const stage = v2.requestContext.stage;
    let path = v2.rawPath ?? '/';
    if (stage && stage !== '$default' && path.startsWith(`/${stage}/`)) path = path.slice(stage.length + 1);
    return {
      method: httpMethod(event),
      path,
      headers,
      body,
      authorizerClaims: v2.requestContext.authorizer?.jwt?.claims,
    };
  }
  const v1 = event as APIGatewayProxyEvent;
  const authorizer = v1.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  return {
    method: httpMethod(event),
    path: v1.path ?? v1.resource ?? '/',
    headers,
    body,
    authorizerClaims: (authorizer?.claims as Record<string, unknown> | undefined) ?? (authorizer?.jwt as { claims?: Record<string, unknown> } | undefined)?.claims,
  };
}

/**
 * The path parameters when `path` is `routePath` (`/customers/{id}`: a `{name}` segment matches one
 * segment), else undefined. With `suffix`, a path that ends with the route also matches, so
 * custom-domain base paths (`/loyalty/events`) work.
 */
export function routeParams(routePath: string, path: string, { suffix = false } = {}): Record<string, string> | undefined {
  const want = routePath.split('/').filter(Boolean);
  const got = (path.replace(/\/+$/, '') || '/').split('/').filter(Boolean);
  if (got.length < want.length || (!suffix && got.length !== want.length)) return undefined;
  const tail = got.slice(got.length - want.length);
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const value = tail[i] as string;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (segment !== value) return undefined;
  }
  return params;
}

/** Checks method and path against the function's route (`POST /events`) and returns its path parameters. */
export function assertRoute(request: HttpRequest, route: string): Record<string, string> {
  const [method, path] = route.split(' ') as [string, string];
  const params = routeParams(path, request.path, { suffix: true });
  if (!params) {
    throw new HttpError(404, 'route_not_found', `no route ${request.method} ${request.path}; this function serves ${route}`);
  }
  if (request.method !== method) {
    throw new HttpError(405, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${method}`, {
      headers: { allow: method },
    });
  }
  return params;
}

/** Parses a JSON body. An empty body is `undefined`; a non-JSON content type is refused. */
export function parseJsonBody(request: HttpRequest): unknown {
  const type = request.headers['content-type'];
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type.trim())) {
    throw new HttpError(415, 'unsupported_media_type', `content-type ${JSON.stringify(type.slice(0, 100))} is not JSON; send application/json`);
  }
  if (Buffer.byteLength(request.body) > maxBodyBytes) {
    throw new HttpError(413, 'payload_too_large', `the body is over ${maxBodyBytes / 1024 / 1024} MiB`);
  }
  if (request.body.trim() === '') return undefined;
  try {
    return JSON.parse(request.body);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export function errorResponse(error: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const http = toHttpError(error);
  return jsonResponse(http.status, http.toBody(), { ...headers, ...http.headers });
}

/** The request normalised once per invocation (CORS and the trigger both read it). */
export function httpRequestOf(request: PerkamoRequest<HttpEvent>): HttpRequest {
  return (request.internal.http ??= normalizeHttpEvent(request.event));
}

/**
 * The Idempotency-Key header is the default transaction id (`<key>:<index>` for a batch's events),
 * so it is checked here, under its own name, to leave room for the longest suffix (`:99`).
 */
export const idempotencyKeyMaxBytes = limits.transactionIdBytes - 4;

/** Stable transaction-id defaults for a payload that has none. */
export function httpDefaults(request: HttpRequest): Defaults {
  const key = request.headers['idempotency-key']?.trim();
  if (!key) return {};
  assertIdentifier(key, 'Idempotency-Key', idempotencyKeyMaxBytes);
  return { transactionId: key };
}

/** The Perkamo request id behind a single result, for support tickets. */
function requestIdHeader(value: unknown): Record<string, string> {
  const id = responseMeta(value)?.requestId;
  return id ? { 'x-perkamo-request-id': id } : {};
}

/** API Gateway (REST 1.0, HTTP 2.0) and Function URLs: one request, answered with JSON (errors too). */
export const httpSource: Source<HttpEvent> = {
  trigger: 'http',
  matches: isHttpEvent,
  prepare(request, { function: fn }) {
    const http = httpRequestOf(request);
    http.params = assertRoute(http, fn.route);
  },
  span(event, { function: fn }) {
    // The request's own method (a preflight is OPTIONS), with the function's route.
    const method = httpMethod(event);
    const route = fn.route.split(' ')[1] as string;
    return {
      name: `${method} ${route}`,
      kind: 'server',
      carrier: lowercaseHeaders(event),
      attributes: { [attr.faasTrigger]: 'http', [attr.httpRequestMethod]: method, [attr.httpRoute]: route },
    };
  },
  items(request, { function: fn }) {
    const http = httpRequestOf(request);
    return fn.parsePayload(parseJsonBody(http), httpDefaults(http), request.internal.principal, http.params).map((command) => ({ command }));
  },
  answer(_event, outcomes, { function: fn }) {
    const { status, value } = fn.toValue(outcomes);
    return jsonResponse(status, value, { ...fn.httpHeaders, ...requestIdHeader(value) });
  },
  failed(_event, error, { function: fn }) {
    return errorResponse(error, fn.httpHeaders);
  },
};
