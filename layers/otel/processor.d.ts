import { type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Warn } from './config.ts';
/** An exporter that takes a deadline and can be cancelled (the OTLP one). Rejects on failure. */
export interface DeadlineExporter {
    exportWithin(spans: ReadableSpan[], timeoutMs: number, signal: AbortSignal): Promise<void>;
}
export type AnyExporter = SpanExporter & Partial<DeadlineExporter>;
export interface BufferedSpanProcessorOptions {
    exporters: AnyExporter[];
    warn: Warn;
    /** Ended spans kept until the next flush; beyond it the oldest are dropped. */
    maxBufferedSpans?: number;
    /** The bound of forceFlush() and shutdown(), which take no timeout of their own. */
    defaultTimeoutMs?: number;
    /** After an export timed out, later flushes get at most `probeMs` for this long. */
    cooldownMs?: number;
    probeMs?: number;
}
export declare const DEFAULT_MAX_BUFFERED_SPANS = 2048;
export declare class BufferedSpanProcessor implements SpanProcessor {
    private buffer;
    private readonly exporters;
    private readonly warn;
    private readonly max;
    private readonly defaultTimeoutMs;
    private readonly cooldownMs;
    private readonly probeMs;
    private warnedOverflow;
    private warnedFailure;
    private warnedRetry;
    /** Until then the collector is presumed hanging: flushes only probe it briefly. */
    private degradedUntil;
    constructor(options: BufferedSpanProcessorOptions);
    /** How many ended spans wait for the next flush. */
    get buffered(): number;
    onStart(_span: Span, _parentContext: Context): void;
    onEnd(span: ReadableSpan): void;
    /**
     * Exports every buffered span, giving up after `timeoutMs` (the export is then aborted and its
     * spans dropped). Resolves within `timeoutMs` (plus a timer tick), never rejects; the first
     * failure of the process is logged, later ones are silent.
     */
    flush(timeoutMs: number): Promise<void>;
    forceFlush(): Promise<void>;
    shutdown(): Promise<void>;
    /** Puts spans back in front of what ended since, within the buffer's bound (the oldest go first). */
    private keep;
    private failed;
}
