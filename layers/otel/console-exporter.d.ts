import { type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
export declare class WaterfallConsoleExporter implements SpanExporter {
    private readonly write;
    constructor(write?: (text: string) => void);
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void;
    shutdown(): Promise<void>;
}
/** Every trace among `spans`, each as a header line and one line per span, indented by parent. */
export declare function formatWaterfalls(spans: ReadableSpan[]): string;
