// Early returns through the real middy pipeline and the layer's real SDK set-up (buffered processor,
// flush hook, in-memory exporter): middy 6 skips every `after` when a `before` answers, so the
// invocation span must be ended and flushed by the cleanup the tracing middleware left
// (cleanupMiddlewares / respondEarly), as Powertools does.
import middy from '@middy/core';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setupTracing } from '../../layers/otel/setup.ts';
import type { PerkamoRequest } from '../../src/lambda/request.ts';
import { cleanupKeys, cleanupMiddlewares, respondEarly } from '../../src/lambda/middleware/cleanup.ts';
import { commands, deadline, tracing, trigger } from '../../src/lambda/middleware/index.ts';
import { emitFunction } from '../../src/lambda/functions/emit.ts';
import { createRuntime, middyOptions, runInvocation } from '../../src/lambda/runtime.ts';
import { registerTelemetryHooks, type TelemetryHooks } from '../../src/telemetry/hooks.ts';
import { httpApiEvent, lambdaContext } from '../helpers/aws-events.ts';

const origin = 'https://app.example.com';
const env: Record<string, string> = {
  PERKAMO_BASE_URL: 'http://127.0.0.1:9', // never reached: nothing here gets to Perkamo
  PERKAMO_SECRET_KEY: 'sk_test_early_return',
  PERKAMO_BROWSER_KEY: 'pk_test_early_return',
  AUTH_JWT_SECRET: 'test-secret-of-at-least-32-bytes-long!!',
  AUTH_ISSUER: 'https://auth.example.test/',
  AUTH_AUDIENCE: 'perkamo-lambda-tests',
  CORS_ALLOWED_ORIGINS: origin,
  LOG_LEVEL: 'error',
};

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<any>;
let streamToken: Handler;
let exporter: InMemorySpanExporter;
let flushes: number[] = [];

beforeAll(async () => {
  // What the layer's init.ts does at load, with an in-memory exporter: spans leave only on flush.
  // Once per file: the package's tracer binds to the first provider registered.
  exporter = new InMemorySpanExporter();
  const layer = setupTracing({}, { exporter, warn: () => undefined })!;
  layer.register();
  registerTelemetryHooks({
    flush: (timeoutMs) => {
      flushes.push(timeoutMs);
      return layer.flush(timeoutMs);
    },
  });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    streamToken = (await import('../../functions/stream-token.ts')).handler as Handler;
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
  }
});
beforeEach(() => {
  exporter.reset();
  flushes = [];
});
afterAll(() => {
  registerTelemetryHooks(undefined as unknown as TelemetryHooks);
  trace.disable();
  context.disable();
  propagation.disable();
});

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();

describe('a CORS preflight, answered by cors before the handler', () => {
  it('ends the invocation span with http.request.method OPTIONS and 204, and flushes it within the budget', async () => {
    const ctx = lambdaContext(3_000, 'perkamo-stream-token');
    const res = await streamToken(httpApiEvent('OPTIONS /stream-token', undefined, { origin }), ctx);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    const [span, ...others] = spans();
    expect(others).toEqual([]);
    expect(span?.name).toBe('OPTIONS /stream-token');
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.ended).toBe(true);
    expect(span?.attributes).toMatchObject({
      'faas.trigger': 'http',
      'http.request.method': 'OPTIONS',
      'http.route': '/stream-token',
      'http.response.status_code': 204,
      'faas.name': 'perkamo-stream-token',
    });
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toBeGreaterThan(0);
    expect(flushes[0]).toBeLessThanOrEqual(3_000 - 100);
  });

  it('from an origin not allowed: 403, told by the span the same way', async () => {
    const res = await streamToken(httpApiEvent('OPTIONS /stream-token', undefined, { origin: 'https://evil.example' }), lambdaContext());
    expect(res.statusCode).toBe(403);
    expect(spans().map((s) => [s.name, s.attributes['http.request.method'], s.attributes['http.response.status_code']])).toEqual([
      ['OPTIONS /stream-token', 'OPTIONS', 403],
    ]);
    expect(flushes).toHaveLength(1);
  });

  it('an event tracing cannot even open a span for: the layer\'s hook is still called, once (under Lambda its extension waits for that call)', async () => {
    const ctx = lambdaContext();
    Object.defineProperty(ctx, 'functionName', {
      get() {
        throw new Error('an unreadable context');
      },
    });
    await streamToken(httpApiEvent('POST /stream-token', {}, { origin }), ctx).catch(() => undefined);
    expect(spans()).toEqual([]);
    expect(flushes).toHaveLength(1);
  });

  it('a POST that fails auth still goes through after/onError: one span, ended once, flushed once', async () => {
    const res = await streamToken(httpApiEvent('POST /stream-token', {}, { origin }), lambdaContext());
    expect(res.statusCode).toBe(401);
    expect(spans().map((s) => [s.name, s.attributes['http.request.method'], s.attributes['http.response.status_code']])).toEqual([
      ['POST /stream-token', 'POST', 401],
    ]);
    expect(flushes).toHaveLength(1);
  });
});

describe('respondEarly / cleanupMiddlewares: any early return', () => {
  const runtime = createRuntime(emitFunction, env);
  const fn = emitFunction;
  /** emit with a middleware of a team's own that answers some requests itself (a cached answer, a throttle…). */
  const handlerWith = (early: middy.MiddlewareObj<any, any, Error, any, any>) =>
    middy(middyOptions(runtime))
      .use(tracing({ function: fn }))
      .use(trigger({ function: fn }))
      .use(deadline({ reserveMs: runtime.config.reserveMs }))
      .use(early)
      .use(commands({ function: fn }))
      .handler(runInvocation(runtime));

  it('a middleware that answers through respondEarly gets the invocation span ended with its answer, and flushed', async () => {
    const throttle = { before: (request: PerkamoRequest) => respondEarly(request, { statusCode: 429, headers: { 'retry-after': '1' }, body: '' }) };
    const res = await handlerWith(throttle)(httpApiEvent('POST /events', { user_id: 'u1', event: 'page.viewed' }), lambdaContext());
    expect(res.statusCode).toBe(429);
    expect(spans().map((s) => [s.name, s.attributes['http.response.status_code']])).toEqual([['POST /events', 429]]);
    expect(flushes).toHaveLength(1);
  });

  it('the tracing cleanup runs once, however often it is called, and not again from onError', async () => {
    let calls = 0;
    const twice = {
      before: async (request: PerkamoRequest) => {
        await cleanupMiddlewares(request);
        await cleanupMiddlewares(request);
        calls++;
        throw new Error('after the cleanup');
      },
    };
    const error = await handlerWith(twice)({ user_id: 'u1', event: 'page.viewed' }, lambdaContext()).catch((e: Error) => e);
    expect(error).toMatchObject({ message: 'after the cleanup' });
    expect(calls).toBe(1);
    expect(spans()).toHaveLength(1);
    expect(flushes).toHaveLength(1);
  });

  it('lists the tracing cleanup last', () => {
    expect(cleanupKeys.at(-1)).toBe('tracingCleanup');
  });
});
