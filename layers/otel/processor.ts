// Ended spans wait in a bounded buffer until a flush exports them, within a given time: once per
// invocation — after its response (after-response.ts), in it, or in the background when invocations
// run concurrently (background.ts). No timers of its own: in Lambda the process is frozen between
// invocations, so an export must happen while the invocation (or its post-response phase) lasts.
import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { Warn } from './config.ts';
import type { EndedSpan, SpanSink } from './span.ts';

/** An exporter that takes a deadline and can be cancelled (the OTLP one, the lazy stand-in). Rejects on failure. */
export interface DeadlineExporter {
  exportWithin(spans: EndedSpan[], timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** An exporter of the SDK's kind: the console one, or a test's InMemorySpanExporter (SetupOptions.exporter). */
export interface CallbackExporter {
  export(spans: EndedSpan[], resultCallback: (result: ExportResult) => void): void;
}

export type AnyExporter = DeadlineExporter | CallbackExporter;

export interface BufferedSpanProcessorOptions {
  exporters: AnyExporter[];
  warn: Warn;
  /** Ended spans kept until the next flush; beyond it the oldest are dropped. */
  maxBufferedSpans?: number;
  /** The bound of a flush given no finite timeout. */
  defaultTimeoutMs?: number;
  /** After an export timed out, later flushes get at most `probeMs` for this long. */
  cooldownMs?: number;
  probeMs?: number;
}

export const DEFAULT_MAX_BUFFERED_SPANS = 2048;

export class BufferedSpanProcessor implements SpanSink {
  private buffer: EndedSpan[] = [];
  private readonly exporters: AnyExporter[];
  private readonly warn: Warn;
  private readonly max: number;
  private readonly defaultTimeoutMs: number;
  private readonly cooldownMs: number;
  private readonly probeMs: number;
  /** Kinds of trouble already warned about: one warning each per environment, never one per invocation. */
  private readonly warned = new Set<string>();
  /** Until then the collector is presumed hanging: flushes only probe it briefly. */
  private degradedUntil = 0;

  constructor(options: BufferedSpanProcessorOptions) {
    this.exporters = options.exporters;
    this.warn = options.warn;
    this.max = Math.max(1, options.maxBufferedSpans ?? DEFAULT_MAX_BUFFERED_SPANS);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.probeMs = options.probeMs ?? 100;
  }

  /** How many ended spans wait for the next flush. */
  get buffered(): number {
    return this.buffer.length;
  }

  onEnd(span: EndedSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.buffer.length >= this.max) {
      this.buffer.shift();
      this.warnOnce('overflow', `span buffer full (${this.max} spans): dropping the oldest until the next flush`);
    }
    this.buffer.push(span);
  }

  /**
   * Exports every buffered span, giving up after `timeoutMs` (the export is then aborted and its
   * spans dropped). Resolves within `timeoutMs` (plus a timer tick), never rejects; the first
   * failure of the process is logged, later ones are silent.
   */
  async flush(timeoutMs: number): Promise<void> {
    if (this.buffer.length === 0) return;
    const spans = this.buffer;
    this.buffer = [];
    const given = Number.isFinite(timeoutMs) ? Math.max(0, Math.floor(timeoutMs)) : this.defaultTimeoutMs;
    // A collector that hung once would otherwise cost every invocation its whole remaining time.
    const budget = Date.now() < this.degradedUntil ? Math.min(given, this.probeMs) : given;
    if (budget === 0) {
      this.failed(spans.length, 'no time left in the invocation', 'timeout');
      return;
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        this.degradedUntil = Date.now() + this.cooldownMs;
        resolve(`timed out after ${budget} ms`);
      }, budget);
    });
    try {
      const exported = Promise.all(this.exporters.map((exporter) => exportOne(exporter, spans, budget, controller.signal)))
        .then(() => undefined)
        .catch((error: unknown) => ({ reason: describe(error), transient: isTransient(error), key: warnKey(error), unsent: unsentOf(error), dropped: droppedOf(error) }));
      const failure = await Promise.race([exported, timedOut]);
      if (failure === undefined) this.degradedUntil = 0;
      else if (typeof failure === 'string') {
        controller.abort();
        this.failed(spans.length, failure, 'timeout');
      } else if (failure.transient && this.exporters.length === 1) {
        // Refused before it was taken (503, 429, connection refused): the spans go with the next export
        // — the next invocation's, or the last one at shutdown. (With two exporters the one that
        // succeeded would repeat them.) Of a split export, only the requests not delivered.
        this.keep(failure.unsent ?? spans, failure.reason);
      } else this.failed(failure.dropped ?? (failure.unsent ?? spans).length, failure.reason, failure.key);
    } catch (error) {
      this.failed(spans.length, describe(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Puts spans back in front of what ended since, within the buffer's bound (the oldest go first). */
  private keep(spans: EndedSpan[], reason: string): void {
    const kept = [...spans, ...this.buffer];
    const dropped = Math.max(0, kept.length - this.max);
    this.buffer = kept.slice(dropped);
    this.warnOnce('kept', `export refused (${reason}): ${spans.length - dropped} span${spans.length - dropped === 1 ? '' : 's'} kept for the next export (later refusals are not logged)`);
  }

  private failed(count: number, reason: string, key = 'failure'): void {
    this.warnOnce(key, `dropped ${count} span${count === 1 ? '' : 's'}: ${reason} (later failures of this kind are not logged)`);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }
}

export function exportOne(exporter: AnyExporter, spans: EndedSpan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
  if ('exportWithin' in exporter) return exporter.exportWithin(spans, timeoutMs, signal);
  return new Promise((resolve, reject) => {
    exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    });
  });
}

/** The spans of a split export that no request delivered (otlp-exporter.ts), when it says. */
function unsentOf(error: unknown): EndedSpan[] | undefined {
  const unsent = (error as { unsent?: unknown } | undefined)?.unsent;
  return Array.isArray(unsent) ? (unsent as EndedSpan[]) : undefined;
}

/** How many spans an export that was taken in part lost (the collector says the count, not which). */
function droppedOf(error: unknown): number | undefined {
  const dropped = (error as { dropped?: unknown } | undefined)?.dropped;
  return typeof dropped === 'number' ? dropped : undefined;
}

/** What kind of failure this is, for warning once per kind (a refusal names its own). */
function warnKey(error: unknown): string {
  const key = (error as { warnKey?: unknown } | undefined)?.warnKey;
  return typeof key === 'string' ? key : 'failure';
}

function isTransient(error: unknown): boolean {
  return (error as { transient?: unknown } | undefined)?.transient === true;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
