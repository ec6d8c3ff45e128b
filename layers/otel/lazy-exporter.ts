// The exporters' stand-in in the cold start. Their code — the OTLP exporter with its encoders, limits,
// signing and credentials; the console waterfall — is otel-export.mjs (export-module.ts), which the
// first export imports: after the first response, so the cold start neither reads nor compiles it.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { exportOne, type AnyExporter, type DeadlineExporter } from './processor.ts';

export type ExportModule = typeof import('./export-module.ts');

export class LazyExporter implements SpanExporter, DeadlineExporter {
  private exporter: Promise<AnyExporter> | undefined;

  /** `create`: the exporter, from the loaded module. */
  constructor(private readonly create: (module: ExportModule) => AnyExporter) {}

  async exportWithin(spans: ReadableSpan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    this.exporter ??= import('./export-module.ts').then(this.create);
    const exporter = await this.exporter;
    // The first export loads the module: that time comes out of the export's own bound.
    return exportOne(exporter, spans, Math.max(0, timeoutMs - (performance.now() - started)), signal);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exportWithin(spans, Infinity, new AbortController().signal).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
