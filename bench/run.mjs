#!/usr/bin/env node
// The benchmark: `npm run bench` (full; writes bench/RESULTS.md and prints the same table) or
// `npm run bench:quick` (tiny counts, a smoke run). Needs a built dist/ (`npm run bench` builds
// first). Every figure is compared with a baseline measured in this same run:
//   (a) the same function bundle with no tracing,
//   (b) the official OpenTelemetry way (bench/baselines/official-otel-init.mjs),
//   record-by-record Powertools batch processing (bench/baselines/powertools-batch.mjs).
// The emulator and a local OTLP receiver run in their own processes; every measurement runs in a
// fresh worker process (bench/lib/worker.mjs), variants interleaved round by round.
//
//   node bench/run.mjs [--quick] [--out FILE] [--json FILE] [--build-dir DIR]
//
// It never fails on a number, only when a run breaks (a worker crashes, a record fails, a server
// does not start): then it exits non-zero.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBaselines } from './lib/build-baselines.mjs';
import { cleanEnv, control, root, runNode, startInteractive, startServer, stopAll } from './lib/procs.mjs';
import { renderReport } from './lib/report.mjs';
import { median, rotate } from './lib/stats.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
    'build-dir': { type: 'string' },
  },
  strict: true,
});

const quick = args.quick;
const abs = (p) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
// Full mode writes bench/RESULTS.md; quick mode never does unless --out says so.
const outFile = args.out ? abs(args.out) : quick ? join(root, 'bench/.build/RESULTS.quick.md') : join(root, 'bench/RESULTS.md');
const buildDir = args['build-dir'] ? abs(args['build-dir']) : join(root, 'bench/.build');

const config = quick
  ? {
      cold: { runs: 2, functions: ['emit', 'batch'] },
      warmHttp: { rounds: 2, warmup: 10, blocks: 2, blockSize: 20 },
      warmSqs: { rounds: 2, warmup: 2, blocks: 2, blockSize: 3, records: 10 },
      throughput: { rounds: 2, records: 100, warmup: 1, count: 1 },
      stub: { rounds: 2, warmup: 1, count: 3, records: 100 },
      memory: { runs: 1, records: 500 },
      ingest: { rounds: 2, single: 100, batches: 5, concurrency: 4 },
    }
  : {
      cold: { runs: 15, functions: ['emit', 'batch', 'identify', 'stream-token'] },
      warmHttp: { rounds: 5, warmup: 100, blocks: 10, blockSize: 200 },
      warmSqs: { rounds: 5, warmup: 20, blocks: 10, blockSize: 20, records: 10 },
      throughput: { rounds: 5, records: 1000, warmup: 2, count: 3 },
      stub: { rounds: 5, warmup: 5, count: 30, records: 1000 },
      memory: { runs: 3, records: 10_000 },
      ingest: { rounds: 5, single: 3000, batches: 150, concurrency: 8 },
    };

const started = Date.now();
const elapsed = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const log = (line) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);

const layerInit = join(root, 'dist/layers/otel/otel-init.mjs');
const functionRoot = (fn) => join(root, 'dist/functions', fn);
const fnFile = (fn) => join(functionRoot(fn), 'index.mjs');
const worker = join(root, 'bench/lib/worker.mjs');
const ingestScript = join(root, 'bench/lib/ingest.mjs');

