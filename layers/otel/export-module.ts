// What only an export needs, loaded by the first one (lazy-exporter.ts): in the built layer this is
// a file of its own, otel-export.mjs, so that the cold start neither reads nor compiles it — the
// exporters (OTLP over HTTP, the console waterfall), the OTLP encoders, the request limits, and
// SigV4 signing with the credentials it needs.
export { WaterfallConsoleExporter } from './console-exporter.ts';
export { credentialsSource } from './credentials.ts';
export { boundSpan, limitedRequests } from './limits.ts';
export { encodeProtobuf } from './otlp-encode.ts';
export { OtlpHttpExporter } from './otlp-exporter.ts';
export { refusalOf } from './refusals.ts';
export { requestSigner } from './sigv4.ts';
