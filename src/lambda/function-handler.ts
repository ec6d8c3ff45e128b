import middy from '@middy/core';
import { auth, commands, cors, deadline, logging, metrics, tracing, trigger } from './middleware/index.ts';
import type { Operation } from './operations.ts';
import { reportInitError } from './init-error.ts';
import { createLogger } from './logger.ts';
import { createRuntime, functionNameOf, middyOptions, runInvocation, type Runtime } from './runtime.ts';

/**
 * A function's handler: the operation in the one middleware order every function uses. Tracing
 * wraps everything; logging (the invocation's logger and summary line) and metrics (its EMF line)
 * come next, so they see every answer; CORS (browser functions) answers preflights and decorates
 * every answer; the trigger answers; auth runs before the payload is parsed; the handler runs
 * within the deadline. The runtime (config, client, logger) is built here, at cold start; a
 * configuration it cannot start with is reported once (init-error.ts).
 */
export function createHandler(operation: Operation) {
  let runtime: Runtime;
  try {
    runtime = createRuntime(operation);
  } catch (error) {
    throw reportInitError(error, createLogger('info', { function_name: functionNameOf(operation) }));
  }
  const handler = middy(middyOptions(runtime))
    .use(tracing({ operation, flushMarginMs: runtime.budget.flushMarginMs }))
    .use(logging({ logger: runtime.logger }));
  if (runtime.config.metrics.enabled) handler.use(metrics({ operation, namespace: runtime.config.metrics.namespace }));
  if (operation.browser) handler.use(cors({ origins: runtime.config.corsOrigins, methods: `${operation.route.split(' ')[0]}, OPTIONS` }));
  return handler
    .use(trigger({ operation }))
    .use(deadline({ reserveMs: runtime.config.reserveMs }))
    .use(auth({ config: runtime.auth, scope: operation.scope }))
    .use(commands({ operation }))
    .handler(runInvocation(runtime));
}
