// The exporters' stand-in in the cold start. Their code — the OTLP exporter with its encoders, limits,
// signing and credentials; the console waterfall — is otel-export.mjs (export-module.ts), which the
// first export imports: after the first response, so the cold start neither reads nor compiles it.
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { exportOne, type AnyExporter, type DeadlineExporter } from './processor.ts';

export type ExportModule = typeof import('./export-module.ts');

export class LazyExporter implements SpanExporter, DeadlineExporter {
  private exporter: Promise<AnyExporter> | undefined;

  /** `create`: the exporter, from the loaded module. */
  constructor(private readonly create: (module: ExportModule) => AnyExporter) {}

  async exportWithin(spans: ReadableSpan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.exporter ??= import('./export-module.ts').then(this.create);
    return exportOne(await this.exporter, spans, timeoutMs, signal);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exportWithin(spans, Infinity, new AbortController().signal).then(
      () => resultCallback({ code: 0 }),
      (error: Error) => resultCallback({ code: 1, error }),
    );
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
