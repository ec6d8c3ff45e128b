export { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
