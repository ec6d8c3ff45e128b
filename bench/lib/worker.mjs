// One benchmark worker process: loads a handler the way Lambda's Node runtime loads an ES module
// handler (`_HANDLER` = <module>.<export> under `LAMBDA_TASK_ROOT`, imported with import()), after
// whatever `--import` the variant passes to node (our layer, the official init, or nothing), then
// runs one job and prints its result as one JSON line prefixed with `@result `.
//
//   node [--import init.mjs] bench/lib/worker.mjs '<job JSON>'
//
// Jobs: warm | throughput | stub | observability | memory (sections 2–4; cold starts run under the loopback Lambda
// harness instead, bench/lib/deployed.mjs). Timings use performance.now().
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { httpApiEvent, eventPayload, lambdaContext, sqsEvent, sqsEventJson } from './events.mjs';

const job = JSON.parse(process.argv[2] ?? '{}');
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench';
const baseUrl = process.env.PERKAMO_BASE_URL;

// The instant stub: every Perkamo call is answered at once, in this process, with the documented
// success shape (used only by the `stub` job, installed before the handler loads). The time spent
// inside the stub is measured and subtracted from the handler's time.
let stubMs = 0;
let stubCalls = 0;
if (job.kind === 'stub' || job.kind === 'observability') {
  const accepted = (event, i) => ({
    applied: true,
    duplicate: false,
    delta: { points: 1, xp: 1 },
    wallet_state: { points: 1, xp: 1 },
    level: { current: 1, next: 2, progress: 0.1 },
    transaction_id: event?.transaction_id ?? `tx_${i}`,
  });
  globalThis.fetch = async (url, init) => {
    const t0 = performance.now();
    stubCalls++;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : {};
    const answer = Array.isArray(body.events) ? { results: body.events.map(accepted) } : accepted(body, 0);
    const response = new Response(JSON.stringify(answer), {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-perkamo-request-id': `req_stub_${stubCalls}` },
    });
    stubMs += performance.now() - t0;
    return response;
  };
}

const handler = await loadHandler();
// The observability job's second instance of the same bundle, loaded (its own cold start) without
// the summary and EMF lines: LOG_LEVEL=error, PERKAMO_METRICS=false.
const quietHandler = job.kind === 'observability' ? await loadHandler({ LOG_LEVEL: 'error', PERKAMO_METRICS: 'false' }) : undefined;

const out = await run();
// Exit as Lambda would freeze: do not wait for keep-alive sockets or exporter timers — but do wait
// for stdout: the functions' log lines may still be queued for the pipe, and the result goes last.
process.stdout.write(`\n@result ${JSON.stringify(out)}\n`, () => process.exit(0));

/** Replaces process.stdout.write with a synchronous write to /dev/null; returns the undo. */
function sendStdoutToDevNull() {
  const fd = openSync('/dev/null', 'w');
  const original = process.stdout.write;
  process.stdout.write = (chunk, ...rest) => {
    writeSync(fd, chunk);
    rest.find((arg) => typeof arg === 'function')?.();
    return true;
  };
  return () => {
    process.stdout.write = original;
    closeSync(fd);
  };
}

/** `env`: variables set for this module's cold start only (a second instance: a query string). */
async function loadHandler(env) {
  const root = process.env.LAMBDA_TASK_ROOT;
  const [module, exportName] = (process.env._HANDLER ?? 'index.handler').split('.');
  const file = ['.mjs', '.js'].map((ext) => join(root, `${module}${ext}`)).find((f) => existsSync(f));
  if (!file) throw new Error(`no handler module ${module} under ${root}`);
  const saved = env && Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  if (env) Object.assign(process.env, env);
  const mod = await import(`${pathToFileURL(file).href}${env ? '?instance=2' : ''}`);
  if (saved) for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`${file} exports no function ${exportName}`);
  return fn;
}

async function invoke(event, fn = handler) {
  const result = await fn(event, lambdaContext(functionName, job.timeoutMs ?? 30_000));
  return result;
}

