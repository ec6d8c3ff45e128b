// A local OTLP/HTTP trace receiver for the benchmark, in its own process: answers every
// POST /v1/traces with 200 at once and counts the spans in the bodies of both encodings the
// exporters send — OTLP/JSON (the worker sections set http/json) and OTLP/protobuf (what the layer
// sends as deployed, the cold starts under the harness). A body it cannot count spans in is counted
// as unparsed, so that the benchmark can refuse a span count that would be wrong. GET /stats reads
// the counters (spans, unparsed, and export requests by encoding), POST /reset clears them. Prints
// `listening <port>` when ready. POST /delay?ms=N makes it answer every export N ms after it arrived
// (its spans count at once): a remote backend; a large N is a collector that hangs. Bodies sent
// with `content-encoding: gzip` are read too (counted in `gzip`). A request with an Authorization
// header is checked as CloudWatch's OTLP endpoint checks it: its SigV4 signature, for service xray
// in the region given as the second argument, with the credentials the loopback Lambda harness hands
// every function (the harness's verifySigV4: aws4, not the signer the layer uses); `signed` counts
// those that verify, `badSignatures` those that do not (the benchmark stops on one). It answers
// before it counts (gunzip, parse, verify), so that its own work is not in an exporter's time.
//
//   node bench/lib/otlp-receiver.mjs <port> [region]
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { lambdaCredentials, verifySigV4 } from '../../dist/harness/index.mjs';

const region = process.argv[3] ?? 'eu-central-1';
// `byVariant`: spans by the request's `x-bench-variant` header (OTEL_EXPORTER_OTLP_HEADERS of each
// variant); `requestsByVariant`: its export requests, how many gzip-compressed, how many signed.
const empty = () => ({ spans: 0, unparsed: 0, json: 0, protobuf: 0, gzip: 0, signed: 0, badSignatures: 0, byVariant: {}, requestsByVariant: {} });
let stats = empty();
let delayMs = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.method === 'POST' && req.url?.startsWith('/delay')) {
    delayMs = Number(new URL(req.url, 'http://receiver').searchParams.get('ms')) || 0;
    res.writeHead(204);
    res.end();
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    stats = empty();
    res.writeHead(204);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const received = Buffer.concat(chunks);
    const type = String(req.headers['content-type']);
    const json = type.includes('json');
    // An empty ExportTraceServiceResponse in the request's encoding.
    const answer = () => {
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    };
    if (delayMs > 0) setTimeout(answer, delayMs).unref();
    else answer();

    const variant = String(req.headers['x-bench-variant'] ?? '');
    const requests = (stats.requestsByVariant[variant] ??= { requests: 0, gzip: 0, signed: 0 });
    requests.requests++;
    if (req.headers.authorization !== undefined) {
      const verdict = verifySigV4({ method: req.method ?? '', path: req.url ?? '', headers: req.headersDistinct, body: received }, { region, service: 'xray', credentials: lambdaCredentials });
      if (verdict.ok) {
        stats.signed++;
        requests.signed++;
      } else {
        stats.badSignatures++;
        process.stderr.write(`otlp receiver: a signature did not verify: ${verdict.type}: ${verdict.message}\n`);
      }
    }
    let body = received;
    try {
      if (req.headers['content-encoding'] === 'gzip') {
        body = gunzipSync(body);
        stats.gzip++;
        requests.gzip++;
      }
      let spans = 0;
      if (json) {
        for (const rs of JSON.parse(body.toString('utf8')).resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
        }
        stats.json++;
      } else if (type.includes('protobuf')) {
        spans = protobufSpans(body);
        stats.protobuf++;
      } else stats.unparsed++;
      stats.spans += spans;
      stats.byVariant[variant] = (stats.byVariant[variant] ?? 0) + spans;
    } catch {
      stats.unparsed++;
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));

/** Spans in an ExportTraceServiceRequest: resource_spans (field 1) → scope_spans (2) → spans (2). */
function protobufSpans(body) {
  let spans = 0;
  for (const rs of lengthDelimited(body, 1)) for (const ss of lengthDelimited(rs, 2)) spans += lengthDelimited(ss, 2).length;
  return spans;
}

/** The values of length-delimited field `field` of one protobuf message; other fields are skipped by wire type. */
function lengthDelimited(buf, field) {
  const out = [];
  let i = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (i >= buf.length) throw new Error('truncated varint');
      const byte = buf[i++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wireType = key % 8;
    if (wireType === 0) varint();
    else if (wireType === 1) i += 8;
    else if (wireType === 5) i += 4;
    else if (wireType === 2) {
      const length = varint();
      if (i + length > buf.length) throw new Error('truncated field');
      if (Math.floor(key / 8) === field) out.push(buf.subarray(i, i + length));
      i += length;
    } else throw new Error(`unsupported wire type ${wireType}`);
  }
  if (i > buf.length) throw new Error('truncated message');
  return out;
}
