export type Env = Readonly<Record<string, string | undefined>>;
export type Warn = (message: string) => void;
export type ExporterName = 'otlp' | 'console';
export type Protocol = 'http/protobuf' | 'http/json';
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
export type PropagatorName = 'tracecontext' | 'baggage' | 'xray' | 'xray-lambda';
export interface OtlpConfig {
    url: string;
    protocol: Protocol;
    headers: Record<string, string>;
    timeoutMs: number;
    /** OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION: bodies sent gzip-compressed (`content-encoding: gzip`). */
    gzip: boolean;
}
export interface TracingConfig {
    disabled: boolean;
    /** Empty: spans are neither buffered nor exported (`OTEL_TRACES_EXPORTER=none`). */
    exporters: ExporterName[];
    otlp: OtlpConfig;
    sampler: {
        name: SamplerName;
        ratio: number;
    };
    propagators: PropagatorName[];
    resource: Record<string, string | number>;
    /**
     * When spans are exported (PERKAMO_OTEL_FLUSH): `after-response` (the default: by an internal Lambda
     * extension once the response is posted; in the background in multi-concurrency mode) or
     * `in-invocation` (before the handler returns). Without Lambda's Runtime API it is always in-invocation.
     */
    flush: FlushMode;
}
export type FlushMode = 'in-invocation' | 'after-response';
export declare const defaults: {
    endpoint: string;
    protocol: Protocol;
    timeoutMs: number;
    sampler: SamplerName;
    propagators: PropagatorName[];
};
export declare function readConfig(env: Env, warn: Warn): TracingConfig;
/** `key=value,key2=value2`, values percent-decoded (the W3C baggage-like format the spec uses). */
export declare function parseHeaders(raw: string | undefined, name: string, warn: Warn): Record<string, string>;
