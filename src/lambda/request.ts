import type { Context as OtelContext, Span } from '@opentelemetry/api';
import type { Context } from 'aws-lambda';
import type { Logger } from './logger.ts';
import type { InvocationReport } from './report.ts';

export type Trigger = 'http' | 'sqs' | 'eventbridge' | 'direct';

/** An API Gateway (REST 1.0 / HTTP 2.0) or Function URL request, normalized. */
export interface HttpRequest {
  method: string;
  /** The route path without any stage prefix, e.g. `/events/batch`. */
  path: string;
  /** Header names lowercased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as text (base64 bodies decoded); '' when none. */
  body: string;
  /** Claims from an API Gateway JWT / Cognito authorizer, when one ran. */
  authorizerClaims: Record<string, unknown> | undefined;
  /** The route's path parameters (`{id}` in `GET /customers/{id}`), once the route matched. */
  params?: Record<string, string>;
}

/** The authenticated caller of an HTTP request. */
export interface Principal {
  userId: string;
  scopes: string[];
}

/**
 * What a middleware must still do when another one answers early: middy then skips every `after`,
 * so the middleware leaves this on `request.internal` and `cleanupMiddlewares` (middleware/cleanup.ts)
 * runs it. It must be safe to run twice (once from the cleanup, once from its own `after`/`onError`).
 */
export type CleanupFunction = (request: PerkamoRequest<any, any>) => Promise<void>;

/**
 * Per-invocation state, kept on middy's `request.internal` (never in module variables). Each key
 * has one writer: `source` whoever asks first (`sourceOf`), `http` its first reader (`httpRequestOf`),
 * `rawEvent` the trigger middleware, `deadline` the deadline middleware,
 * `principal` the auth middleware, `span`, `traceContext` and `tracingCleanup` the tracing middleware,
 * `logger`, `logFields`, `report` and `loggingCleanup` the logging middleware, `metricsCleanup` the
 * metrics middleware, `pendingLines` the metrics middleware (the logging middleware empties it).
 */
export type PerkamoInternal = {
  /** The trigger's own event, kept for the answer (request.event becomes the Invocation); set once the function accepted the trigger. */
  rawEvent?: unknown;
  /**
   * The trigger's source, detected once from the event's shape — the one record of the trigger, right
   * for every trigger. Read it with `sourceOf` (sources/index.ts), which knows its type.
   */
  source?: { readonly trigger: Trigger };
  http?: HttpRequest;
  principal?: Principal;
  /** Epoch ms by which all Perkamo work must be over (remaining time minus the reserve). */
  deadline?: number;
  /** The invocation span and the context the work runs in (the tracing middleware's). */
  span?: Span;
  traceContext?: OtelContext;
  /** Ends the invocation span and flushes, if not done yet: the tracing middleware's cleanup. */
  tracingCleanup?: CleanupFunction;
  /** The invocation's logger: every line carries `logFields`. */
  logger?: Logger;
  /** What ties a line to its invocation: aws_request_id, cold_start, trace_id / span_id, xray_trace_id. */
  logFields?: Record<string, unknown>;
  /** Filled by the handler and the runner; read when the invocation ends. */
  report?: InvocationReport;
  /** Writes the summary line, if not done yet: the logging middleware's cleanup. */
  loggingCleanup?: CleanupFunction;
  /** Lines the logging middleware writes with its summary line, in one write (the metrics middleware's EMF line). */
  pendingLines?: string[];
  /** Writes the EMF line, if not done yet: the metrics middleware's cleanup. */
  metricsCleanup?: CleanupFunction;
};

/**
 * middy's request as our middlewares see it, written out rather than imported from @middy/core: the
 * types of middy 7 import its optional peer, the durable-execution SDK, so a project whose type
 * check reads them (skipLibCheck off) would have to install that SDK to use ours. Structurally it
 * is middy's `Request<TEvent, TResult, Error, Context, PerkamoInternal>`.
 */
export interface PerkamoRequest<TEvent = unknown, TResult = unknown> {
  event: TEvent;
  context: Context;
  response: TResult | null | undefined;
  earlyResponse?: TResult | null | undefined;
  error: Error | null | undefined;
  internal: PerkamoInternal;
}

/** A middy middleware object, structurally (see PerkamoRequest). */
export interface PerkamoMiddleware {
  before?: (request: PerkamoRequest<any, any>) => unknown;
  after?: (request: PerkamoRequest<any, any>) => unknown;
  onError?: (request: PerkamoRequest<any, any>) => unknown;
}

/** What createHandler builds: Lambda's handler, (event, context) → answer (middy's handler, typed without middy's types). */
export type PerkamoHandler = (event: any, context: Context) => Promise<any>;

/** Reads a key another middleware must have written, with an error that says which one. */
export function required<K extends keyof PerkamoInternal>(request: PerkamoRequest<any, any>, key: K): NonNullable<PerkamoInternal[K]> {
  const value = request.internal[key];
  if (value === undefined) {
    throw new Error(`request.internal.${key} is not set: add the middleware that provides it before this one`);
  }
  return value as NonNullable<PerkamoInternal[K]>;
}
