// Baseline (b), "the official way": @opentelemetry/instrumentation-aws-lambda with
// @opentelemetry/sdk-trace-node (NodeTracerProvider, BatchSpanProcessor) and the OTLP HTTP exporter,
// set up as their READMEs say and as the opentelemetry-lambda Node layer does (its init.mjs):
//   - the import-in-the-middle loader hook, registered before the handler loads, because Lambda
//     loads an .mjs handler with import() and the instrumentation patches it through that hook;
//   - the instrumentation finds the handler from _HANDLER under LAMBDA_TASK_ROOT and wraps it;
//   - the instrumentation force-flushes the provider at the end of every invocation.
// Loaded with `node --import <bundle of this file>`. Bundled by bench/lib/build-baselines.mjs as our
// layer's init is bundled; import-in-the-middle stays external: its loader hook runs in
// the loader thread and the modules it generates import its registry by file URL, so the registry
// the instrumentation talks to must be that same file (it ships next to the bundle, as in the layer).
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { NodeTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AwsLambdaInstrumentation } from '@opentelemetry/instrumentation-aws-lambda';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

// OTEL_TRACES_EXPORTER=none means what it means to @opentelemetry/sdk-node: spans are recorded, not
// exported (the benchmark's "not exported" rows). Otherwise the OTLP HTTP exporter, configured by the
// standard OTEL_EXPORTER_OTLP_* variables.
const exportNone = (process.env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).includes('none');
const provider = new NodeTracerProvider({
  spanProcessors: exportNone ? [] : [new BatchSpanProcessor(new OTLPTraceExporter())],
});
provider.register();

registerInstrumentations({
  instrumentations: [new AwsLambdaInstrumentation()],
});

await waitForAllMessagesAcknowledged();
