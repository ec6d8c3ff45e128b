// An OTLP/HTTP trace receiver on loopback that reads both encodings the layer sends: http/protobuf
// (the default, what a deployed function uses unless told otherwise) and http/json. Each span is
// normalised to one flat shape, so a test asserts on what the functions exported, whatever the
// protocol. The protobuf reader knows only the fields of ExportTraceServiceRequest a test looks at
// (opentelemetry-proto trace/v1 and common/v1); unknown fields are skipped by wire type.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { readBody } from './http-body.ts';

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

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Export requests seen, with their content type and encoding (`gzip`, or undefined). */
  requests: { path: string; contentType: string; contentEncoding: string | undefined; bytes: number }[];
  /** Answer every export this many ms after it arrived (its spans count at once): a remote backend. */
  delayMs: number;
  /** Answer this many of the next exports 503 Service Unavailable, without taking their spans. */
  refuse: number;
  /** Resolves when at least `count` spans arrived, or rejects after `timeoutMs`. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  reset(): void;
  close(): Promise<void>;
}

const maxBodyBytes = 16 * 1024 * 1024;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer(async (req, res) => {
    const { body, tooLarge } = await readBody(req, maxBodyBytes).catch(() => ({ body: Buffer.alloc(0), tooLarge: true }));
    const contentType = String(req.headers['content-type'] ?? '');
    const contentEncoding = req.headers['content-encoding'];
    requests.push({ path: req.url ?? '', contentType, contentEncoding, bytes: body.length });
    if (tooLarge) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end(`OTLP body over ${maxBodyBytes} bytes`);
      return;
    }
    if (receiver.refuse > 0) {
      receiver.refuse--;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('refused by the test');
      return;
    }
    try {
      spans.push(...decodeOtlpTraces(body, contentType, contentEncoding));
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`unreadable OTLP body: ${(error as Error).message}`);
      return;
    }
    waiters = waiters.filter((w) => (spans.length >= w.count ? (w.resolve(), false) : true));
    if (receiver.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, receiver.delayMs));
    res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
    res.end(contentType.includes('json') ? '{}' : undefined);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    delayMs: 0,
    refuse: 0,
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
  const raw = contentEncoding === 'gzip' ? gunzipSync(body, { maxOutputLength: maxBodyBytes }) : body;
  return contentType.includes('json') ? fromJson(JSON.parse(raw.toString('utf8'))) : fromProtobuf(raw);
}

// --- http/json ---------------------------------------------------------------------------------

type JsonValue = Record<string, any>;

function fromJson(request: JsonValue): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
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
        });
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

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of messages(readFields(body), 1)) {
    const resource = pbAttributes(message(rs, 1), 1);
    for (const ss of messages(rs, 2)) {
      for (const s of messages(ss, 2)) {
        const status = message(s, 15);
        out.push({
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
        });
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
