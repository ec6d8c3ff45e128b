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
import { readConfig, type Env, type PropagatorName, type TracingConfig, type Warn } from './config.ts';
import { AsyncLocalStorageContextManager } from './context-manager.ts';
import { LazyExporter } from './lazy-exporter.ts';
import { BufferedSpanProcessor, type AnyExporter, type CallbackExporter } from './processor.ts';
import { buildSampler, TracerProvider } from './sdk.ts';
import { XRayLambdaPropagator } from './xray-lambda-propagator.ts';

export interface SetupOptions {
  /** Replaces the exporters OTEL_TRACES_EXPORTER names (tests: an InMemorySpanExporter). */
  exporter?: CallbackExporter;
  /** Where warnings go: one line each. Default: stderr, prefixed `[otel]`. */
  warn?: Warn;
  /** Where the console exporter writes. Default: stdout. */
  write?: (text: string) => void;
  /** Ended spans kept between flushes (default 2048); beyond it the oldest are dropped. */
  maxBufferedSpans?: number;
}

export interface Tracing {
  config: TracingConfig;
  provider: TracerProvider;
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
    : config.exporters.map(
        (name) =>
          new LazyExporter((module) =>
            name === 'console' ? new module.WaterfallConsoleExporter(options.write) : new module.OtlpHttpExporter(config.otlp, env),
          ),
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
  const provider = new TracerProvider({
    resource: config.resource,
    sampler: buildSampler(config.sampler),
    limits: config.limits,
    processor,
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
