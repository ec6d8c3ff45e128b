import middy from '@middy/core';
import { auth, commands, cors, deadline, logging, metrics, tracing, trigger } from './middleware/index.ts';
import type { PerkamoFunction } from './function.ts';
import type { PerkamoHandler } from './request.ts';
import { reportInitError } from './init-error.ts';
import { createLogger } from './logger.ts';
import { createRuntime, functionNameOf, middyOptions, runInvocation, type Runtime } from './runtime.ts';

/**
 * A function's handler: the function in the one middleware order every function uses. Tracing
 * wraps everything; logging (the invocation's logger and summary line) and metrics (its EMF line)
 * come next, so they see every answer; CORS (browser functions) answers preflights and decorates
 * every answer; the trigger answers; auth runs before the payload is parsed; the handler runs
 * within the deadline. The runtime (config, client, logger) is built here, at cold start; a
 * configuration it cannot start with is reported once (init-error.ts).
 */
export function createHandler(fn: PerkamoFunction): PerkamoHandler {
  let runtime: Runtime;
  try {
    runtime = createRuntime(fn);
  } catch (error) {
    throw reportInitError(error, createLogger('info', { function_name: functionNameOf(fn) }));
  }
  const handler = middy(middyOptions(runtime))
    .use(tracing({ function: fn, budget: runtime.budget }))
    .use(logging({ logger: runtime.logger }));
  if (runtime.config.metrics.enabled) handler.use(metrics({ function: fn, namespace: runtime.config.metrics.namespace }));
  if (fn.browser) handler.use(cors({ origins: runtime.config.corsOrigins, methods: `${fn.route.split(' ')[0]}, OPTIONS` }));
  return handler
    .use(trigger({ function: fn }))
    .use(deadline({ budget: runtime.budget }))
    .use(
      auth({
        config: runtime.auth,
        scope: fn.scope,
        // The message is ours and the fetch's bounded reason: no key, no token (jwks.ts).
        onKeySetFetchError: (error, { staleForMs }) =>
          staleForMs > 0
            ? runtime.logger.warn('JWKS refresh failed; the held keys verify for stale_for_ms more, then tokens get 503', { error: error.message, stale_for_ms: staleForMs })
            : runtime.logger.warn('JWKS fetch failed; no key verifies, so tokens get 503 auth_unavailable until a fetch succeeds (tried again with a backoff); check AUTH_JWKS_URL', { error: error.message }),
      }),
    )
    .use(commands({ function: fn }))
    .handler(runInvocation(runtime));
}
