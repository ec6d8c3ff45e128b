/**
 * API Gateway HTTP API (payload format 2.0), locally: a node:http request becomes the event API
 * Gateway would send, and the function's answer becomes the HTTP response as API Gateway would
 * write it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sqsAccountId } from './dev-config.ts';
import { readBody as readBounded } from '../../src/emulator/http-body.ts';

/** Lambda refuses synchronous payloads over 6 MB; API Gateway then answers 413. */
export const maxEventBodyBytes = 6 * 1024 * 1024;

const textType = /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml|javascript|x-www-form-urlencoded)\b)/i;
/** API Gateway passes text bodies as they are and base64-encodes everything else (no content-type included). */
export const isTextContentType = (type: string | undefined) => type !== undefined && textType.test(type.trim());

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** `25/Nov/2026:12:00:00 +0000`, the format of requestContext.time. */
export function apiGatewayTime(date: Date): string {
  return `${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
export const apiGatewayRequestId = () => randomBytes(10).toString('base64');

export interface RequestParts {
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  sourceIp: string;
}

/** The request's body, or `too_large` past API Gateway's limit (the rest is read and dropped). */
export async function readBody(req: IncomingMessage, limit: number = maxEventBodyBytes): Promise<Buffer | 'too_large'> {
  const { body, tooLarge } = await readBounded(req, limit);
  return tooLarge ? 'too_large' : body;
}

/** The API Gateway HTTP API 2.0 event for one request matched to `routeKey` (`POST /events`). */
export function toHttpApiEvent(request: RequestParts, routeKey: string, requestId: string = apiGatewayRequestId()): APIGatewayProxyEventV2 {
  const now = new Date();
  const query = request.url.indexOf('?');
  const rawPath = query === -1 ? request.url : request.url.slice(0, query);
  const rawQueryString = query === -1 ? '' : request.url.slice(query + 1);

  // Header names are lowercased (node:http already does); repeated headers are joined with commas;
  // cookies move to `cookies`.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const host = headers.host ?? '127.0.0.1';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${request.sourceIp}` : request.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= host.includes(':') ? host.slice(host.lastIndexOf(':') + 1) : '80';

  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString !== '') {
    queryStringParameters = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      queryStringParameters[key] = key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
    }
  }

  const hasBody = request.body.length > 0;
  const text = isTextContentType(headers['content-type']);
  const hostname = host.replace(/:\d+$/, '');
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies && { cookies }),
    headers,
    ...(queryStringParameters && { queryStringParameters }),
    requestContext: {
      accountId: sqsAccountId,
      apiId: 'local',
      domainName: hostname,
      domainPrefix: hostname.split('.')[0] ?? hostname,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody && { body: text ? request.body.toString('utf8') : request.body.toString('base64') }),
    isBase64Encoded: hasBody && !text,
  };
  return event;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * What API Gateway makes of a function's result (payload 2.0): `{ statusCode, headers, cookies,
 * body, isBase64Encoded }` as given; any other value — an object without statusCode, a string —
 * is a 200 `application/json` whose body is the value (objects as JSON).
 */
export function fromFunctionResult(result: unknown): HttpAnswer {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const r = result as { statusCode: unknown; headers?: Record<string, unknown>; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown };
    const status = Number(r.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) return internalServerError();
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
    }
    if (Array.isArray(r.cookies) && r.cookies.length > 0) headers['set-cookie'] = r.cookies.map(String);
    const body = typeof r.body === 'string' ? r.body : r.body === undefined || r.body === null ? '' : JSON.stringify(r.body);
    return { status, headers, body: r.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8') };
  }
  const body = typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body, 'utf8') };
}

/** API Gateway's answers of its own. */
export const gatewayAnswer = (status: number, message: string): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});
export const internalServerError = () => gatewayAnswer(500, 'Internal Server Error');
export const notFound = () => gatewayAnswer(404, 'Not Found');

export function writeAnswer(res: ServerResponse, answer: HttpAnswer, requestId?: string): void {
  const headers: Record<string, string | string[] | number> = { ...answer.headers, 'content-length': answer.body.length };
  if (requestId) headers['apigw-requestid'] = requestId;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}
