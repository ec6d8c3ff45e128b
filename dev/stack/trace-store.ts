/**
 * The local trace view's memory: the spans the functions export to `npm start` (OTLP over HTTP,
 * decoded by the harness's reader), grouped by trace, the newest kept. Spans arrive per
 * invocation; a trace grows when a later export adds to it (an SQS message's consumer, say), and
 * listeners hear each change (the traces page's live list).
 */
import type { AttributeValue, ReceivedSpan } from '../harness/otlp-receiver.ts';

/** A span as the traces page draws it: times in ms since the epoch, ids in hex. */
export interface ViewSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  startMs: number;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  statusMessage: string;
  attributes: Record<string, AttributeValue>;
  links: number;
  service: string | undefined;
}

/** One line of the traces list. */
export interface TraceSummary {
  traceId: string;
  /** The earliest span without a parent in this trace (the invocation span, as a rule). */
  name: string;
  /** `faas.name` of the invocation span: the function. */
  functionName: string | undefined;
  startMs: number;
  durationMs: number;
  spans: number;
  errors: number;
  /** Perkamo request ids found on the spans, each once. */
  requestIds: string[];
}

const kinds: ViewSpan['kind'][] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const statuses: ViewSpan['status'][] = ['unset', 'ok', 'error'];
const ms = (ns: bigint): number => Number(ns / 1000n) / 1000;

export function viewSpan(span: ReceivedSpan): ViewSpan {
  const startMs = ms(span.startNs);
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: kinds[span.kind] ?? 'unspecified',
    startMs,
    durationMs: Math.max(0, ms(span.endNs) - startMs),
    status: statuses[span.status.code] ?? 'unset',
    statusMessage: span.status.message,
    attributes: span.attributes,
    links: span.links.length,
    service: typeof span.resource['service.name'] === 'string' ? span.resource['service.name'] : undefined,
  };
}

export interface TraceStoreOptions {
  /** Traces kept; the oldest goes first. Default 200. */
  maxTraces?: number;
  /** Spans kept per trace. Default 2,000. */
  maxSpansPerTrace?: number;
}

export class TraceStore {
  private readonly traces = new Map<string, ViewSpan[]>();
  private readonly listeners = new Set<(summary: TraceSummary) => void>();
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = options.maxTraces ?? 200;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 2_000;
  }

  add(spans: ReceivedSpan[]): void {
    const changed = new Set<string>();
    for (const span of spans) {
      let list = this.traces.get(span.traceId);
      if (!list) {
        list = [];
        this.traces.set(span.traceId, list);
        if (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value!);
      }
      if (list.length < this.maxSpansPerTrace) list.push(viewSpan(span));
      changed.add(span.traceId);
    }
    for (const traceId of changed) {
      const summary = this.summary(traceId);
      if (summary) for (const listener of this.listeners) listener(summary);
    }
  }

  /** Newest first. */
  list(): TraceSummary[] {
    return [...this.traces.keys()].map((id) => this.summary(id)!).sort((a, b) => b.startMs - a.startMs);
  }

  /** The trace's spans in start order, or undefined when it is not (or no longer) kept. */
  get(traceId: string): ViewSpan[] | undefined {
    const spans = this.traces.get(traceId);
    return spans && [...spans].sort((a, b) => a.startMs - b.startMs);
  }

  summary(traceId: string): TraceSummary | undefined {
    const spans = this.traces.get(traceId);
    if (!spans || spans.length === 0) return undefined;
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => a.startMs - b.startMs);
    const root = roots[0] ?? spans[0]!;
    const startMs = Math.min(...spans.map((s) => s.startMs));
    const endMs = Math.max(...spans.map((s) => s.startMs + s.durationMs));
    const requestIds = new Set<string>();
    for (const span of spans) {
      const id = span.attributes['perkamo.request_id'];
      if (typeof id === 'string') requestIds.add(id);
    }
    return {
      traceId,
      name: root.name,
      functionName: typeof root.attributes['faas.name'] === 'string' ? root.attributes['faas.name'] : undefined,
      startMs,
      durationMs: endMs - startMs,
      spans: spans.length,
      errors: spans.filter((s) => s.status === 'error').length,
      requestIds: [...requestIds],
    };
  }

  /** Calls `listener` with a trace's new summary each time spans are added to it. Returns the unsubscribe. */
  subscribe(listener: (summary: TraceSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
