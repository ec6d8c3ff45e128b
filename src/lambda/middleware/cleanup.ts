// Early returns. When a `before` returns a value, middy 6 answers with it at once and skips the
// `after` of every middleware that already ran — the tracing middleware's included, so its span
// would stay open and unflushed. As in Powertools for AWS Lambda (`cleanupMiddlewares`): each
// middleware that must finish its work leaves a cleanup function on `request.internal`, and a
// middleware that answers early does so through `respondEarly`, which runs them first.
import type { CleanupFunction, PerkamoInternal, PerkamoRequest } from '../request.ts';

type CleanupKey = { [K in keyof PerkamoInternal]-?: NonNullable<PerkamoInternal[K]> extends CleanupFunction ? K : never }[keyof PerkamoInternal];

/**
 * The `request.internal` keys that hold cleanups, in the order they run: innermost middleware first,
 * metrics and the summary log line next (they count what the others did), tracing last (it ends
 * the invocation span and flushes, so it must see the others' work).
 */
export const cleanupKeys: readonly CleanupKey[] = ['metricsCleanup', 'loggingCleanup', 'tracingCleanup'];

/** Runs every cleanup the middlewares left on `request.internal`, in `cleanupKeys` order. */
export async function cleanupMiddlewares(request: PerkamoRequest<any, any>): Promise<void> {
  for (const key of cleanupKeys) {
    const cleanup = request.internal[key];
    if (typeof cleanup === 'function') await cleanup(request);
  }
}

/**
 * Answers the invocation from a `before`: `return respondEarly(request, response)`. Sets the
 * response first, so that cleanups see what the trigger is answered (the invocation span its status).
 */
export async function respondEarly<T>(request: PerkamoRequest<any, any>, response: T): Promise<T> {
  request.response = response;
  await cleanupMiddlewares(request);
  return response;
}
