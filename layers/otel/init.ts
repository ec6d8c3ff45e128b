// The layer's entry point, loaded with `node --import /opt/otel-init.mjs` (the deploy's NODE_OPTIONS,
// or the perkamo-otel-handler wrapper) before the function's handler module: registers the tracer
// provider, the propagator and an AsyncLocalStorage context manager with @opentelemetry/api, and
// hands the functions a bounded flush through src/telemetry/hooks.ts. It never throws: without it,
// the functions run untraced.
//
// It is small on purpose: it reads the configuration and writes the extension's registration
// request, then loads the rest (otel-tracing.mjs, tracing-module.ts). Nothing in it waits for
// Lambda's answer: that is read once the runtime client leaves the event loop free (after-response.ts).
import { registerTelemetryHooks } from '../../src/telemetry/hooks.ts';
import { register, startAfterResponseFlush, type AfterResponseFlush, type Registration } from './after-response.ts';
import { startBackgroundFlush } from './background.ts';
import { defaultWarn, exportPlace, readConfig, type ExportPlace } from './config.ts';
import type { Tracing } from './setup.ts';

const loaded = Symbol.for('perkamo-lambda.otel-layer');
const global = globalThis as Record<symbol, unknown>;

async function start(): Promise<void> {
  const env = process.env;
  const config = readConfig(env, defaultWarn);
  if (config.disabled) return;
  const place = exportPlace(config, env);
  let registration: Registration | undefined;
  if (place === 'after-response') {
    try {
      registration = register(env.AWS_LAMBDA_RUNTIME_API!);
      // Lambda takes registrations until the runtime's first `invocation/next`: the request must be
      // out before the runtime client loads, not merely started (the connection completes in a turn
      // of the event loop, which the runtime client's loading would not give it).
      await registration.sent;
    } catch (error) {
      defaultWarn(`the after-response export could not register its extension (${(error as Error).message}); exporting in the invocation`);
    }
  }
  // What each part of the init costs, on the process's performance timeline (the benchmark reads
  // them; a mark costs about a microsecond): the rest loaded, the provider set up, the hooks ready.
  let tracing: Tracing | undefined;
  let failure: unknown;
  try {
    const { buildTracing } = await import('./tracing-module.ts');
    performance.mark('perkamo-otel:evaluated');
    tracing = buildTracing(config, env);
    tracing.register();
    performance.mark('perkamo-otel:set-up');
  } catch (error) {
    failure = error;
  }
  // Once its registration has gone out, the extension must poll whatever happened since: Lambda
  // ends the init only when it waits on `event/next`. Without tracing it only acknowledges events.
  const after = registration && startAfterResponseFlush(registration, tracing?.flush, defaultWarn);
  if (!tracing) throw failure;
  registerTelemetryHooks({ flush: flushHook(place, tracing, after) });
  performance.mark('perkamo-otel:ready');
}

function flushHook(place: ExportPlace, tracing: Tracing, after: AfterResponseFlush | undefined): (timeoutMs: number) => Promise<void> {
  if (place === 'background') {
    const background = startBackgroundFlush(tracing.flush, tracing.config.otlp.timeoutMs);
    return async () => background.done();
  }
  if (!after) return tracing.flush;
  // After the response; should the registration fail, the invocation exports, as in-invocation.
  return async (timeoutMs) => (after.failed ? tracing.flush(timeoutMs) : after.done());
}

if (!global[loaded]) {
  global[loaded] = true;
  try {
    await start();
  } catch (error) {
    defaultWarn(`tracing not started: ${error instanceof Error ? error.message : String(error)}`);
  }
}
