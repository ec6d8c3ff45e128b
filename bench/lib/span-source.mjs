// The layer's tracing, set up as otel-init.mjs sets it up (setupTracing from layers/otel/setup.ts:
// the provider, sampler, resource, propagators and context manager, registered with
// @opentelemetry/api; the functions' flush hook registered) — but with an in-memory exporter, so
// that the export micro-benchmark (bench/lib/export-cost.mjs) gets the very ReadableSpans the
// functions make as they run. Bundled by bench/lib/build-baselines.mjs (buildSpanSource) and
// imported before the function bundles, whose @opentelemetry/api finds the provider on its global.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { setupTracing } from '../../layers/otel/setup.ts';
import { registerTelemetryHooks } from '../../src/telemetry/hooks.ts';

export const exporter = new InMemorySpanExporter();
const tracing = setupTracing(process.env, { exporter });
if (!tracing) throw new Error('setupTracing returned nothing: OTEL_SDK_DISABLED is set');
tracing.register();
registerTelemetryHooks({ flush: tracing.flush });

/** Exports what is still buffered (the functions' own flush normally has). */
export const flush = (timeoutMs = 1_000) => tracing.flush(timeoutMs);
