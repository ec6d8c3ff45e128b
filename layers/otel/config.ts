// Reads the layer's configuration from the standard OTEL_* variables (and the Lambda runtime's
// AWS_* ones). Every bad value gives one warning line and a sensible fallback; nothing here throws.
import type { SpanLimits as SdkSpanLimits } from '@opentelemetry/sdk-trace-base';

export type Env = Readonly<Record<string, string | undefined>>;
export type Warn = (message: string) => void;

export type ExporterName = 'otlp' | 'console';
export type Protocol = 'http/protobuf' | 'http/json';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
export type PropagatorName = 'tracecontext' | 'baggage' | 'xray' | 'xray-lambda';

export interface OtlpConfig {
  url: string;
  protocol: Protocol;
  headers: Record<string, string>;
  timeoutMs: number;
  /**
   * OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION: bodies sent gzip-compressed (`content-encoding: gzip`).
   * Default: gzip when signing for CloudWatch's endpoint (service `xray`), none elsewhere.
   */
  gzip: boolean;
  /** Exports signed with AWS Signature Version 4 (PERKAMO_OTEL_SIGV4), or undefined: unsigned. */
  sigv4: Sigv4Config | undefined;
}

export interface Sigv4Config {
  /** The signing service: `xray` for CloudWatch's OTLP traces endpoint. */
  service: string;
  /** The signing region: the one the X-Ray host names, else AWS_REGION. */
  region: string;
}

export interface TracingConfig {
  disabled: boolean;
  /** Empty: spans are neither buffered nor exported (`OTEL_TRACES_EXPORTER=none`). */
  exporters: ExporterName[];
  otlp: OtlpConfig;
  sampler: { name: SamplerName; ratio: number };
  propagators: PropagatorName[];
  resource: Record<string, string | number>;
  limits: SpanLimits;
  /**
   * When spans are exported (PERKAMO_OTEL_FLUSH): `after-response` (the default: by an internal Lambda
   * extension once the response is posted; in the background in multi-concurrency mode) or
   * `in-invocation` (before the handler returns). Without Lambda's Runtime API it is always in-invocation.
   */
  flush: FlushMode;
}

export type FlushMode = 'in-invocation' | 'after-response';

/** What a span keeps (OTEL_SPAN_*_LIMIT, else OTEL_ATTRIBUTE_*_LIMIT, else the SDK's defaults), as the SDK names it. */
export type SpanLimits = Required<SdkSpanLimits>;

export const defaults = {
  endpoint: 'http://localhost:4318',
  protocol: 'http/protobuf' as Protocol,
  timeoutMs: 10_000,
  sampler: 'parentbased_always_on' as SamplerName,
  propagators: ['tracecontext', 'baggage'] as PropagatorName[],
};

const samplers: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const propagatorNames: readonly PropagatorName[] = ['tracecontext', 'baggage', 'xray', 'xray-lambda'];

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
};

export function readConfig(env: Env, warn: Warn): TracingConfig {
  return {
    disabled: readDisabled(env, warn),
    exporters: readExporters(env, warn),
    otlp: readOtlp(env, warn),
    sampler: readSampler(env, warn),
    propagators: readPropagators(env, warn),
    resource: readResource(env, warn),
    limits: readLimits(env, warn),
    flush: readFlush(env, warn),
  };
}

/**
 * Any number is taken as the official SDK takes it (test/layer/sdk.test.ts compares the spans under
 * the same variables); every variable is read, so that each one that is not a number is named.
 */
function readLimits(env: Env, warn: Warn): SpanLimits {
  const n = (name: string): number | undefined => {
    const variable = `OTEL_${name}_LIMIT`;
    const raw = value(env, variable);
    if (raw === undefined) return undefined;
    const limit = Number(raw);
    if (!Number.isNaN(limit)) return limit;
    warn(`${variable}="${raw}" is not a number (a count or length such as 128); ignored`);
    return undefined;
  };
  const spanAttributeCount = n('SPAN_ATTRIBUTE_COUNT');
  const attributeCount = n('ATTRIBUTE_COUNT');
  const spanValueLength = n('SPAN_ATTRIBUTE_VALUE_LENGTH');
  const valueLength = n('ATTRIBUTE_VALUE_LENGTH');
  return {
    attributeCountLimit: spanAttributeCount ?? attributeCount ?? 128,
    attributeValueLengthLimit: spanValueLength ?? valueLength ?? Infinity,
    eventCountLimit: n('SPAN_EVENT_COUNT') ?? 128,
    linkCountLimit: n('SPAN_LINK_COUNT') ?? 128,
    attributePerEventCountLimit: n('SPAN_ATTRIBUTE_PER_EVENT_COUNT') ?? 128,
    attributePerLinkCountLimit: n('SPAN_ATTRIBUTE_PER_LINK_COUNT') ?? 128,
  };
}

