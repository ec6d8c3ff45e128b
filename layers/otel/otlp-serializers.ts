// What only an export needs, loaded by the first one (otlp-exporter.ts): in the built layer this is
// a file of its own, otel-export.mjs, so that the cold start neither reads nor compiles it.
export { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
