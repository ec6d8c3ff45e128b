import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
/**
 * Registers the real OpenTelemetry SDK globally with an in-memory exporter. The built bundles carry
 * their own copy of @opentelemetry/api; it finds this provider through the API's global registry.
 */
export declare function setupTestTracing(): {
    exporter: InMemorySpanExporter;
    spans: () => ReadableSpan[];
    reset: () => void;
    shutdown: () => Promise<void>;
};
export declare const parentOf: (span: ReadableSpan) => string | undefined;
