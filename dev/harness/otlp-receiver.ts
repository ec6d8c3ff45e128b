// An OTLP/HTTP trace receiver on loopback that reads both encodings the layer sends: http/protobuf
// (the default, what a deployed function uses unless told otherwise) and http/json. Each span is
// normalised to one flat shape, so a test asserts on what the functions exported, whatever the
// protocol. The protobuf reader knows only the fields of ExportTraceServiceRequest a test looks at
// (opentelemetry-proto trace/v1 and common/v1); unknown fields are skipped by wire type.
//
// Started with `sigv4` and `limits` it stands in for CloudWatch's OTLP traces endpoint
// (https://xray.<region>.amazonaws.com/v1/traces): it refuses what AWS refuses — a bad or missing
// signature, a body, request or span over the endpoint's limits — in AWS's JSON error shape, and
// keeps no span of a refused export; `deny` plays an account that may not write traces.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { readBody } from '../../src/emulator/http-body.ts';
import { verifySigV4, type SigV4Credentials } from './sigv4-verify.ts';

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  links: { traceId: string; spanId: string; attributes: Record<string, AttributeValue> }[];
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
}

export interface OtlpReceiverOptions {
  /**
   * Verify AWS Signature Version 4 on every request before anything else, as CloudWatch's endpoint
   * does, with these credentials (the harness's: `lambdaCredentials` of bootstrap.ts).
   */
  sigv4?: {
    region: string;
    /** The signing service: `xray` (the default) for CloudWatch's OTLP traces endpoint. */
    service?: string;
    credentials: SigV4Credentials;
  };
  /** Enforce the traces endpoint's published limits: 5 MB uncompressed, 10,000 spans a request, 200 KB a span. */
  limits?: boolean;
}

/** Why an account may not write traces: no IAM permission, or Transaction Search not enabled. */
export type OtlpDenial = 'access-denied' | 'transaction-search-off';

