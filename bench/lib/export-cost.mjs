// One process of the export micro-benchmark (bench/run.mjs runs one per round, on Lambda's Node):
// what one OTLP export costs in CPU before it reaches the socket, for a batch of spans as the
// functions make them — serialized only (OTLP/protobuf: traces=otlp as deployed), serialized and
// gzip-compressed, serialized, compressed and SigV4-signed (traces=xray as deployed). The steps are
// the layer's own, called as layers/otel/otlp-exporter.ts calls them: from the built
// dist/layers/otel/otel-export.mjs, `boundSpan` on every span, `limitedRequests` with
// `encodeProtobuf`, gzip by node:zlib as the exporter compresses (one
// synchronous call up to 64 KB, the asynchronous `gzip` and its threadpool round trip above), and `requestSigner(…).sign` with
// `credentialsSource(process.env)` (one signer for the process: it caches the signing key per day).
// Nothing is sent.
//
// The spans: real ReadableSpans, from the layer's setupTracing with an in-memory exporter
// (bench/lib/span-source.mjs, bundled) while the emit and batch bundles take invocations against the
// emulator (HTTP `POST /events`, SQS batches of 10, alternately); a batch of n spans is the first n
// that ended, whole invocations in a row, as an export carries them.
//
//   node bench/lib/export-cost.mjs '<job JSON>'
//
// job: { spanSource, exportModule, handlers: { emit, batch } (files), url, sizes: [n…], warmup,
// blocks, count }. Per size, the three modes run in interleaved blocks of `count` exports (the order
// rotating from block to block) after `warmup` exports each; prints `@result {…}` with, for every
// block, the wall time per export (`us`: performance.now(), the gzip's threadpool round trip included)
// and the CPU time per export (`cpuUs`: process.cpuUsage(), user + system, every thread of the
// process: the compression on the threadpool counts, its wait does not), and the bytes of one
// serialized and one compressed body.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import { eventPayload, httpApiEvent, lambdaContext, sqsEvent } from './events.mjs';

const job = JSON.parse(process.argv[2] ?? '{}');
const importFile = (file) => import(pathToFileURL(file).href);

// The tracing first, as the layer's --import comes before the handler module.
const { exporter, flush } = await importFile(job.spanSource);
const parts = await importFile(job.exportModule);
const handlers = { emit: (await importFile(job.handlers.emit)).handler, batch: (await importFile(job.handlers.batch)).handler };
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench';

const check = (result, what) => {
  const ok = typeof result?.statusCode === 'number' ? result.statusCode < 300 : Array.isArray(result?.batchItemFailures) && result.batchItemFailures.length === 0;
  if (!ok) throw new Error(`${what}: unexpected answer ${JSON.stringify(result)?.slice(0, 300)}`);
};

// ---- the spans -------------------------------------------------------------------------------------
const needed = Math.max(...job.sizes);
const perInvocation = { emit: [], batch: [] };
for (let n = 0; exporter.getFinishedSpans().length < needed; n++) {
  if (n > 10 * needed) throw new Error(`only ${exporter.getFinishedSpans().length} spans after ${n} invocations`);
  const before = exporter.getFinishedSpans().length;
  const fn = n % 2 === 0 ? 'emit' : 'batch';
  const event = fn === 'emit' ? httpApiEvent('POST /events', eventPayload(`export-cost-${process.pid}`, n)) : sqsEvent(`export-cost-${process.pid}`, n * 10, 10);
  check(await handlers[fn](event, lambdaContext(functionName)), `${fn} invocation`);
  await flush();
  perInvocation[fn].push(exporter.getFinishedSpans().length - before);
}
const allSpans = exporter.getFinishedSpans().slice();
exporter.reset();

// ---- one export, as the exporter makes it -------------------------------------------------------------
const url = new URL(job.url);
const signer = parts.requestSigner({ service: 'xray', region: process.env.AWS_REGION }, parts.credentialsSource(process.env));
/** As layers/otel/otlp-exporter.ts compresses: its syncGzipBytes. */
const syncGzipBytes = 64 * 1024;
const gzip = async (body) =>
  body.byteLength <= syncGzipBytes ? gzipSync(body) : new Promise((resolve, reject) => gzipCallback(body, (error, out) => (error ? reject(error) : resolve(out))));
const serialize = (spans) =>
  parts.limitedRequests(spans.map((span) => parts.boundSpan(span)), (part) => {
    const body = parts.encodeProtobuf(part);
    if (!body) throw new Error('could not serialize the spans');
    return body;
  });
const modes = {
  async serialize(spans) {
    serialize(spans);
  },
  async gzip(spans) {
    for (const { body } of serialize(spans)) headersOf(await gzip(body));
  },
  async sign(spans) {
    for (const { body } of serialize(spans)) {
      const compressed = await gzip(body);
      const headers = await signer.sign({ url, headers: headersOf(compressed), body: compressed }, Date.now() + 10_000);
      if (!headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) throw new Error(`the signer returned no SigV4 authorization: ${Object.keys(headers).join(', ')}`);
    }
  },
};
/** The headers the exporter sends (OTEL_EXPORTER_OTLP_HEADERS is '' as deployed with traces=xray). */
const headersOf = (body) => ({ 'content-type': 'application/x-protobuf', 'content-length': String(body.byteLength), 'content-encoding': 'gzip' });

const keys = Object.keys(modes);
const out = { node: process.version, spansPerInvocation: perInvocation, sizes: {} };
for (const size of job.sizes) {
  const spans = allSpans.slice(0, size);
  for (const key of keys) for (let i = 0; i < job.warmup; i++) await modes[key](spans);
  const us = Object.fromEntries(keys.map((key) => [key, []]));
  const cpuUs = Object.fromEntries(keys.map((key) => [key, []]));
  for (let block = 0; block < job.blocks; block++) {
    for (let k = 0; k < keys.length; k++) {
      const key = keys[(k + block) % keys.length];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < job.count; i++) await modes[key](spans);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      us[key].push((wall * 1000) / job.count);
      cpuUs[key].push((cpu.user + cpu.system) / job.count);
    }
  }
  const requests = serialize(spans);
  const bytes = { raw: 0, gzip: 0, requests: requests.length };
  for (const { body } of requests) {
    bytes.raw += body.byteLength;
    bytes.gzip += (await gzip(body)).byteLength;
  }
  out.sizes[size] = { us, cpuUs, bytes };
}
process.stdout.write(`\n@result ${JSON.stringify(out)}\n`, () => process.exit(0));