function readFlush(env: Env, warn: Warn): FlushMode {
  const raw = value(env, 'PERKAMO_OTEL_FLUSH')?.toLowerCase();
  if (raw === undefined || raw === 'after-response') return 'after-response';
  if (raw === 'in-invocation') return 'in-invocation';
  warn(`PERKAMO_OTEL_FLUSH="${raw}" is not after-response or in-invocation; using after-response`);
  return 'after-response';
}

function readDisabled(env: Env, warn: Warn): boolean {
  const raw = value(env, 'OTEL_SDK_DISABLED')?.toLowerCase();
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  warn(`OTEL_SDK_DISABLED="${raw}" is neither true nor false; tracing stays enabled`);
  return false;
}

function readExporters(env: Env, warn: Warn): ExporterName[] {
  const raw = value(env, 'OTEL_TRACES_EXPORTER');
  if (raw === undefined) return ['otlp'];
  const names = list(raw);
  if (names.includes('none')) return [];
  const exporters: ExporterName[] = [];
  for (const name of names) {
    if (name === 'otlp' || name === 'console') {
      if (!exporters.includes(name)) exporters.push(name);
    } else warn(`OTEL_TRACES_EXPORTER: unknown exporter "${name}" ignored (use otlp, console or none)`);
  }
  if (exporters.length === 0) {
    warn('OTEL_TRACES_EXPORTER names no known exporter; using otlp');
    return ['otlp'];
  }
  return exporters;
}

function readOtlp(env: Env, warn: Warn): OtlpConfig {
  const url = readEndpoint(env, warn);
  const sigv4 = readSigv4(env, xrayEndpointRegion(url), warn);
  return {
    // X-Ray bills ingested bytes and spans compress well: gzip there, however it is reached.
    gzip: readCompression(env, warn) ?? sigv4?.service === 'xray',
    url,
    sigv4,
    protocol: readProtocol(env, warn),
    headers: {
      ...parseHeaders(value(env, 'OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS', warn),
      ...parseHeaders(value(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'), 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', warn),
    },
    timeoutMs:
      readTimeout(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', warn) ??
      readTimeout(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', warn) ??
      defaults.timeoutMs,
  };
}

/** Undefined when neither variable is set (the destination decides). */
function readCompression(env: Env, warn: Warn): boolean | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION']) {
    const raw = value(env, name)?.toLowerCase();
    if (raw === undefined) continue;
    if (raw === 'gzip' || raw === 'none') return raw === 'gzip';
    warn(`${name}="${raw}" is not gzip or none; spans are sent uncompressed`);
    return false;
  }
  return undefined;
}

/**
 * CloudWatch's OTLP traces endpoint, in the host forms AWS documents: `xray.<region>.amazonaws.com`,
 * its FIPS twin `xray-fips.<region>…`, the China partition's `….amazonaws.com.cn`, and an interface VPC
 * endpoint's own DNS name `vpce-….xray.<region>.vpce.amazonaws.com`. Returns the region the host names.
 */
const xrayHost = /^(?:xray|xray-fips|vpce-[a-z0-9-]+\.xray)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;

export function xrayEndpointRegion(url: string): string | undefined {
  try {
    const { hostname, protocol } = new URL(url);
    return protocol === 'https:' ? xrayHost.exec(hostname)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PERKAMO_OTEL_SIGV4: a signing service's name (`xray`) signs every export for any endpoint (a VPC
 * endpoint with a private name, a proxy, a test stand-in); `off` never signs; unset signs only for the
 * X-Ray host. The region: the X-Ray host's own (a function may export to another region), else AWS_REGION.
 */
function readSigv4(env: Env, xrayRegion: string | undefined, warn: Warn): Sigv4Config | undefined {
  const raw = value(env, 'PERKAMO_OTEL_SIGV4')?.toLowerCase();
  if (raw === 'off') return undefined;
  let service: string;
  if (raw === undefined) {
    if (xrayRegion === undefined) return undefined;
    service = 'xray';
  } else if (/^[a-z][a-z0-9-]{0,63}$/.test(raw) && !['on', 'true', 'yes'].includes(raw)) service = raw;
  else {
    warn(`PERKAMO_OTEL_SIGV4="${raw}" is not a signing service name (xray) or off; exports are not signed`);
    return undefined;
  }
  const region = xrayRegion ?? value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
  if (region === undefined) {
    warn('PERKAMO_OTEL_SIGV4: no region to sign for (set AWS_REGION); exports are not signed');
    return undefined;
  }
  return { service, region };
}

function readEndpoint(env: Env, warn: Warn): string {
  const traces = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) {
    // The signal-specific endpoint is used as given.
    if (isHttpUrl(traces)) return traces;
    warn(`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="${traces}" is not an http(s) URL; ignored`);
  }
  const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) {
    if (isHttpUrl(base)) return `${base.replace(/\/+$/, '')}/v1/traces`;
    warn(`OTEL_EXPORTER_OTLP_ENDPOINT="${base}" is not an http(s) URL; using ${defaults.endpoint}`);
  }
  return `${defaults.endpoint}/v1/traces`;
}

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function readProtocol(env: Env, warn: Warn): Protocol {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const raw = value(env, name);
    if (raw === undefined) continue;
    if (raw === 'http/protobuf' || raw === 'http/json') return raw;
    warn(`${name}="${raw}" is not supported (use http/protobuf or http/json); using ${defaults.protocol}`);
    return defaults.protocol;
  }
  return defaults.protocol;
}

