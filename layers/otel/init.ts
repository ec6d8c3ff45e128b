// The layer's entry point, loaded with `node --import /opt/otel-init.mjs` (the perkamo-otel-handler wrapper
// adds it) before the function's handler module: registers the tracer provider, the propagator and
// an AsyncLocalStorage context manager with @opentelemetry/api, and hands the functions a bounded
// flush through src/telemetry/hooks.ts. It never throws: without it, the functions run untraced.
// First: its body starts the extension's registration before the modules below are evaluated.
import { earlyRegistration, flushPlan } from './registration.ts';
import { registerTelemetryHooks } from '../../src/telemetry/hooks.ts';
import { startAfterResponseFlush } from './after-response.ts';
import { startBackgroundFlush } from './background.ts';
import { defaultWarn, setupTracing, type Tracing } from './setup.ts';

const loaded = Symbol.for('perkamo-lambda.otel-layer');
const global = globalThis as Record<symbol, unknown>;

/** When the functions' spans are exported: registration.ts's plan (after the response, in the background, or in the invocation). */
async function flushHook(tracing: Tracing): Promise<(timeoutMs: number) => Promise<void>> {
  const plan = flushPlan(tracing.config, process.env);
  if (plan === 'background') {
    const background = startBackgroundFlush(tracing.flush, tracing.config.otlp.timeoutMs);
    return async () => background.done();
  }
  if (plan === 'in-invocation' || !earlyRegistration) return tracing.flush;
  const after = await startAfterResponseFlush(earlyRegistration, tracing.flush, defaultWarn);
  return after ? async () => after.done() : tracing.flush;
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
      registerTelemetryHooks({ flush: await flushHook(tracing) });
      performance.mark('perkamo-otel:ready');
    }
  } catch (error) {
    defaultWarn(`tracing not started: ${error instanceof Error ? error.message : String(error)}`);
    // Registered already: the extension must still follow every invocation, or Lambda would wait on
    // it until each one's deadline. The functions' hook signals it; there is nothing to export.
    const idle = earlyRegistration && (await startAfterResponseFlush(earlyRegistration, async () => {}, defaultWarn));
    if (idle) registerTelemetryHooks({ flush: async () => idle.done() });
  }
}
