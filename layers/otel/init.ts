// The layer's entry point, loaded with `node --import /opt/otel-init.mjs` (the otel-handler wrapper
// adds it) before the function's handler module: registers the tracer provider, the propagator and
// an AsyncLocalStorage context manager with @opentelemetry/api, and hands the functions a bounded
// flush through src/telemetry/hooks.ts. It never throws: without it, the functions run untraced.
import { registerTelemetryHooks } from '../../src/telemetry/hooks.ts';
import { defaultWarn, setupTracing } from './setup.ts';

const loaded = Symbol.for('perkamo-lambda.otel-layer');
const global = globalThis as Record<symbol, unknown>;

if (!global[loaded]) {
  global[loaded] = true;
  try {
    const tracing = setupTracing(process.env);
    if (tracing) {
      tracing.register();
      registerTelemetryHooks({ flush: tracing.flush });
    }
  } catch (error) {
    defaultWarn(`tracing not started: ${error instanceof Error ? error.message : String(error)}`);
  }
}