export interface OtlpRequest {
  path: string;
  contentType: string;
  /** `gzip`, or undefined. */
  contentEncoding: string | undefined;
  bytes: number;
  /** It carried a SigV4 Authorization header (`AWS4-HMAC-SHA256 …`), valid or not, checked or not. */
  signed: boolean;
  /** The HTTP status answered; undefined until the answer is decided. */
  status: number | undefined;
  /** The AWS error code of an AWS-style refusal (x-amzn-errortype): a failed signature check, a `deny`, a limit. */
  errorType: string | undefined;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Export requests seen, with their content type and encoding, and the answer they got. */
  requests: OtlpRequest[];
  /** Answer every export this many ms after it arrived (its spans count at once): a remote backend. */
  delayMs: number;
  /** Answer this many of the next exports 503 Service Unavailable, without taking their spans. */
  refuse: number;
  /**
   * Answer every export that passes the signature check (every export, without `sigv4`) as AWS answers
   * an account that may not write traces, without taking its spans.
   */
  deny: OtlpDenial | undefined;
  /** Resolves when at least `count` spans arrived, or rejects after `timeoutMs`. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  reset(): void;
  close(): Promise<void>;
}

const maxBodyBytes = 16 * 1024 * 1024;

/** The traces endpoint's limits (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-OTLPEndpoint.html). */
export const xrayOtlpLimits = { requestBytes: 5 * 1024 * 1024, spansPerRequest: 10_000, spanBytes: 200 * 1024 };

// Whom an access-denied answer names: a Lambda execution role's session, as AWS writes it.
const deniedPrincipal = 'arn:aws:sts::123456789012:assumed-role/harness-lambda-role/harness-function';

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpRequest[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer(async (req, res) => {
    const { body, tooLarge } = await readBody(req, maxBodyBytes).catch(() => ({ body: Buffer.alloc(0), tooLarge: true }));
    const contentType = String(req.headers['content-type'] ?? '');
    const contentEncoding = req.headers['content-encoding'];
    const signed = /^AWS4-HMAC-SHA256\s/.test(req.headers.authorization ?? '');
    const request: OtlpRequest = { path: req.url ?? '', contentType, contentEncoding, bytes: body.length, signed, status: undefined, errorType: undefined };
    requests.push(request);
    const answer = (status: number, headers: Record<string, string>, text?: string) => {
      request.status = status;
      res.writeHead(status, headers).end(text);
    };
    // AWS's JSON protocol error: the code in `__type` and in x-amzn-errortype.
    const refuseAsAws = (status: number, type: string, message: string) => {
      request.errorType = type;
      answer(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }, JSON.stringify({ __type: type, message }));
    };
    // unconfirmed: AWS documents only that it rejects a request over 5 MB, not the answer; 413 is the usual one.
    const entityTooLarge = () => answer(413, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Request entity too large' }));
    if (tooLarge) {
      if (options.limits) entityTooLarge();
      else answer(413, { 'content-type': 'text/plain' }, `OTLP body over ${maxBodyBytes} bytes`);
      return;
    }
    if (options.sigv4) {
      const { region, service = 'xray', credentials } = options.sigv4;
      const verdict = verifySigV4({ method: req.method ?? '', path: req.url ?? '', headers: req.headersDistinct, body }, { region, service, credentials });
      if (!verdict.ok) return refuseAsAws(verdict.status, verdict.type, verdict.message);
    }
    if (receiver.refuse > 0) {
      receiver.refuse--;
      answer(503, { 'content-type': 'text/plain' }, 'refused by the test');
      return;
    }
    if (receiver.deny === 'access-denied') {
      // The action AWS's bearer-token page says the OTLP traces endpoint is authorized as.
      const action = 'xray:PutTraceSegments';
      return refuseAsAws(403, 'AccessDeniedException', `User: ${deniedPrincipal} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`);
    }
    if (receiver.deny === 'transaction-search-off') {
      // The message is AWS's (CloudWatch's OTLP troubleshooting page); unconfirmed: the 400 and the
      // type, seen only in third-party collector logs.
      return refuseAsAws(400, 'InvalidRequestException', 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.');
    }
    let decoded: EncodedSpan[];
    try {
      const raw = inflate(body, contentEncoding, options.limits ? xrayOtlpLimits.requestBytes : maxBodyBytes);
      if (options.limits && raw.length > xrayOtlpLimits.requestBytes) return entityTooLarge();
      decoded = decodeSpans(raw, contentType);
    } catch (error) {
      if (options.limits && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return entityTooLarge();
      answer(400, { 'content-type': 'text/plain' }, `unreadable OTLP body: ${(error as Error).message}`);
      return;
    }
    if (options.limits) {
      // unconfirmed: the status, type and wording of both refusals; AWS documents only that it rejects them.
      if (decoded.length > xrayOtlpLimits.spansPerRequest) {
        return refuseAsAws(400, 'InvalidRequestException', `The max allowed number of spans in one request is 10,000; this one has ${decoded.length}.`);
      }
      const big = decoded.find((s) => s.bytes > xrayOtlpLimits.spanBytes);
      if (big) {
        return refuseAsAws(400, 'InvalidRequestException', `Spans more than 200KB are rejected: span ${big.span.spanId} (${big.span.name}) is ${big.bytes} bytes.`);
      }
    }
    spans.push(...decoded.map((s) => s.span));
    waiters = waiters.filter((w) => (spans.length >= w.count ? (w.resolve(), false) : true));
    // Decided now: a test that reads `requests` while the answer is held back sees it.
    request.status = 200;
    if (receiver.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, receiver.delayMs));
    answer(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' }, contentType.includes('json') ? '{}' : undefined);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    delayMs: 0,
    refuse: 0,
    deny: undefined,
    waitForSpans(count, timeoutMs = 5_000) {
      if (spans.length >= count) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${spans.length} of ${count} spans arrived within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(spans)) });
      });
    },
    reset() {
      spans.length = 0;
      requests.length = 0;
      receiver.delayMs = 0;
      receiver.refuse = 0;
      receiver.deny = undefined;
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
  return receiver;
}

/**
 * The spans of one OTLP/HTTP trace export body: http/json or http/protobuf (by `contentType`),
 * gzip-compressed or not. Throws on a body it cannot read.
 */
export function decodeOtlpTraces(body: Buffer, contentType: string, contentEncoding?: string): ReceivedSpan[] {
  return decodeSpans(inflate(body, contentEncoding, maxBodyBytes), contentType).map((s) => s.span);
}

/** A span with its encoded size: the Span message's bytes (protobuf), its JSON text's bytes (json). */
interface EncodedSpan {
  span: ReceivedSpan;
  bytes: number;
}

/** The body uncompressed; throws ERR_BUFFER_TOO_LARGE past `maxBytes`. */
function inflate(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Buffer {
  return contentEncoding === 'gzip' ? gunzipSync(body, { maxOutputLength: maxBytes }) : body;
}

function decodeSpans(raw: Buffer, contentType: string): EncodedSpan[] {
  return contentType.includes('json') ? fromJson(JSON.parse(raw.toString('utf8'))) : fromProtobuf(raw);
}

// --- http/json ---------------------------------------------------------------------------------

type JsonValue = Record<string, any>;

function fromJson(request: JsonValue): EncodedSpan[] {
  const out: EncodedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const span: ReceivedSpan = {
          traceId: s.traceId ?? '',
          spanId: s.spanId ?? '',
          parentSpanId: s.parentSpanId ?? '',
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startNs: BigInt(s.startTimeUnixNano ?? 0),
          endNs: BigInt(s.endTimeUnixNano ?? 0),
          attributes: jsonAttributes(s.attributes),
          links: (s.links ?? []).map((l: JsonValue) => ({ traceId: l.traceId, spanId: l.spanId, attributes: jsonAttributes(l.attributes) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
        };
        out.push({ span, bytes: Buffer.byteLength(JSON.stringify(s)) });
      }
    }
  }
  return out;
}

function jsonAttributes(list: JsonValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
}

function jsonValue(v: JsonValue | undefined): AttributeValue {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

// --- http/protobuf -----------------------------------------------------------------------------

/** One protobuf message as field number → raw values (varint as bigint, length-delimited as bytes). */
type Fields = Map<number, (bigint | Buffer)[]>;

function readFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const byte = buf[i++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    let value: bigint | Buffer;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = buf.readBigUInt64LE(i);
        i += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (i + length > buf.length) throw new Error('truncated field');
        value = buf.subarray(i, i + length);
        i += length;
        break;
      }
      case 5:
        value = BigInt(buf.readUInt32LE(i));
        i += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

const bytes = (f: Fields, n: number): Buffer => (f.get(n)?.[0] as Buffer | undefined) ?? Buffer.alloc(0);
const messages = (f: Fields, n: number): Fields[] => (f.get(n) ?? []).map((b) => readFields(b as Buffer));
const message = (f: Fields, n: number): Fields => messages(f, n)[0] ?? new Map();
const num = (f: Fields, n: number): bigint => (f.get(n)?.[0] as bigint | undefined) ?? 0n;
const str = (f: Fields, n: number): string => bytes(f, n).toString('utf8');
const hex = (f: Fields, n: number): string => bytes(f, n).toString('hex');

function fromProtobuf(body: Buffer): EncodedSpan[] {
  const out: EncodedSpan[] = [];
  for (const rs of messages(readFields(body), 1)) {
    const resource = pbAttributes(message(rs, 1), 1);
    for (const ss of messages(rs, 2)) {
      for (const encoded of (ss.get(2) ?? []) as Buffer[]) {
        const s = readFields(encoded);
        const status = message(s, 15);
        const span: ReceivedSpan = {
          traceId: hex(s, 1),
          spanId: hex(s, 2),
          parentSpanId: hex(s, 4),
          name: str(s, 5),
          kind: Number(num(s, 6)),
          startNs: num(s, 7),
          endNs: num(s, 8),
          attributes: pbAttributes(s, 9),
          links: messages(s, 13).map((l) => ({ traceId: hex(l, 1), spanId: hex(l, 2), attributes: pbAttributes(l, 4) })),
          status: { code: Number(num(status, 3)), message: str(status, 2) },
          resource,
        };
        out.push({ span, bytes: encoded.length });
      }
    }
  }
  return out;
}

function pbAttributes(owner: Fields, field: number): Record<string, AttributeValue> {
  return Object.fromEntries(messages(owner, field).map((kv) => [str(kv, 1), pbValue(message(kv, 2))]));
}

function pbValue(v: Fields): AttributeValue {
  if (v.has(1)) return str(v, 1);
  if (v.has(2)) return num(v, 2) !== 0n;
  if (v.has(3)) return Number(BigInt.asIntN(64, num(v, 3)));
  if (v.has(4)) return Buffer.from(new BigUint64Array([num(v, 4)]).buffer).readDoubleLE(0);
  if (v.has(5)) return messages(message(v, 5), 1).map(pbValue);
  return undefined;
}
