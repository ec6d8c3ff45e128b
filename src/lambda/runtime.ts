import { context as otelContext } from '@opentelemetry/api';
import { createPerkamoCalls } from '../sdk/client.ts';
import type { PerkamoCalls } from '../sdk/index.ts';
import type { Command, Invocation, Outcome } from './invocation.ts';
import { LambdaConfigurationError, loadConfig, type AuthConfig, type LambdaConfig } from './config/index.ts';
import { describeConfig } from './config/describe.ts';
import { Budget } from './budget.ts';
import { BudgetExhaustedError } from './errors.ts';
import { blockAfterInvalid } from './fifo.ts';
import { createTracedFetch } from './fetch.ts';
import { createLogger, type Logger } from './logger.ts';
import type { PerkamoFunction } from './function.ts';
import { runCommands } from './runner.ts';
import { createApiKeySupplier } from './secrets.ts';

/** What a function builds once, at cold start: validated config, the Perkamo client, the logger. */
export interface Runtime {
  function: PerkamoFunction;
  config: LambdaConfig;
  /** Auth settings for the HTTP trigger (every function takes HTTP). */
  auth: AuthConfig;
  client: PerkamoCalls;
  logger: Logger;
  /** The invocation's time: the reserve from PERKAMO_DEADLINE_RESERVE_MS and every margin derived from it. */
  budget: Budget;
}

/**
 * The function's configuration, as its cold start reads it. Throws the LambdaConfigurationError
 * that would stop the function at init — so `serverless package` (serverless/startable.cjs) asks
 * this same question of the environment it is about to deploy.
 */
export function loadFunctionConfig(fn: PerkamoFunction, env: Record<string, string | undefined>): LambdaConfig {
  return loadConfig(env, { http: fn.triggers.includes('http'), browserKey: fn.needsBrowserKey === true });
}

/** Lambda's name for the function (perkamo-lambda-prod-emit), the function's own name outside Lambda: every log line's `function_name`. */
export function functionNameOf(fn: PerkamoFunction, env: Record<string, string | undefined> = process.env): string {
  return env.AWS_LAMBDA_FUNCTION_NAME || fn.name;
}

export function createRuntime(fn: PerkamoFunction, env: Record<string, string | undefined> = process.env): Runtime {
  const config = loadFunctionConfig(fn, env);
  const logger = createLogger(config.logLevel, { function_name: functionNameOf(fn, env) });
  if (logger.enabled('debug')) logger.debug('configuration', describeConfig(config));
  // The calls without the customer stream: its code stays out of the bundles.
  const client = createPerkamoCalls({
    apiKey: createApiKeySupplier(config.perkamo.secret, {
      ttlMs: config.perkamo.secretTtlMs,
      // The message names the secret and the fix, never the value.
      onRefreshError: (error, { staleForMs }) => logger.warn('server key refresh failed; serving the cached key', { error: error.message, stale_for_ms: staleForMs }),
    }),
    baseUrl: config.perkamo.baseUrl,
    fetch: createTracedFetch(),
    // Each attempt's timeout comes from the invocation's deadline; retries stop when it is near.
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 },
  });
  if (!config.auth) throw new LambdaConfigurationError([`the ${fn.name} function takes HTTP requests but has no auth settings`]);
  return { function: fn, config, auth: config.auth, client, logger, budget: new Budget(config.reserveMs) };
}

/**
 * middy's own backstop: if the handler is still running this close to Lambda's timeout (it should
 * not be: every request is bounded by the deadline), answer as failed rather than be killed.
 */
export function middyOptions(runtime: Runtime) {
  return {
    timeoutEarlyInMillis: runtime.budget.earlyTimeoutMs,
    timeoutEarlyResponse: () => {
      throw new BudgetExhaustedError('the invocation ran out of time before Perkamo answered');
    },
  };
}

/** The handler: runs the invocation's commands and returns one outcome per item, in order. */
export function runInvocation(runtime: Runtime) {
  return async function perkamoHandler(invocation: Invocation): Promise<Outcome[]> {
    const { items, grouped } = blockAfterInvalid(invocation.items);
    const commands: Command[] = [];
    for (const item of items) if ('command' in item) commands.push(item.command);
    const run = () =>
      runCommands(commands, {
        client: runtime.client,
        deadline: invocation.deadline,
        concurrency: runtime.config.concurrency,
        browserKey: runtime.config.perkamo.browserKey,
        streamTokenTtlSeconds: runtime.config.perkamo.streamTokenTtlSeconds,
        userIds: runtime.config.traceUserIds,
        onCall: invocation.report?.call,
        grouped,
      });
    // Run inside the invocation span, so operation and HTTP spans are its children.
    const ran = invocation.traceContext ? await otelContext.with(invocation.traceContext, run) : await run();
    let next = 0;
    const outcomes = items.map((item): Outcome => ('command' in item ? (ran[next++] as Outcome) : { ok: false, error: item.error }));
    invocation.report?.record(items, outcomes);
    return outcomes;
  };
}