/** Throws when an answer is not a success, so that a broken run fails the benchmark. */
function check(result, what) {
  if (result && typeof result.statusCode === 'number') {
    if (result.statusCode >= 300) throw new Error(`${what}: HTTP ${result.statusCode} ${result.body}`);
    return;
  }
  if (result && Array.isArray(result.batchItemFailures)) {
    if (result.batchItemFailures.length > 0) throw new Error(`${what}: ${result.batchItemFailures.length} failed records`);
    return;
  }
  throw new Error(`${what}: unexpected answer ${JSON.stringify(result)?.slice(0, 200)}`);
}

/** The lines of a readable stream. */
async function* lines(stream) {
  let buffer = '';
  for await (const chunk of stream) {
    buffer += chunk;
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
  if (buffer) yield buffer;
}

/** Requests the emulator has taken so far (its ledger's count). */
async function requestsSoFar() {
  const res = await fetch(`${baseUrl}/__emulator/ledger`);
  const body = await res.json();
  return body.requests.total;
}

async function run() {
  switch (job.kind) {
    case 'warm': {
      // Driven over stdin so that the variants of a round run in short interleaved blocks (their
      // paired blocks are seconds apart, not minutes): after the warm-up it prints `@ready`, then
      // answers each `block <n>` line with `@block {"us"}` (µs per invocation over n invocations),
      // and ends at `end`. job.source: http (POST /events through emit) | sqs (job.records per
      // invocation through batch).
      const make =
        job.source === 'http'
          ? (n) => httpApiEvent('POST /events', eventPayload(job.run, n))
          : (n) => sqsEvent(job.run, n * job.records, job.records);
      let n = 0;
      for (let i = 0; i < job.warmup; i++) check(await invoke(make(n++)), 'warm-up');
      process.stdout.write('\n@ready\n');
      for await (const line of lines(process.stdin)) {
        const [command, arg] = line.trim().split(' ');
        if (command === 'end') break;
        if (command !== 'block') continue;
        const count = Number(arg);
        const events = Array.from({ length: count }, () => make(n++));
        const t0 = performance.now();
        for (const event of events) check(await invoke(event), 'warm invocation');
        const us = ((performance.now() - t0) * 1000) / count;
        process.stdout.write(`\n@block ${JSON.stringify({ us })}\n`);
      }
      return {};
    }
    case 'throughput': {
      // A warm container: job.warmup invocations of the same size first (connections open, code
      // optimized), then job.count timed invocations; calls are counted per invocation from the ledger.
      for (let i = 0; i < job.warmup; i++) check(await invoke(sqsEvent(`${job.run}-warm${i}`, 0, job.records)), 'warm-up batch');
      // Calls are counted over all the timed invocations, not around each: the ledger holds a copy of
      // every event applied (thousands here), and reading it between invocations left the next one
      // its garbage to collect. One collection before the timing, of the warm-up's and the ledger's.
      const events = Array.from({ length: job.count }, (_, i) => sqsEvent(`${job.run}-${i}`, 0, job.records));
      const before = await requestsSoFar();
      globalThis.gc?.();
      const runs = [];
      for (const event of events) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const result = await invoke(event);
        const ms = performance.now() - t0;
        // This process's CPU (every thread: V8's compiler and collector threads too) meanwhile.
        const cpu = process.cpuUsage(cpu0);
        check(result, `${job.records}-record batch`);
        runs.push({ ms, cpuMs: (cpu.user + cpu.system) / 1000 });
      }
      const calls = ((await requestsSoFar()) - before) / job.count;
      const mid = runs.sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
      return { ...mid, calls, eventsPerSecond: (job.records * 1000) / mid.ms };
    }
    case 'stub': {
      // Per batch size: a few events, reused (the stub keeps no state, and the harness then
      // allocates, and makes the collector work, as little as possible while the handler is timed);
      // enough warm-up invocations that the young generation has grown to its working size first.
      const sizes = {};
      for (const { records, warmup, count } of job.sizes) {
        const events = Array.from({ length: 4 }, (_, i) => sqsEvent(`${job.run}-${records}`, i * records, records));
        for (let i = 0; i < warmup; i++) check(await invoke(events[i % events.length]), 'warm-up');
        stubMs = 0;
        stubCalls = 0;
        const t0 = performance.now();
        for (let i = 0; i < count; i++) check(await invoke(events[i % events.length]), 'stubbed batch');
        const ms = performance.now() - t0;
        const total = count * records;
        sizes[records] = { usPerRecord: ((ms - stubMs) * 1000) / total, stubUsPerRecord: (stubMs * 1000) / total, calls: stubCalls };
      }
      return { sizes };
    }
    case 'observability': {
      // The same bundle twice in one process, Perkamo answered by the instant stub: as deployed
      // (a summary line and an EMF line per invocation, one write) and quiet; and a third, "floor":
      // quiet plus a one-byte write to the same stdout — the write's own cost, which the lines pay
      // once per invocation. job.source: http (emit) | sqs (job.records per invocation, batch).
      const make =
        job.source === 'http'
          ? (n) => httpApiEvent('POST /events', eventPayload(job.run, n))
          : (n) => sqsEvent(job.run, n * job.records, job.records);
      const run = {
        loud: (event) => invoke(event, handler),
        quiet: (event) => invoke(event, quietHandler),
        floor: async (event) => {
          const result = await invoke(event, quietHandler);
          process.stdout.write('\n');
          return result;
        },
      };
      const keys = Object.keys(run);
      // job.sink: 'pipe' leaves stdout as spawned (a pipe this process's parent reads, as on Lambda,
      // where the reader's work shares the machine); 'file' sends the functions' lines to /dev/null
      // with a synchronous write (our code and the syscall alone).
      const restore = job.sink === 'file' ? sendStdoutToDevNull() : () => {};
      // Between invocations the runtime client waits for the next one on a socket: the event loop
      // turns, and stdout's queued writes go out. Without the turn they would pile up. A file's write
      // is done when it returns; a pipe's goes out in that turn, which its figure includes.
      const timed = async (key, event) => {
        stubMs = 0;
        const t0 = performance.now();
        check(await run[key](event), 'stubbed invocation');
        if (job.sink !== 'file') await new Promise(setImmediate);
        const us = (performance.now() - t0 - stubMs) * 1000;
        if (job.sink === 'file') await new Promise(setImmediate);
        return us;
      };
      // Every order of the three in turn, so that none always follows another (whose collections it would inherit).
      const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]].map((order) => order.map((k) => keys[k]));
      let n = 0;
      for (let i = 0; i < job.warmup; i++) for (const key of keys) await timed(key, make(n++));
      const us = { loud: [], quiet: [], floor: [] };
      if (job.sink === 'file') {
        // One invocation each per cycle, in every order in turn: the figures are per invocation, and
        // their differences paired within a cycle.
        for (let cycle = 0; cycle < job.cycles; cycle++) {
          for (const key of orders[cycle % orders.length]) us[key].push(await timed(key, make(n++)));
        }
      } else {
        // A pipe: the parent's reading spills into whatever invocation comes next, so instances
        // alternate by blocks (their means paired within a round of blocks), in every order in turn.
        for (let block = 0; block < job.blocks; block++) {
          for (const key of orders[block % orders.length]) {
            let total = 0;
            for (let i = 0; i < job.blockSize; i++) total += await timed(key, make(n++));
            us[key].push(total / job.blockSize);
          }
        }
      }
      restore();
      return { us };
    }
    case 'memory': {
      // As the runtime does: the invoke payload arrives as JSON text and is parsed into the event.
      // job.invoke=false measures the floor: the handler loaded and the event parsed, not processed.
      const event = JSON.parse(sqsEventJson(job.run, 0, job.records));
      if (job.invoke === false) return { maxRssKb: process.resourceUsage().maxRSS, ms: 0 };
      const t0 = performance.now();
      const result = await invoke(event);
      const ms = performance.now() - t0;
      check(result, `${job.records}-record batch`);
      return { maxRssKb: process.resourceUsage().maxRSS, ms };
    }
    default:
      throw new Error(`unknown job ${job.kind}`);
  }
}
