import type { APIGatewayProxyResult } from 'aws-lambda';
import type { PerkamoRequest } from '../request.ts';
import { httpRequestOf, type HttpEvent } from '../sources/http.ts';
import { sourceOf } from '../sources/index.ts';
import { respondEarly } from './cleanup.ts';

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`); a request from any other origin gets no CORS headers. */
  origins: string[];
  methods: string;
  headers: string;
  maxAgeSeconds: number;
}

const defaults: Omit<CorsOptions, 'origins'> = {
  methods: 'POST, OPTIONS',
  headers: 'authorization, content-type',
  maxAgeSeconds: 600,
};

/**
 * CORS for browser-facing functions (stream-token). Use it first after tracing, so that it answers
 * a preflight before anything else runs (through `respondEarly`, so the invocation span still ends
 * and is flushed) and adds its headers to whatever the trigger answered, errors included.
 */
export function cors(options: Partial<CorsOptions> & Pick<CorsOptions, 'origins'>) {
  const { origins, methods, headers, maxAgeSeconds } = { ...defaults, ...options };
  const allowed = new Set(origins);

  const corsBefore = (request: PerkamoRequest) => {
    if (sourceOf(request).trigger !== 'http') return undefined;
    const http = httpRequestOf(request as PerkamoRequest<HttpEvent>);
    if (http.method !== 'OPTIONS') return undefined;
    const origin = http.headers.origin;
    const ok = origin !== undefined && allowed.has(origin);
    const preflight: APIGatewayProxyResult = {
      statusCode: ok ? 204 : 403,
      headers: ok
        ? {
            'access-control-allow-origin': origin,
            'access-control-allow-methods': methods,
            'access-control-allow-headers': headers,
            'access-control-max-age': String(maxAgeSeconds),
            vary: 'origin',
          }
        : { vary: 'origin' },
      body: '',
    };
    return respondEarly(request, preflight);
  };

  const corsAfter = (request: PerkamoRequest) => {
    const response = request.response as APIGatewayProxyResult | undefined;
    if (sourceOf(request).trigger !== 'http' || !response) return;
    const origin = request.internal.http?.headers.origin;
    response.headers = { ...response.headers, vary: 'origin', ...(origin !== undefined && allowed.has(origin) && { 'access-control-allow-origin': origin }) };
  };

  return { before: corsBefore, after: corsAfter, onError: corsAfter };
}
