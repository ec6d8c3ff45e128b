// The layer's entry point, loaded with `node --import /opt/otel-init.mjs` (the otel-handler wrapper
// adds it) before the function's handler module: registers the tracer provider, the propagator and
// an AsyncLocalStorage context manager with @opentelemetry/api, and hands the functions a bounded
// flush through src/telemetry/hooks.ts. It never throws: without it, the functions run untraced.
import { registerTelemetryHooks } from '../../src/telemetry/hooks.ts';
import { startAfterResponseFlush } from './after-response.ts';
import { defaultWarn, setupTracing } from './setup.ts';

const loaded = Symbol.for('perkamo-lambda.otel-layer');
const global = globalThis as Record<symbol, unknown>;

if (!global[loaded]) {
  global[loaded] = true;
  try {
    const tracing = setupTracing(process.env);
    if (tracing) {
      tracing.register();
      // After the response: only with Lambda's Runtime API, and not in multi-concurrency mode (there
      // is no freeze between invocations there, and one extension cannot follow several at once).
      const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
      const after =
        tracing.config.flush === 'after-response' && runtimeApi && process.env.AWS_LAMBDA_MAX_CONCURRENCY === undefined
          ? await startAfterResponseFlush(runtimeApi, tracing.flush, defaultWarn)
          : undefined;
      registerTelemetryHooks({ flush: after ? async () => after.done() : tracing.flush });
    }
  } catch (error) {
    defaultWarn(`tracing not started: ${error instanceof Error ? error.message : String(error)}`);
  }
}
