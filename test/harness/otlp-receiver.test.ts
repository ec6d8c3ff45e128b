// The harness's OTLP receiver reads what the layer really sends: the same spans, decoded from
// http/protobuf (the deployed default) and from http/json, come out identical. Started as CloudWatch's
// stand-in, it refuses over real HTTP what AWS refuses: unsigned or badly signed exports, exports over
// the endpoint's limits, an account denied.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setupTracing } from '../../layers/otel/setup.ts';
import { lambdaCredentials } from '../../dev/harness/bootstrap.ts';
import { startOtlpReceiver, xrayOtlpLimits, type OtlpReceiver, type ReceivedSpan } from '../../dev/harness/otlp-receiver.ts';
import type { SigV4Credentials } from '../../dev/harness/sigv4-verify.ts';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

async function exportSample(protocol: string): Promise<ReceivedSpan[]> {
  const tracing = setupTracing(
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'receiver-test' },
    { warn: (message) => expect.fail(message) },
  )!;
  const tracer = tracing.provider.getTracer('perkamo-lambda');
  const link = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
  const parent = tracer.startSpan('process perkamo-events', {
    kind: SpanKind.CONSUMER,
    attributes: { 'faas.coldstart': true, 'messaging.batch.message_count': 3, ratio: 0.25, tags: ['a', 'b'] },
    links: [{ context: link, attributes: { 'messaging.message.id': 'm-1' } }],
  });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: '1 of 3 records failed' });
  const child = tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.response.status_code': 503 } }, trace.setSpan(ROOT_CONTEXT, parent));
  child.end();
  parent.end();
  await tracing.flush(2_000);
  return receiver.waitForSpans(2, 2_000);
}

describe('OTLP receiver', () => {
  it.each(['http/protobuf', 'http/json'])('decodes %s: names, ids, parent, kind, attributes, links, status, resource', async (protocol) => {
    const spans = await exportSample(protocol);
    expect(receiver.requests[0]?.contentType).toContain(protocol === 'http/json' ? 'json' : 'protobuf');
    const parent = spans.find((s) => s.name === 'process perkamo-events')!;
    const child = spans.find((s) => s.name === 'POST')!;
    expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parent.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parent.parentSpanId).toBe('');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(parent.kind).toBe(5);
    expect(child.kind).toBe(3);
    expect(parent.attributes).toEqual({ 'faas.coldstart': true, 'messaging.batch.message_count': 3, ratio: 0.25, tags: ['a', 'b'] });
    expect(child.attributes).toEqual({ 'http.response.status_code': 503 });
    expect(parent.links).toEqual([{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: { 'messaging.message.id': 'm-1' } }]);
    expect(parent.status).toEqual({ code: 2, message: '1 of 3 records failed' });
    expect(parent.endNs).toBeGreaterThanOrEqual(parent.startNs);
    expect(parent.startNs).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
    expect(parent.resource['service.name']).toBe('receiver-test');
  });

  it('refuses a body it cannot read, and keeps counting after it', async () => {
    const bad = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff]) });
    expect(bad.status).toBe(400);
    expect(await exportSample('http/protobuf')).toHaveLength(2);
  });
});

// --- As CloudWatch's OTLP traces endpoint: SigV4, limits, an account that may not write ----------

class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

// A protobuf ExportTraceServiceRequest built by hand: exact sizes, any number of spans.
function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
const lengthDelimited = (field: number, value: Buffer | string): Buffer => {
  const bytes = Buffer.from(value);
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
};
const traceId = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const spanIdOf = (i: number): Buffer => Buffer.from(i.toString(16).padStart(16, '0'), 'hex');

/** A Span message: ids, name, and a `pad` attribute of `padding` characters. */
function pbSpan(i: number, padding = 0): Buffer {
  const attribute = lengthDelimited(9, Buffer.concat([lengthDelimited(1, 'pad'), lengthDelimited(2, lengthDelimited(1, 'x'.repeat(padding)))]));
  return Buffer.concat([lengthDelimited(1, traceId), lengthDelimited(2, spanIdOf(i)), lengthDelimited(5, `span ${i}`), ...(padding > 0 ? [attribute] : [])]);
}