// Lambda's Node.js bootstrap sizes V8's heap from the function's memory: new space = memory / 10,
// semi-space = new space / 2, old space = memory - new space (and --expose-gc). Workers run with the
// same flags: 1,024 MB functions, except where the memory benchmark says 128 MB.
const lambdaV8Flags = (mb) => {
  const newSpace = Math.floor(mb / 10);
  return ['--expose-gc', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${mb - newSpace}`];
};

async function main() {
  for (const fn of ['emit', 'batch', 'identify', 'stream-token']) {
    if (!existsSync(fnFile(fn))) throw new Error(`${relative(root, fnFile(fn))} is missing: run \`npm run build\` first (\`npm run bench\` does)`);
  }
  if (!existsSync(layerInit)) throw new Error('dist/layers/otel/otel-init.mjs is missing: run `npm run build` first');
  if (!existsSync(join(root, 'dist/bin/emulator.mjs')) || !existsSync(join(root, 'dist/lib/sdk.mjs'))) {
    throw new Error('dist/bin/emulator.mjs or dist/lib/sdk.mjs is missing: run `npm run build` first');
  }
  if (relative(root, buildDir).startsWith('..')) throw new Error('--build-dir must lie inside the repository (node_modules must resolve from it)');

  const machine = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpus()[0]?.model?.trim() ?? 'unknown'} × ${cpus().length}`,
    loadStart: loadavg()[0],
    date: new Date().toISOString(),
  };
  log(`${quick ? 'quick' : 'full'} run · Node ${machine.node} · ${machine.cpu} · load average ${machine.loadStart.toFixed(2)}`);

  log('bundling the baselines (esbuild, the options of esbuild.config.mjs)');
  const baselines = await buildBaselines(buildDir);

  log('starting the emulator and the OTLP receiver, each in its own process');
  const emulator = await startServer('emulator', ['dist/bin/emulator.mjs', '--port', '0', '--quiet'], /listening on (http:\/\/[\d.]+:\d+)/);
  const baseUrl = emulator.match[1];
  const receiver = await startServer('otlp receiver', ['bench/lib/otlp-receiver.mjs', '0'], /listening (\d+)/);
  const receiverUrl = `http://127.0.0.1:${receiver.match[1]}`;

  const resetEmulator = () => control(`${baseUrl}/__emulator/reset`, 'POST');
  const resetReceiver = () => control(`${receiverUrl}/reset`, 'POST');
  const receiverStats = () => control(`${receiverUrl}/stats`);

  /** A worker's environment: Lambda's variables, the function's settings, the exporter mode. */
  const workerEnv = (fn, taskRoot, { exporter = 'otlp', memoryMb = 1024 } = {}) =>
    cleanEnv({
      AWS_LAMBDA_FUNCTION_NAME: fn,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/25/[$LATEST]bench',
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: 'index.handler',
      PERKAMO_BASE_URL: baseUrl,
      PERKAMO_SECRET_KEY: 'sk_test_emulator',
      PERKAMO_BROWSER_KEY: 'pk_test_emulator',
      AUTH_TRUST_API_GATEWAY: 'true',
      LOG_LEVEL: 'warn',
      OTEL_SERVICE_NAME: 'perkamo-bench',
      OTEL_TRACES_EXPORTER: exporter,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });

  // How each variant starts node: the layer or the official init with --import, or nothing.
  const tracer = {
    untraced: [],
    ours: ['--import', layerInit],
    official: ['--import', baselines.officialInit],
  };

  const runWorker = (trace, fn, job, { taskRoot = functionRoot(fn), exporter, memoryMb = 1024, tolerate } = {}) =>
    runNode({
      nodeArgs: [...lambdaV8Flags(memoryMb), ...tracer[trace]],
      script: worker,
      job,
      env: workerEnv(fn, taskRoot, { exporter, memoryMb }),
      tolerate,
    });

  const results = { machine, config, quick };

  // ---- 1. Cold start ----------------------------------------------------------------------------
  {
    const { runs, functions } = config.cold;
    // oursNone: our layer with OTEL_TRACES_EXPORTER=none, which tells what the first export costs
    // (for emit and batch: one HTTP and one SQS function are enough to tell it, and time is short).
    const allColdVariants = [
      { key: 'untraced', trace: 'untraced', exporter: 'otlp' },
      { key: 'ours', trace: 'ours', exporter: 'otlp' },
      { key: 'official', trace: 'official', exporter: 'otlp' },
      { key: 'oursNone', trace: 'ours', exporter: 'none' },
    ];
    const coldVariantsOf = (fn) => allColdVariants.filter((v) => v.key !== 'oursNone' || fn === 'emit' || fn === 'batch');
    const total = runs * functions.reduce((n, fn) => n + coldVariantsOf(fn).length, 0);
    let done = 0;
    const cold = {};
    for (const fn of functions) {
      const coldVariants = coldVariantsOf(fn);
      cold[fn] = Object.fromEntries(coldVariants.map((v) => [v.key, []]));
      for (let run = 0; run < runs; run++) {
        await resetEmulator();
        for (const v of rotate(coldVariants, run)) {
          const r = await runWorker(v.trace, fn, { kind: 'cold', fn, run: `cold-${fn}-${run}-${v.key}` }, { exporter: v.exporter });
          cold[fn][v.key].push(r);
          done++;
          if (done % 8 === 0 || done === total) {
            log(`cold start ${done}/${total}: ${fn} ${v.key} ready ${r.readyMs.toFixed(0)} ms + first invocation ${r.firstInvokeMs.toFixed(0)} ms`);
          }
        }
      }
    }
    results.cold = cold;
  }

  // ---- bytes --------------------------------------------------------------------------------------
  const size = (file) => statSync(file).size;
  results.bytes = {
    functions: Object.fromEntries(['emit', 'batch', 'identify', 'stream-token'].map((fn) => [fn, size(fnFile(fn))])),
    layer: { init: size(layerInit), handler: size(join(root, 'dist/layers/otel/otel-handler')) },
    official: { init: size(baselines.officialInit), iitm: baselines.iitmBytes },
    powertools: size(baselines.powertools),
  };

  // ---- 2. Warm overhead -----------------------------------------------------------------------------
  const warmVariants = [
    { key: 'untraced', trace: 'untraced', exporter: 'otlp' },
    { key: 'ours', trace: 'ours', exporter: 'otlp' },
    { key: 'official', trace: 'official', exporter: 'otlp' },
    { key: 'oursNone', trace: 'ours', exporter: 'none' },
    { key: 'officialNone', trace: 'official', exporter: 'none' },
  ];
  for (const source of ['http', 'sqs']) {
    const c = source === 'http' ? config.warmHttp : config.warmSqs;
    const fn = source === 'http' ? 'emit' : 'batch';
    // rounds[r][variant] = { us: [per block], spans: [per block] }
    const rounds = [];
    for (let round = 0; round < c.rounds; round++) {
      await resetEmulator();
      const workers = Object.fromEntries(
        warmVariants.map((v) => [
          v.key,
          startInteractive({
            nodeArgs: [...lambdaV8Flags(1024), ...tracer[v.trace]],
            script: worker,
            job: { kind: 'warm', source, records: c.records, warmup: c.warmup, run: `warm-${source}-${round}-${v.key}` },
            env: workerEnv(fn, functionRoot(fn), { exporter: v.exporter }),
          }),
        ]),
      );
      await Promise.all(Object.values(workers).map((w) => w.ready));
      const data = Object.fromEntries(warmVariants.map((v) => [v.key, { us: [], spans: [] }]));
      for (let block = 0; block < c.blocks; block++) {
        for (const v of rotate(warmVariants, block + round)) {
          await resetReceiver();
          const r = await workers[v.key].block(c.blockSize);
          const stats = await receiverStats();
          data[v.key].us.push(r.us);
          data[v.key].spans.push(stats.spans / c.blockSize);
        }
      }
      await Promise.all(Object.values(workers).map((w) => w.end()));
      rounds.push(data);
      const med = (key) => median(data[key].us);
      log(
        `warm ${source} round ${round + 1}/${c.rounds} (${c.blocks} blocks of ${c.blockSize} per variant): µs/invocation ` +
          warmVariants.map((v) => `${v.key} ${med(v.key).toFixed(0)}`).join(', ') +
          `; spans exported per invocation: ours ${median(data.ours.spans).toFixed(1)}, official ${median(data.official.spans).toFixed(1)}`,
      );
    }
    results[`warm_${source}`] = { rounds, recordsPerInvocation: c.records ?? 1, blocks: c.blocks, blockSize: c.blockSize, warmup: c.warmup };
  }

  // ---- 3. SQS throughput: 1,000 records ------------------------------------------------------------
  const ptRoot = baselines.powertoolsRoot;
  const batchVariants = [
    { key: 'ours', trace: 'untraced', fn: 'batch' },
    { key: 'powertools', trace: 'untraced', fn: 'powertools-batch', taskRoot: ptRoot },
    { key: 'oursTraced', trace: 'ours', fn: 'batch' },
  ];
  {
    const c = config.throughput;
    const out = Object.fromEntries(batchVariants.map((v) => [v.key, []]));
    for (let round = 0; round < c.rounds; round++) {
      for (const v of rotate(batchVariants, round)) {
        await resetEmulator();
        const r = await runWorker(v.trace, v.fn, { kind: 'throughput', records: c.records, warmup: c.warmup, count: c.count, run: `tp-${round}-${v.key}`, timeoutMs: 120_000 }, { taskRoot: v.taskRoot });
        out[v.key].push(r);
        log(`SQS ${c.records} records round ${round + 1}/${c.rounds}: ${v.key} ${r.eventsPerSecond.toFixed(0)} events/s, ${r.calls} Perkamo calls`);
      }
    }
    results.throughput = out;
  }

  // ---- our code per record, against an instant stub ------------------------------------------------
  {
    const c = config.stub;
    const out = Object.fromEntries(batchVariants.map((v) => [v.key, []]));
    for (let round = 0; round < c.rounds; round++) {
      for (const v of rotate(batchVariants, round)) {
        await resetReceiver();
        const r = await runWorker(v.trace, v.fn, { kind: 'stub', records: c.records, warmup: c.warmup, count: c.count, run: `stub-${round}-${v.key}`, timeoutMs: 120_000 }, { taskRoot: v.taskRoot });
        out[v.key].push(r);
        log(`instant stub round ${round + 1}/${c.rounds}: ${v.key} ${r.usPerRecord.toFixed(1)} µs/record of own code (${r.calls} stubbed calls)`);
      }
    }
    results.stub = out;
  }

  // ---- 4. Memory -----------------------------------------------------------------------------------
  {
    const c = config.memory;
    const memoryVariants = [
      { key: 'floor', trace: 'untraced', fn: 'batch', mb: 128, invoke: false },
      { key: 'ours', trace: 'untraced', fn: 'batch', mb: 128 },
      { key: 'oursTraced', trace: 'ours', fn: 'batch', mb: 128 },
      { key: 'powertools', trace: 'untraced', fn: 'powertools-batch', taskRoot: ptRoot, mb: 128 },
      { key: 'oursTraced1024', trace: 'ours', fn: 'batch', mb: 1024 },
      { key: 'powertools1024', trace: 'untraced', fn: 'powertools-batch', taskRoot: ptRoot, mb: 1024 },
    ];
    // Running out of memory is a result here (the variant does not fit the function's memory).
    const tolerate = (stderr) => (/heap out of memory|Allocation failed/i.test(stderr) ? { oom: true } : undefined);
    const out = Object.fromEntries(memoryVariants.map((v) => [v.key, []]));
    for (let run = 0; run < c.runs; run++) {
      for (const v of rotate(memoryVariants, run)) {
        await resetEmulator();
        const r = await runWorker(
          v.trace,
          v.fn,
          { kind: 'memory', records: c.records, invoke: v.invoke, run: `mem-${run}-${v.key}`, timeoutMs: 300_000 },
          { taskRoot: v.taskRoot, memoryMb: v.mb, tolerate },
        );
        out[v.key].push(r);
        log(`memory ${c.records} records run ${run + 1}/${c.runs}: ${v.key} (${v.mb} MB function) ${r.oom ? 'out of memory' : `peak RSS ${(r.maxRssKb / 1024).toFixed(1)} MB`}`);
      }
    }
    results.memory = out;
  }

  // ---- 5. Emulator ingest --------------------------------------------------------------------------
  {
    const c = config.ingest;
    const out = { single: [], batch: [] };
    for (let round = 0; round < c.rounds; round++) {
      for (const mode of rotate(['single', 'batch'], round)) {
        await resetEmulator();
        const r = await runNode({
          script: ingestScript,
          job: { baseUrl, apiKey: 'sk_test_emulator', mode, requests: mode === 'single' ? c.single : c.batches, concurrency: c.concurrency, run: `${round}` },
          env: cleanEnv(),
        });
        out[mode].push(r);
        log(`emulator ingest round ${round + 1}/${c.rounds}: ${mode} ${r.eventsPerSecond.toFixed(0)} events/s`);
      }
    }
    results.ingest = out;
  }

  emulator.stop();
  receiver.stop();
  machine.loadEnd = loadavg()[0];
  results.seconds = (Date.now() - started) / 1000;

  const report = renderReport(results);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, report.markdown);
  if (args.json) {
    mkdirSync(dirname(abs(args.json)), { recursive: true });
    writeFileSync(abs(args.json), `${JSON.stringify({ ...results, summary: report.summary }, null, 2)}\n`);
  }
  process.stdout.write(`\n${report.table}\n`);
  log(`done in ${elapsed()}; wrote ${relative(process.cwd(), outFile) || outFile}`);
}

try {
  await main();
} catch (error) {
  stopAll();
  process.stderr.write(`\nbenchmark run broke: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
}
// Exit now: no child or socket may keep the run alive.
stopAll();
process.exit(0);
