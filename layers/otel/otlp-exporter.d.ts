import { type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpConfig } from './config.ts';
import type { DeadlineExporter } from './processor.ts';
export declare class OtlpHttpExporter implements SpanExporter, DeadlineExporter {
    private readonly config;
    private readonly url;
    private request;
    private serializers;
    constructor(config: OtlpConfig);
    exportWithin(spans: ReadableSpan[], timeoutMs: number, signal: AbortSignal): Promise<void>;
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void;
    shutdown(): Promise<void>;
    private post;
}
