import type { Request } from '@middy/core';
import type { Context as OtelContext, Span } from '@opentelemetry/api';
import type { Context } from 'aws-lambda';

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
}

/** The authenticated caller of an HTTP request. */
export interface Principal {
  userId: string;
  scopes: string[];
}

/**
 * Per-invocation state, kept on middy's `request.internal` (never in module variables). Each key
 * has one writer: `trigger` and `http` the trigger middleware, `deadline` the deadline middleware,
 * `principal` the auth middleware, `span` and `traceContext` the tracing middleware.
 */
export type PerkamoInternal = {
  /** The trigger's own event, kept for the answer (request.event becomes the Invocation). */
  rawEvent?: unknown;
  trigger?: Trigger;
  http?: HttpRequest;
  principal?: Principal;
  /** Epoch ms by which all Perkamo work must be over (remaining time minus the reserve). */
  deadline?: number;
  /** The invocation span and the context the work runs in (the tracing middleware's). */
  span?: Span;
  traceContext?: OtelContext;
};

export type PerkamoRequest<TEvent = unknown, TResult = unknown> = Request<TEvent, TResult, Error, Context, PerkamoInternal>;

/** Reads a key another middleware must have written, with an error that says which one. */
export function required<K extends keyof PerkamoInternal>(request: PerkamoRequest<any, any>, key: K): NonNullable<PerkamoInternal[K]> {
  const value = request.internal[key];
  if (value === undefined) {
    throw new Error(`request.internal.${key} is not set: add the middleware that provides it before this one`);
  }
  return value as NonNullable<PerkamoInternal[K]>;
}
