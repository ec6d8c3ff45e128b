// Load generator for the emulator's ingest rate, in its own process: signed POST /v1/events
// (single events) or POST /v1/events:batch (100 per request) over keep-alive node:http, `concurrency`
// requests in flight. Prints `@result {"eventsPerSecond"}`.
//   node bench/lib/ingest.mjs '{"baseUrl","apiKey","mode":"single"|"batch","requests":N,"concurrency":C,"run":R}'
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { signRequest } from '../../dist/lib/core.mjs';
import { eventPayload } from './events.mjs';

const job = JSON.parse(process.argv[2]);
const url = new URL(job.baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
const path = job.mode === 'batch' ? '/v1/events:batch' : '/v1/events';
const perRequest = job.mode === 'batch' ? 100 : 1;

function body(i) {
  if (job.mode === 'single') return JSON.stringify(eventPayload(`ingest-${job.run}`, i));
  const events = [];
  for (let k = 0; k < 100; k++) events.push(eventPayload(`ingest-${job.run}`, i * 100 + k));
  return JSON.stringify({ events });
}

function post(text) {
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-perkamo-api-key': job.apiKey,
    ...signRequest({ apiKey: job.apiKey, method: 'POST', path, body: text }),
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`HTTP ${res.statusCode} ${Buffer.concat(chunks)}`)) : resolve()));
    });
    req.on('error', reject);
    req.end(text);
  });
}

// Bodies are built (and their sha256 + HMAC computed) inside the timed loop, as a client would.
const warm = Math.min(50, job.requests);
let next = 0;
const worker = async (limit) => {
  while (next < limit) await post(body(next++));
};
await Promise.all(Array.from({ length: job.concurrency }, () => worker(warm)));
const start = next;
const t0 = performance.now();
await Promise.all(Array.from({ length: job.concurrency }, () => worker(warm + job.requests)));
const ms = performance.now() - t0;
process.stdout.write(`\n@result ${JSON.stringify({ eventsPerSecond: ((next - start) * perRequest * 1000) / ms })}\n`);
process.exit(0);
