// Builds the tracer provider, propagator and context manager from the configuration. Nothing here
// touches the network: the OTLP exporter opens its first connection when the first flush exports.
import {
  context,
  propagation,
  trace,
  type ContextManager,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { readConfig, type Env, type PropagatorName, type TracingConfig, type Warn } from './config.ts';
import { WaterfallConsoleExporter } from './console-exporter.ts';
import { AsyncLocalStorageContextManager } from './context-manager.ts';
import { OtlpHttpExporter } from './otlp-exporter.ts';
import { BufferedSpanProcessor, type AnyExporter } from './processor.ts';
import { XRayLambdaPropagator } from './xray-lambda-propagator.ts';

export interface SetupOptions {
  /** Replaces the exporters OTEL_TRACES_EXPORTER names (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
  /** Where warnings go: one line each. Default: stderr, prefixed `[otel]`. */
  warn?: Warn;
  /** Where the console exporter writes. Default: stdout. */
  write?: (text: string) => void;
  /** Ended spans kept between flushes (default 2048); beyond it the oldest are dropped. */
  maxBufferedSpans?: number;
}

export interface Tracing {
  config: TracingConfig;
  provider: BasicTracerProvider;
  propagator: TextMapPropagator;
  contextManager: ContextManager;
  /** Undefined when OTEL_TRACES_EXPORTER=none: spans go nowhere. */
  processor: BufferedSpanProcessor | undefined;
  /** The `TelemetryHooks.flush` of src/telemetry/hooks.ts: bounded, never rejects. */
  flush(timeoutMs: number): Promise<void>;
  /** Makes this the global tracer provider, propagator and context manager of @opentelemetry/api. */
  register(): void;
}

/**
 * On Lambda, one JSON line in the functions' own log shape (`level`, `message`, `timestamp`,
 * `function_name`), so a Logs Insights query by level finds the layer's warnings too; elsewhere
 * (a local process) plain text.
 */
export const defaultWarn: Warn = (message) => {
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (!functionName) return void process.stderr.write(`[otel] ${message}\n`);
  process.stderr.write(`${JSON.stringify({ level: 'WARN', message: `[otel] ${message}`, timestamp: new Date().toISOString(), function_name: functionName })}\n`);
};

/** Undefined when OTEL_SDK_DISABLED=true: the API stays a no-op. */
export function setupTracing(env: Env = process.env, options: SetupOptions = {}): Tracing | undefined {
  const warn = options.warn ?? defaultWarn;
  const config = readConfig(env, warn);
  if (config.disabled) return undefined;

  const exporters: AnyExporter[] = options.exporter
    ? [options.exporter]
    : config.exporters.map((name) =>
        name === 'console' ? new WaterfallConsoleExporter(options.write) : new OtlpHttpExporter(config.otlp, env),
      );
  const processor =
    exporters.length > 0
      ? new BufferedSpanProcessor({
          exporters,
          warn,
          maxBufferedSpans: options.maxBufferedSpans,
          defaultTimeoutMs: config.otlp.timeoutMs,
        })
      : undefined;
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(config.resource)),
    sampler: buildSampler(config.sampler),
    spanProcessors: processor ? [processor] : [],
  });
  const propagator = new CompositePropagator({ propagators: config.propagators.map(buildPropagator) });
  const contextManager = new AsyncLocalStorageContextManager();

  const flush = async (timeoutMs: number): Promise<void> => {
    try {
      await processor?.flush(timeoutMs);
    } catch {
      // flush never rejects: the processor already warned.
    }
  };

  return {
    config,
    provider,
    propagator,
    contextManager,
    processor,
    flush,
    register() {
      context.setGlobalContextManager(contextManager.enable());
      propagation.setGlobalPropagator(propagator);
      trace.setGlobalTracerProvider(provider);
    },
  };
}

export function buildSampler({ name, ratio }: TracingConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function buildPropagator(name: PropagatorName): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new W3CTraceContextPropagator();
    case 'baggage':
      return new W3CBaggagePropagator();
    case 'xray':
      return new AWSXRayPropagator();
    case 'xray-lambda':
      // The X-Ray header Lambda hands the invocation, as a parent only when named (FaaS conventions).
      return new XRayLambdaPropagator();
  }
}
