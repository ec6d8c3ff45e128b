// The exporters' stand-in in the cold start. Their code — the OTLP exporter with its encoders, limits,
// signing and credentials; the console waterfall — is otel-export.mjs (export-module.ts), which the
// first export imports: after the first response, so the cold start neither reads nor compiles it.
import { exportOne, type AnyExporter, type DeadlineExporter } from './processor.ts';
import type { EndedSpan } from './span.ts';

export type ExportModule = typeof import('./export-module.ts');

export class LazyExporter implements DeadlineExporter {
  private exporter: Promise<AnyExporter> | undefined;

  /** `create`: the exporter, from the loaded module. */
  constructor(private readonly create: (module: ExportModule) => AnyExporter) {}

  async exportWithin(spans: EndedSpan[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    this.exporter ??= import('./export-module.ts').then(this.create);
    const exporter = await this.exporter;
    // The first export loads the module: that time comes out of the export's own bound.
    return exportOne(exporter, spans, Math.max(0, timeoutMs - (performance.now() - started)), signal);
  }
}