function readTimeout(env: Env, name: string, warn: Warn): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (Number.isFinite(ms) && ms > 0) return ms;
  warn(`${name}="${raw}" is not a positive number of milliseconds; ignored`);
  return undefined;
}

/** `key=value,key2=value2`, values percent-decoded (the W3C baggage-like format the spec uses). */
export function parseHeaders(raw: string | undefined, name: string, warn: Warn): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, val] of parsePairs(raw, name, warn)) {
    if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) headers[key.toLowerCase()] = val;
    else warn(`${name}: "${key}" is not a valid header name; ignored`);
  }
  return headers;
}

function parsePairs(raw: string | undefined, name: string, warn: Warn): [string, string][] {
  if (raw === undefined) return [];
  const pairs: [string, string][] = [];
  for (const part of raw.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!key) {
      // Do not echo the entry: it may hold a secret.
      warn(`${name}: an entry without "key=" was ignored`);
      continue;
    }
    pairs.push([key, decode(part.slice(eq + 1).trim())]);
  }
  return pairs;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function readSampler(env: Env, warn: Warn): TracingConfig['sampler'] {
  const raw = value(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase();
  let name = defaults.sampler;
  if (raw !== undefined) {
    if ((samplers as readonly string[]).includes(raw)) name = raw as SamplerName;
    else warn(`OTEL_TRACES_SAMPLER="${raw}" is not supported; using ${defaults.sampler}`);
  }
  let ratio = 1;
  if (name.endsWith('traceidratio')) {
    const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
    const parsed = arg === undefined ? NaN : Number(arg);
    if (parsed >= 0 && parsed <= 1) ratio = parsed;
    else warn(`OTEL_TRACES_SAMPLER_ARG="${arg ?? ''}" is not a ratio in [0, 1]; using 1`);
  }
  return { name, ratio };
}

function readPropagators(env: Env, warn: Warn): PropagatorName[] {
  const raw = value(env, 'OTEL_PROPAGATORS');
  if (raw === undefined) return [...defaults.propagators];
  const names = list(raw);
  if (names.includes('none')) return [];
  const propagators: PropagatorName[] = [];
  for (const name of names) {
    if ((propagatorNames as readonly string[]).includes(name)) {
      if (!propagators.includes(name as PropagatorName)) propagators.push(name as PropagatorName);
    } else warn(`OTEL_PROPAGATORS: unknown propagator "${name}" ignored (use ${propagatorNames.join(', ')} or none)`);
  }
  if (propagators.length === 0) {
    warn(`OTEL_PROPAGATORS names no known propagator; using ${defaults.propagators.join(',')}`);
    return [...defaults.propagators];
  }
  return propagators;
}

/**
 * The resource: what the Lambda environment tells (faas.*, cloud.*), then OTEL_RESOURCE_ATTRIBUTES
 * over it, then OTEL_SERVICE_NAME over both. `cloud.account.id` is not in the environment: the
 * invocation span carries it, from the invoked function ARN.
 */
function readResource(env: Env, warn: Warn): Record<string, string | number> {
  const resource: Record<string, string | number> = {};
  const functionName = value(env, 'AWS_LAMBDA_FUNCTION_NAME');
  if (functionName !== undefined) {
    resource['cloud.provider'] = 'aws';
    resource['cloud.platform'] = 'aws_lambda';
    resource['faas.name'] = functionName;
  }
  const region = value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
  if (region !== undefined) resource['cloud.region'] = region;
  const version = value(env, 'AWS_LAMBDA_FUNCTION_VERSION');
  if (version !== undefined) resource['faas.version'] = version;
  const memory = value(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
  if (memory !== undefined) {
    const mb = Number(memory);
    if (Number.isInteger(mb) && mb > 0) resource['faas.max_memory'] = mb * 1024 * 1024;
    else warn(`AWS_LAMBDA_FUNCTION_MEMORY_SIZE="${memory}" is not a number of MB; faas.max_memory left out`);
  }
  const instance = value(env, 'AWS_LAMBDA_LOG_STREAM_NAME');
  if (instance !== undefined) resource['faas.instance'] = instance;

  for (const [key, val] of parsePairs(value(env, 'OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', warn)) {
    resource[key] = val;
  }
  const service = value(env, 'OTEL_SERVICE_NAME') ?? (resource['service.name'] as string | undefined) ?? functionName;
  resource['service.name'] = service ?? 'unknown_service:node';
  return resource;
}

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
