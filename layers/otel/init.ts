// The layer's entry point, loaded with `node --import /opt/otel-init.mjs` (the perkamo-otel-handler wrapper
// adds it) before the function's handler module: registers the tracer provider, the propagator and
// an AsyncLocalStorage context manager with @opentelemetry/api, and hands the functions a bounded
// flush through src/telemetry/hooks.ts. It never throws: without it, the functions run untraced.
import { registerTelemetryHooks, type TelemetryHooks } from '../../src/telemetry/hooks.ts';
import { startAfterResponseFlush } from './after-response.ts';
import { startBackgroundFlush } from './background.ts';
import { defaultWarn, setupTracing, type Tracing } from './setup.ts';

const loaded = Symbol.for('perkamo-lambda.otel-layer');
const global = globalThis as Record<symbol, unknown>;

/**
 * When the functions' spans are exported. After the response needs Lambda's Runtime API (local runs
 * and plain tests have none: there the invocation exports). In multi-concurrency mode there is no
 * freeze between invocations and one extension cannot follow several at once: there it exports in
 * the background. With nothing to export (OTEL_TRACES_EXPORTER=none) no extension is registered.
 */
async function hooksOf(tracing: Tracing): Promise<TelemetryHooks> {
  const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
  if (tracing.config.flush === 'in-invocation' || !runtimeApi || !tracing.processor) return { flush: tracing.flush };
  if (process.env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined) {
    const background = startBackgroundFlush(tracing.flush, tracing.config.otlp.timeoutMs);
    return { flush: async () => background.done() };
  }
  const after = await startAfterResponseFlush(runtimeApi, tracing.flush, defaultWarn);
  return after ? { flush: async () => after.done(), started: after.started } : { flush: tracing.flush };
}

if (!global[loaded]) {
  global[loaded] = true;
  // What each part of the init costs, on the process's performance timeline (the benchmark reads
  // them; a mark costs about a microsecond): the bundle evaluated, the provider set up, the hooks ready.
  performance.mark('perkamo-otel:evaluated');
  try {
    const tracing = setupTracing(process.env);
    if (tracing) {
      tracing.register();
      performance.mark('perkamo-otel:set-up');
      registerTelemetryHooks(await hooksOf(tracing));
      performance.mark('perkamo-otel:ready');
    }
  } catch (error) {
    defaultWarn(`tracing not started: ${error instanceof Error ? error.message : String(error)}`);
  }
}
