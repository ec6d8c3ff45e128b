import { type ContextManager, type TextMapPropagator } from '@opentelemetry/api';
import { BasicTracerProvider, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { type Env, type TracingConfig, type Warn } from './config.ts';
import { BufferedSpanProcessor } from './processor.ts';
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
export declare const defaultWarn: Warn;
/** Undefined when OTEL_SDK_DISABLED=true: the API stays a no-op. */
export declare function setupTracing(env?: Env, options?: SetupOptions): Tracing | undefined;
export declare function buildSampler({ name, ratio }: TracingConfig['sampler']): Sampler;
