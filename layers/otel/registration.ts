// The extension's registration, started before the rest of the layer is evaluated: init.ts imports
// this module first, so its body runs before the OpenTelemetry SDK's modules are, and Lambda's
// answer (a round trip to RAPID) arrives while they and the provider are set up instead of after.
import { readConfig, type Env, type TracingConfig } from './config.ts';
import { ExtensionsApi } from './extensions-api.ts';

/** How the functions' spans are exported here: the one rule (init.ts's flush hook follows it). */
export type FlushPlan = 'in-invocation' | 'background' | 'after-response';

/**
 * After the response needs Lambda's Runtime API (local runs and plain tests have none: there the
 * invocation exports) and something to export. In multi-concurrency mode there is no freeze between
 * invocations and one extension cannot follow several at once: there it exports in the background.
 */
export function flushPlan(config: TracingConfig, env: Env): FlushPlan {
  if (config.disabled || config.flush === 'in-invocation' || !env.AWS_LAMBDA_RUNTIME_API || config.exporters.length === 0) return 'in-invocation';
  return env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined ? 'background' : 'after-response';
}

export interface Registration {
  /** Undefined when AWS_LAMBDA_RUNTIME_API is not host:port. */
  api: ExtensionsApi | undefined;
  /** Settles when Lambda answered: undefined when registered, else why not. */
  registered: Promise<Error | undefined>;
}

/** Registers for INVOKE (internal extensions get no SHUTDOWN event) when the plan is after the response. */
export function startRegistration(env: Env): Registration | undefined {
  try {
    // Silent: setup.ts reads the same configuration again and warns once about what is wrong in it.
    if (flushPlan(readConfig(env, () => {}), env) !== 'after-response') return undefined;
    const api = new ExtensionsApi(env.AWS_LAMBDA_RUNTIME_API as string);
    const registered = api.register('perkamo-otel', ['INVOKE']).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    return { api, registered };
  } catch (error) {
    return { api: undefined, registered: Promise.resolve(error instanceof Error ? error : new Error(String(error))) };
  }
}

export const earlyRegistration: Registration | undefined = startRegistration(process.env);
