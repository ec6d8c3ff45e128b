// `OTEL_TRACES_EXPORTER=console`: one compact waterfall per trace, written to stdout in one piece
// when the function flushes. For people (`npm start`), not for machines: use otlp for those.
import { SpanKind, SpanStatusCode, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { CallbackExporter } from './processor.ts';
import type { EndedSpan } from './span.ts';

/** Attributes worth a glance, in this order. */
const keyAttributes = ['faas.trigger', 'http.response.status_code', 'perkamo.request_id', 'error.type'];
const BAR = 24;
const NAME_MAX = 44;

export class WaterfallConsoleExporter implements CallbackExporter {
  constructor(private readonly write: (text: string) => void = (text) => void process.stdout.write(text)) {}

  export(spans: EndedSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      if (spans.length > 0) this.write(formatWaterfalls(spans));
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }
}

const ms = (time: HrTime): number => time[0] * 1e3 + time[1] / 1e6;

interface Row {
  span: EndedSpan;
  depth: number;
}

/** Every trace among `spans`, each as a header line and one line per span, indented by parent. */
export function formatWaterfalls(spans: EndedSpan[]): string {
  const traces = new Map<string, EndedSpan[]>();
  for (const span of spans) {
    const id = span.spanContext().traceId;
    const list = traces.get(id);
    if (list) list.push(span);
    else traces.set(id, [span]);
  }
  const ordered = [...traces.entries()].sort(([, a], [, b]) => start(a) - start(b));
  return ordered.map(([traceId, list]) => formatTrace(traceId, list)).join('');
}

const start = (spans: EndedSpan[]): number => Math.min(...spans.map((span) => ms(span.startTime)));

function formatTrace(traceId: string, spans: EndedSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string, EndedSpan[]>();
  const roots: EndedSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    if (parent && ids.has(parent)) {
      const list = children.get(parent);
      if (list) list.push(span);
      else children.set(parent, [span]);
    } else roots.push(span);
  }
  const byStart = (a: EndedSpan, b: EndedSpan) => ms(a.startTime) - ms(b.startTime);
  const rows: Row[] = [];
  const visit = (span: EndedSpan, depth: number) => {
    rows.push({ span, depth });
    for (const child of (children.get(span.spanContext().spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of roots.sort(byStart)) visit(root, 0);

  const t0 = Math.min(...spans.map((span) => ms(span.startTime)));
  const t1 = Math.max(...spans.map((span) => ms(span.endTime)));
  const total = Math.max(t1 - t0, 1e-6);
  const names = rows.map(({ span, depth }) => clip(`${'  '.repeat(depth)}${span.name}`, NAME_MAX));
  const nameWidth = Math.max(...names.map((name) => name.length));
  const durations = rows.map(({ span }) => `${ms(span.duration).toFixed(1)} ms`);
  const durationWidth = Math.max(...durations.map((d) => d.length));
  const first = rows[0]?.span;
  const parent = first?.parentSpanContext ? ` (parent ${first.parentSpanContext.spanId})` : '';
  const lines = [`trace ${traceId}${parent} · ${spans.length} span${spans.length === 1 ? '' : 's'} · ${(t1 - t0).toFixed(1)} ms`];
  rows.forEach(({ span }, i) => {
    const from = Math.min(BAR - 1, Math.floor(((ms(span.startTime) - t0) / total) * BAR));
    const to = Math.max(from + 1, Math.min(BAR, Math.round(((ms(span.endTime) - t0) / total) * BAR)));
    const bar = '·'.repeat(from) + '█'.repeat(to - from) + '·'.repeat(BAR - to);
    const line = [
      '  ' + (names[i] ?? '').padEnd(nameWidth),
      (SpanKind[span.kind] ?? String(span.kind)).padEnd(8),
      (durations[i] ?? '').padStart(durationWidth),
      bar,
      details(span),
    ]
      .join('  ')
      .trimEnd();
    lines.push(line);
  });
  return lines.join('\n') + '\n';
}

function details(span: EndedSpan): string {
  const parts: string[] = [];
  for (const key of keyAttributes) {
    const value = span.attributes[key];
    if (value !== undefined) parts.push(`${key}=${show(value)}`);
  }
  if (span.status.code === SpanStatusCode.ERROR && span.attributes['error.type'] === undefined) {
    parts.push(span.status.message ? `error: ${clip(span.status.message, 60)}` : 'error');
  }
  return parts.join(' ');
}

const show = (value: AttributeValue): string => (Array.isArray(value) ? `[${value.join(',')}]` : String(value));

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
