// What only an export needs, loaded by the first one (otlp-exporter.ts): in the built layer this is
// a file of its own, otel-export.mjs, so that the cold start neither reads nor compiles it — the
// OTLP serializers, the request limits, and SigV4 signing with the credentials it needs.
export { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
export { credentialsSource } from './credentials.ts';
export { boundSpan, limitedRequests } from './limits.ts';
export { refusalOf } from './refusals.ts';
export { requestSigner } from './sigv4.ts';