/** A Span message of exactly `bytes` bytes. */
function pbSpanOfSize(bytes: number): Buffer {
  let padding = bytes;
  for (let span = pbSpan(0, padding); ; span = pbSpan(0, padding)) {
    if (span.length === bytes) return span;
    padding += bytes - span.length;
  }
}

const pbRequest = (spans: Buffer[]): Buffer => lengthDelimited(1, lengthDelimited(2, Buffer.concat(spans.map((s) => lengthDelimited(2, s)))));

function jsonSpan(i: number, padding = 0) {
  return {
    traceId: traceId.toString('hex'),
    spanId: spanIdOf(i).toString('hex'),
    name: `span ${i}`,
    attributes: padding > 0 ? [{ key: 'pad', value: { stringValue: 'x'.repeat(padding) } }] : [],
  };
}
const jsonRequest = (spans: object[]): Buffer => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** POSTs over loopback; `headers` as pairs, so that a header may repeat (node then adds no Host of its own). */
function post(url: string, body: Buffer, headers: [string, string][]): Promise<Answer> {
  const all: [string, string][] = headers.some(([name]) => name === 'host') ? headers : [['host', new URL(url).host], ...headers];
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/traces`, { method: 'POST', headers: all.flat() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface ExportOptions {
  json?: boolean;
  gzip?: boolean;
  credentials?: SigV4Credentials;
  /** Signed too; a repeated header is signed as its values joined with commas and sent as separate lines. */
  extraHeaders?: [string, string][];
}

/** An export as the layer sends it to CloudWatch: signed with the function's credentials for xray in eu-west-1. */
async function sendSigned(target: OtlpReceiver, payload: Buffer, options: ExportOptions = {}): Promise<Answer> {
  const body = options.gzip === false ? payload : gzipSync(payload);
  const { host } = new URL(target.url);
  const headers: Record<string, string> = {
    host,
    'content-type': options.json ? 'application/json' : 'application/x-protobuf',
    'content-length': String(body.length),
  };
  if (options.gzip !== false) headers['content-encoding'] = 'gzip';
  for (const [name, value] of options.extraHeaders ?? []) headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  const signer = new SignatureV4({ service: 'xray', region: 'eu-west-1', credentials: options.credentials ?? lambdaCredentials, sha256: Sha256 });
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/v1/traces', query: {}, headers, body });
  const sent = Object.entries(signed.headers).filter(([name]) => !(options.extraHeaders ?? []).some(([extra]) => extra === name));
  return post(target.url, body, [...sent, ...(options.extraHeaders ?? [])]);
}

const awsError = (status: number, type: string, message: string | RegExp) =>
  expect.objectContaining({
    status,
    headers: expect.objectContaining({ 'content-type': 'application/json', 'x-amzn-errortype': type }),
    text: expect.toSatisfy((text: string) => {
      const body = JSON.parse(text);
      return body.__type === type && (typeof message === 'string' ? body.message === message : message.test(body.message));
    }, `{"__type":"${type}","message":${String(message)}}`),
  });

describe('OTLP receiver as CloudWatch (sigv4, limits, deny)', () => {
  let aws: OtlpReceiver;
  beforeAll(async () => {
    aws = await startOtlpReceiver({ sigv4: { region: 'eu-west-1', credentials: lambdaCredentials }, limits: true });
  });
  afterAll(() => aws.close());
  beforeEach(() => aws.reset());

  it('takes a signed gzip protobuf export and records it as signed, answered 200', async () => {
    const answer = await sendSigned(aws, pbRequest([pbSpan(1), pbSpan(2)]));
    expect(answer.status, answer.text).toBe(200);
    expect(aws.spans.map((s) => s.name)).toEqual(['span 1', 'span 2']);
    expect(aws.requests).toEqual([
      { path: '/v1/traces', contentType: 'application/x-protobuf', contentEncoding: 'gzip', bytes: expect.any(Number), signed: true, status: 200, errorType: undefined },
    ]);
  });

  it('takes a signed json export, and a signed header sent on two lines (values joined with commas)', async () => {
    const answer = await sendSigned(aws, jsonRequest([jsonSpan(1)]), { json: true, gzip: false, extraHeaders: [['x-perkamo-note', 'a'], ['x-perkamo-note', 'b']] });
    expect(answer.status, answer.text).toBe(200);
    expect(aws.spans.map((s) => s.name)).toEqual(['span 1']);
  });

  it('refuses an unsigned export 403 MissingAuthenticationTokenException, in the AWS JSON error shape, and keeps none of its spans', async () => {
    const answer = await post(aws.url, pbRequest([pbSpan(1)]), [['content-type', 'application/x-protobuf']]);
    expect(answer).toEqual(awsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'));
    expect(aws.spans).toEqual([]);
    expect(aws.requests).toEqual([expect.objectContaining({ signed: false, status: 403, errorType: 'MissingAuthenticationTokenException' })]);
  });

  it('refuses a wrong secret 403 InvalidSignatureException and a wrong session token 403 UnrecognizedClientException, keeping no spans', async () => {
    const wrongSecret = await sendSigned(aws, pbRequest([pbSpan(1)]), { credentials: { ...lambdaCredentials, secretAccessKey: 'not-the-harness-secret' } });
    expect(wrongSecret).toEqual(awsError(403, 'InvalidSignatureException', /^The request signature we calculated does not match/));
    const wrongToken = await sendSigned(aws, pbRequest([pbSpan(2)]), { credentials: { ...lambdaCredentials, sessionToken: 'another-session-token' } });
    expect(wrongToken).toEqual(awsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'));
    expect(aws.spans).toEqual([]);
    expect(aws.requests.map((r) => [r.signed, r.status, r.errorType])).toEqual([
      [true, 403, 'InvalidSignatureException'],
      [true, 403, 'UnrecognizedClientException'],
    ]);
  });

  it('refuses a body over 5 MB uncompressed with 413, raw or gzip, and takes one of exactly 5 MB', async () => {
    const limit = xrayOtlpLimits.requestBytes;
    expect(limit).toBe(5 * 1024 * 1024);
    const padded = (size: number) => {
      const json = jsonRequest([jsonSpan(1)]);
      return Buffer.concat([json, Buffer.alloc(size - json.length, ' ')]);
    };
    for (const gzip of [false, true]) {
      const over = await sendSigned(aws, padded(limit + 1), { json: true, gzip });
      expect(over.status, `gzip ${gzip}`).toBe(413);
      expect(JSON.parse(over.text)).toEqual({ message: 'Request entity too large' });
      expect(aws.spans).toEqual([]);
      const at = await sendSigned(aws, padded(limit), { json: true, gzip });
      expect(at.status, `gzip ${gzip}: ${at.text}`).toBe(200);
      aws.spans.length = 0;
    }
    expect(aws.requests.map((r) => r.status)).toEqual([413, 200, 413, 200]);
  });

  it('refuses more than 10,000 spans in one export 400 InvalidRequestException, and takes 10,000', async () => {
    const spans = Array.from({ length: 10_001 }, (_, i) => pbSpan(i + 1));
    const over = await sendSigned(aws, pbRequest(spans));
    expect(over).toEqual(awsError(400, 'InvalidRequestException', /10,000; this one has 10001/));
    expect(aws.spans).toEqual([]);
    const at = await sendSigned(aws, pbRequest(spans.slice(0, 10_000)));
    expect(at.status, at.text).toBe(200);
    expect(aws.spans).toHaveLength(10_000);
  });

  it('refuses an export holding one span over 200 KB 400 InvalidRequestException (protobuf: its message bytes; json: its JSON)', async () => {
    const limit = xrayOtlpLimits.spanBytes;
    expect(limit).toBe(200 * 1024);
    const overPb = await sendSigned(aws, pbRequest([pbSpan(1), pbSpanOfSize(limit + 1)]));
    expect(overPb).toEqual(awsError(400, 'InvalidRequestException', new RegExp(`span 0000000000000000 \\(span 0\\) is ${limit + 1} bytes`)));
    expect(aws.spans).toEqual([]);
    const atPb = await sendSigned(aws, pbRequest([pbSpan(1), pbSpanOfSize(limit)]));
    expect(atPb.status, atPb.text).toBe(200);

    const jsonOverhead = JSON.stringify(jsonSpan(7, 1)).length - 1;
    const overJson = await sendSigned(aws, jsonRequest([jsonSpan(7, limit + 1 - jsonOverhead)]), { json: true });
    expect(overJson).toEqual(awsError(400, 'InvalidRequestException', new RegExp(`is ${limit + 1} bytes`)));
    const atJson = await sendSigned(aws, jsonRequest([jsonSpan(7, limit - jsonOverhead)]), { json: true });
    expect(atJson.status, atJson.text).toBe(200);
    expect(aws.spans.map((s) => s.name)).toEqual(['span 1', 'span 0', 'span 7']);
  });

  it('deny: access-denied answers a signed export 403 AccessDeniedException naming xray:PutTraceSegments, keeping no spans', async () => {
    aws.deny = 'access-denied';
    const answer = await sendSigned(aws, pbRequest([pbSpan(1)]));
    expect(answer).toEqual(
      awsError(403, 'AccessDeniedException', /^User: arn:aws:sts::123456789012:assumed-role\/[^ ]+ is not authorized to perform: xray:PutTraceSegments /),
    );
    expect(aws.spans).toEqual([]);
  });

  it('deny: transaction-search-off answers 400 InvalidRequestException asking for CloudWatch Logs as the trace segment destination', async () => {
    aws.deny = 'transaction-search-off';
    const answer = await sendSigned(aws, pbRequest([pbSpan(1)]));
    expect(answer).toEqual(awsError(400, 'InvalidRequestException', 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.'));
    expect(aws.spans).toEqual([]);
  });

  it('deny comes after the signature check, and reset() lifts it', async () => {
    aws.deny = 'access-denied';
    const unsigned = await post(aws.url, pbRequest([pbSpan(1)]), [['content-type', 'application/x-protobuf']]);
    expect(unsigned).toEqual(awsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'));
    aws.reset();
    expect(aws.deny).toBeUndefined();
    expect((await sendSigned(aws, pbRequest([pbSpan(1)]))).status).toBe(200);
    expect(aws.spans).toHaveLength(1);
  });
});

describe('OTLP receiver without options', () => {
  it('takes unsigned and signed exports alike, over the X-Ray limits too, and records which were signed', async () => {
    const spans = Array.from({ length: 10_001 }, (_, i) => pbSpan(i + 1));
    expect((await post(receiver.url, pbRequest(spans), [['content-type', 'application/x-protobuf']])).status).toBe(200);
    const signed = await sendSigned(receiver, pbRequest([pbSpan(1)]), { credentials: { ...lambdaCredentials, secretAccessKey: 'any' } });
    expect(signed.status).toBe(200);
    expect(receiver.spans).toHaveLength(10_002);
    expect(receiver.requests.map((r) => [r.signed, r.status, r.errorType])).toEqual([
      [false, 200, undefined],
      [true, 200, undefined],
    ]);
  });

  it('deny works without sigv4: every export is refused as AWS would', async () => {
    receiver.deny = 'transaction-search-off';
    const answer = await post(receiver.url, pbRequest([pbSpan(1)]), [['content-type', 'application/x-protobuf']]);
    expect(answer).toEqual(awsError(400, 'InvalidRequestException', 'The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination.'));
    expect(receiver.spans).toEqual([]);
  });
});
