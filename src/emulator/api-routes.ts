// The Perkamo API routes (`/v1/*`), dispatched by path and method. Each route checks its request
// (request-checks.ts) and answers a Reply, or throws an ApiError; streams answer themselves.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  assertSafeEventInput,
  assertUserId,
  isPlainObject,
  limits,
  PerkamoValidationError,
  toIdentifyBody,
  type PerkamoEventInput,
} from '../core/index.ts';
import { customerStreamPath, openCustomerStream } from './customer-stream.ts';
import { bodyObject, decodeUserId, requireKey, signedJson } from './request-checks.ts';
import { ApiError, itemError, validationError, type Reply } from './replies.ts';
import type { IngestResult } from './space.ts';
import { issueToken, type EmulatorState } from './state.ts';

/** Legacy `tenant`/`space` fields are ignored; PHP's `[]` for an empty object is read as `{}`. */
function normalizeEvent(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const { tenant: _tenant, space: _space, ...rest } = value;
  if (Array.isArray(rest.context) && rest.context.length === 0) rest.context = {};
  return rest;
}

function emptyAsObject(value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? {} : value;
}

function validateEvent(value: unknown): PerkamoEventInput {
  const event = normalizeEvent(value);
  assertSafeEventInput(event);
  return event;
}

async function routeIdentify(state: EmulatorState, req: IncomingMessage, path: string): Promise<Reply> {
  const body = bodyObject(await signedJson(state.settings, req, path));
  const input = toIdentifyBody({ user_id: body.user_id, traits: emptyAsObject(body.traits) });
  return { status: 200, body: state.space.identify(input.user_id, input.traits) };
}

async function routeEvent(state: EmulatorState, req: IncomingMessage, path: string, requestId: string): Promise<Reply> {
  const body = bodyObject(await signedJson(state.settings, req, path));
  const event = validateEvent(body);
  const outcome = state.space.ingest(event, requestId);
  if (outcome.kind === 'conflict') throw new ApiError(409, 'transaction_id_conflict', outcome.message, 'transaction_id');
  return { status: 200, body: outcome.result };
}

async function routeBatch(state: EmulatorState, req: IncomingMessage, path: string, requestId: string): Promise<Reply> {
  const body = bodyObject(await signedJson(state.settings, req, path));
  const events = body.events;
  if (!Array.isArray(events)) {
    throw new ApiError(400, 'validation_failed', "'events' must be a list of 1–100 events", 'events', events === undefined ? 'required' : 'not_array');
  }
  if (events.length === 0) throw new ApiError(400, 'validation_failed', "'events' is empty; send 1–100 events", 'events', 'empty');
  if (events.length > limits.batchMaxEvents) {
    throw new ApiError(
      413,
      'batch_too_large',
      `'events' has ${events.length} events; a batch takes at most ${limits.batchMaxEvents}`,
      'events',
      'too_many',
    );
  }
  const inputs = events.map((item, i) => {
    try {
      return validateEvent(item);
    } catch (error) {
      if (error instanceof PerkamoValidationError) throw itemError(error, i);
      throw error;
    }
  });
  const results: IngestResult[] = inputs.map((input) => state.space.ingest(input, requestId).result);
  return { status: 200, body: { results } };
}

function routeCustomer(state: EmulatorState, req: IncomingMessage, segment: string): Reply {
  requireKey(state.settings, req);
  const userId = decodeUserId(segment);
  const customer = state.space.customer(userId);
  if (!customer) throw new ApiError(404, 'customer_not_found', 'no customer with this user_id; identify it or emit an event for it first');
  return { status: 200, body: customer };
}

function routeProgram(state: EmulatorState, req: IncomingMessage): Reply {
  requireKey(state.settings, req);
  return { status: 200, body: state.settings.program.json };
}

async function routeBrowserToken(state: EmulatorState, req: IncomingMessage, path: string): Promise<Reply> {
  const body = bodyObject(await signedJson(state.settings, req, path));
  const browserKey = body.browser_key;
  if (typeof browserKey !== 'string' || browserKey.trim() === '') {
    throw new ApiError(400, 'validation_failed', "'browser_key' is required: the public browser key (pk_…)", 'browser_key', 'required');
  }
  if (!state.settings.browserKeys.includes(browserKey.trim())) {
    throw new ApiError(400, 'unknown_browser_key', "'browser_key' is not a browser key of this emulator", 'browser_key');
  }
  try {
    assertUserId(body.user_id);
  } catch (error) {
    if (error instanceof PerkamoValidationError) throw validationError(error);
    throw error;
  }
  const { min, max } = limits.browserTokenTtlSeconds;
  const ttl = body.ttl_seconds ?? 600;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < min || ttl > max) {
    throw new ApiError(400, 'validation_failed', `'ttl_seconds' must be an integer ${min}–${max}`, 'ttl_seconds', 'out_of_range');
  }
  const purpose = body.purpose ?? undefined;
  if (purpose !== undefined && purpose !== 'stream') {
    throw new ApiError(400, 'validation_failed', `'purpose' must be "stream" or omitted`, 'purpose', 'invalid');
  }
  const iat = Math.floor(Date.now() / 1000);
  const token = issueToken(state, { userId: body.user_id, browserKey: browserKey.trim(), ttlSeconds: ttl, purpose, now: iat });
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    body: { token, token_type: 'Bearer', expires_at: new Date((iat + ttl) * 1000).toISOString(), expires_in: ttl },
  };
}

/** The route's Reply, or null when the route has answered itself (an open stream). */
export async function routeApi(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  query: string,
  requestId: string,
): Promise<Reply | null> {
  const only = (allowed: string): void => {
    if (method !== allowed) {
      throw new ApiError(405, 'method_not_allowed', `${path} takes ${allowed}`, undefined, undefined, { allow: allowed });
    }
  };
  switch (path) {
    case '/v1/identify':
      only('POST');
      return routeIdentify(state, req, path);
    case '/v1/events':
      only('POST');
      return routeEvent(state, req, path, requestId);
    case '/v1/events:batch':
    case '/v1/events%3Abatch':
    case '/v1/events%3abatch':
      only('POST');
      return routeBatch(state, req, path, requestId);
    case '/v1/program':
      only('GET');
      return routeProgram(state, req);
    case '/v1/browser-tokens':
      only('POST');
      return routeBrowserToken(state, req, path);
  }
  const customer = /^\/v1\/(?:customer|profile)\/([^/]+)$/.exec(path);
  if (customer) {
    only('GET');
    return routeCustomer(state, req, customer[1] as string);
  }
  const stream = customerStreamPath.exec(path);
  if (stream) {
    only('GET');
    openCustomerStream(state, req, res, stream[1] as string, query, requestId);
    return null;
  }
  throw new ApiError(404, 'not_found', `no route ${method} ${path}`);
}
