// The Perkamo client, with the surface of the official @perkamo/sdk. It re-exports the core
// rules (as @perkamo/sdk re-exports @perkamo/sdk-core) and knows nothing of Lambda or tracing.
export * from '../core/index.ts';
export { encodePathSegment } from './paths.ts';
export { createPerkamoClient, defaultBaseUrl, type EmitOptions, type PerkamoCalls, type PerkamoClient, type PerkamoClientOptions } from './client.ts';
export {
  PerkamoApiError,
  PerkamoConfigurationError,
  PerkamoDeadlineExceededError,
  PerkamoNetworkError,
  PerkamoRedirectError,
  PerkamoResponseError,
  PerkamoTimeoutError,
} from './errors.ts';
export { carryResponseMeta, responseMeta, retryAfterOf, type RateLimit, type ResponseMeta } from './response-meta.ts';
export type { CustomerSubscription } from './stream.ts';
export type {
  ApiKeySupplier,
  CallOptions,
  PerkamoAttemptInfo,
  PerkamoFetch,
  PerkamoOperation,
  PerkamoRequestInit,
  RetryOptions,
} from './transport.ts';
export type * from './types.ts';
export { sdkVersion } from './version.ts';
