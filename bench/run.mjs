#!/usr/bin/env node
// The benchmark: `npm run bench` (full; writes bench/RESULTS.md and prints the same table) or
// `npm run bench:quick` (tiny counts, a smoke run). Needs a built dist/ (`npm run bench` builds
// first). Every figure is compared with a baseline measured in this same run:
//   (a) the same function bundle with no tracing,
//   (b) the official OpenTelemetry way (bench/baselines/official-otel-init.mjs),
//   record-by-record Powertools batch processing (bench/baselines/powertools-batch.mjs).
// The emulator and a local OTLP receiver run in their own processes. Cold starts (section 1) run
// as deployed: the functions packaged by `serverless package`, each in a fresh loopback Lambda
// environment (dist/harness: aws-lambda-ric under the Runtime API) on Lambda's Node, packaged with
// traces=otlp pointing at the local receiver (and with traces=xray, the deploy default, for what a
// signed, gzipped export costs; the receiver stands in for CloudWatch's endpoint and verifies the
// signatures). The other measurements run in fresh worker processes (bench/lib/worker.mjs; the
// export micro-benchmark bench/lib/export-cost.mjs). Variants are interleaved round by round.
//
//   node bench/run.mjs [--quick] [--out FILE] [--json FILE] [--build-dir DIR]
//
// --json writes the raw measurements the report is made from, for the smoke test or a closer look;
// nothing keeps them (the report is the record).
//
// It never fails on a number, only when a run breaks (a worker crashes, a record fails, a traced
// variant exports no span, a server does not start): then it exits non-zero.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBaselines } from './lib/build-baselines.mjs';
import { packageDeployed, processCpuMs, startExtensionsApiStub, startJwksIssuer, writeOfficialWrapper } from './lib/deployed.mjs';
import { measureWarmDeployed } from './lib/warm-deployed.mjs';
import { coldEvent, coldEventText, coldStartsOverHttp } from './lib/events.mjs';
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
      // customer too: a first invocation over HTTP to its route, with a bearer token, from a caller Perkamo knows.
      cold: { runs: 2, functions: ['emit', 'batch', 'customer'] },
      warmDeployed: { warmup: 3, rounds: 2, blockSize: 10, delays: [0, 50], hangInvocations: 2 },
      layerInit: { runs: 3 },
      exportCost: { rounds: 2, sizes: [10, 100], warmup: 5, blocks: 3, count: 10 },
      warmHttp: { rounds: 2, warmup: 10, blocks: 2, blockSize: 20 },
      warmSqs: { rounds: 2, warmup: 2, blocks: 2, blockSize: 3, records: 10 },
      throughput: { rounds: 2, records: 100, warmup: 1, count: 1 },
      stub: { rounds: 2, sizes: [{ records: 10, warmup: 20, count: 20 }, { records: 100, warmup: 3, count: 3 }, { records: 1000, warmup: 1, count: 2 }] },
      observability: { rounds: 2, warmup: 20, cycles: 60, blocks: 4, blockSize: 10, records: 10, sinks: ['pipe', 'file'] },
      memory: { runs: 1, records: 500 },
      ingest: { rounds: 2, single: 100, batches: 5, concurrency: 4 },
    }
  : {
      cold: { runs: 15, functions: 'all' },
      warmDeployed: { warmup: 20, rounds: 5, blockSize: 100, delays: [0, 50], hangInvocations: 3 },
      layerInit: { runs: 20 },
      exportCost: { rounds: 5, sizes: [10, 100], warmup: 100, blocks: 10, count: 100 },
      warmHttp: { rounds: 5, warmup: 100, blocks: 10, blockSize: 200 },
      warmSqs: { rounds: 5, warmup: 20, blocks: 10, blockSize: 20, records: 10 },
      throughput: { rounds: 5, records: 1000, warmup: 2, count: 3 },
      // Warm-up: ≈ 60,000 records per size, so that the young generation's growth (and its slow
      // first collections) is over before the timing starts; then ≈ 30,000 timed records.
      stub: {
        rounds: 5,
        sizes: [
          { records: 10, warmup: 6000, count: 3000 },
          { records: 100, warmup: 600, count: 300 },
          { records: 1000, warmup: 60, count: 30 },
        ],
      },
      // file: 3,000 cycles of one invocation each per instance; pipe: 60 blocks of 50 per instance.
      observability: { rounds: 5, warmup: 300, cycles: 3000, blocks: 60, blockSize: 50, records: 10, sinks: ['pipe', 'file'] },
      memory: { runs: 3, records: 10_000 },
      ingest: { rounds: 5, single: 3000, batches: 150, concurrency: 8 },
    };

// The functions' own default (src/lambda/config.ts), set explicitly so that the report can state it.
const perkamoConcurrency = 4;
// The region of every environment under the harness (its AWS_REGION): what the layer signs for with
// traces=xray, and what the receiver verifies.
const lambdaRegion = 'eu-central-1';

const started = Date.now();
const elapsed = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const log = (line) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);

const layerInit = join(root, 'dist/layers/otel/otel-init.mjs');
const layerHandler = join(root, 'dist/layers/otel/perkamo-otel-handler');
// The word the deploy adds to NODE_OPTIONS, as the harness rewrites /opt to the built layer.
const ourImport = `--import ${layerInit}`;
const functionRoot = (fn) => join(root, 'dist/functions', fn);
const fnFile = (fn) => join(functionRoot(fn), 'index.mjs');
const worker = join(root, 'bench/lib/worker.mjs');
const layerInitScript = join(root, 'bench/lib/layer-init.mjs');
const exportCostScript = join(root, 'bench/lib/export-cost.mjs');
const layerExport = join(root, 'dist/layers/otel/otel-export.mjs');
const ingestScript = join(root, 'bench/lib/ingest.mjs');
// What the run loads from dist/: the layer it measures, the harness that runs the functions as
// deployed, the emulator it runs, the emulator's keys, the sdk the Powertools baseline calls (and
// the cold starts seed a customer with), the request signing of the load generator, the function
// list (lib/lambda; the functions' bundles are checked once it is read).
const fromDist = [
  layerInit,
  layerExport,
  layerHandler,
  ...['harness/index', 'bin/emulator', 'lib/emulator', 'lib/sdk', 'lib/core', 'lib/lambda'].map((f) => join(root, `dist/${f}.mjs`)),
];

// Lambda's Node.js bootstrap sizes V8's heap from the function's memory: new space = memory / 10,
// semi-space = new space / 2, old space = memory - new space (and --expose-gc). Workers (sections 2–4)
// run with the same flags: 1,024 MB functions, except where the memory benchmark says 128 MB.
const lambdaV8Flags = (mb) => {
  const newSpace = Math.floor(mb / 10);
  return ['--expose-gc', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${mb - newSpace}`];
};

/**
 * `rounds` rounds of `measure(variant, round)`, one variant at a time, the order rotating from round
 * to round so that no variant always runs first; each variant's results, under its key.
 */
async function interleaved(rounds, variants, measure) {
  const out = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let round = 0; round < rounds; round++) {
    for (const v of rotate(variants, round)) out[v.key].push(await measure(v, round));
  }
  return out;
}

/** Throws when a function's answer is not a success (an HTTP error, failed records), so that a broken run fails. */
function checkAnswer(payload, what) {
  if (payload && typeof payload.statusCode === 'number') {
    if (payload.statusCode >= 300) throw new Error(`${what}: HTTP ${payload.statusCode} ${payload.body}`);
  } else if (payload && Array.isArray(payload.batchItemFailures)) {
    if (payload.batchItemFailures.length > 0) throw new Error(`${what}: ${payload.batchItemFailures.length} failed records`);
  } else if (!payload || payload.applied !== true) throw new Error(`${what}: unexpected answer ${JSON.stringify(payload)?.slice(0, 200)}`);
}

async function main() {
  const requireBuilt = (files) => {
    const missing = files.filter((file) => !existsSync(file)).map((file) => relative(root, file));
    if (missing.length) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first (\`npm run bench\` does)`);
  };
  requireBuilt(fromDist);
  // Every function of the function list (src/lambda/functions/index.ts), as the build wrote it.
  const { functionNames: FUNCTIONS, functionOf } = await import('../dist/lib/lambda.mjs');
  requireBuilt(FUNCTIONS.map(fnFile));
  if (relative(root, buildDir).startsWith('..')) throw new Error('--build-dir must lie inside the repository (node_modules must resolve from it)');
  // The emulator runs without --server-key/--browser-key: it accepts its default keys.
  const { defaultKeys } = await import('../dist/lib/emulator.mjs');

  const machine = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpus()[0]?.model?.trim() ?? 'unknown'} × ${cpus().length}`,
    loadStart: loadavg()[0],
    date: new Date().toISOString(),
  };
  log(`${quick ? 'quick' : 'full'} run · Node ${machine.node} · ${machine.cpu} · load average ${machine.loadStart.toFixed(2)}`);

  log('bundling the baselines with esbuild, as our layer and functions are bundled');
  const baselines = await buildBaselines(buildDir);

  log('starting the emulator and the OTLP receiver, each in its own process');
  const emulator = await startServer('emulator', ['dist/bin/emulator.mjs', '--port', '0', '--quiet'], /listening on (http:\/\/[\d.]+:\d+)\s/);
  const baseUrl = emulator.match[1];
  const receiver = await startServer('otlp receiver', ['bench/lib/otlp-receiver.mjs', '0', lambdaRegion], /listening (\d+)\s/);
  const receiverUrl = `http://127.0.0.1:${receiver.match[1]}`;

  const resetEmulator = () => control(`${baseUrl}/__emulator/reset`, 'POST');
  const resetReceiver = () => control(`${receiverUrl}/reset`, 'POST');
  const receiverStats = () => control(`${receiverUrl}/stats`);

  /** A worker's environment: Lambda's variables, the function's settings, the exporter mode. */
  // Logs and metrics as deployed by default (logLevel info, metrics on): a summary line and an EMF
  // line per invocation. The warm section also runs without them (`env`) to price them.
  const workerEnv = (fn, taskRoot, { exporter = 'otlp', memoryMb = 1024, env = {} } = {}) =>
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
      PERKAMO_SECRET_KEY: defaultKeys.server[0],
      PERKAMO_BROWSER_KEY: defaultKeys.browser[0],
      PERKAMO_CONCURRENCY: String(perkamoConcurrency),
      AUTH_TRUST_API_GATEWAY: 'true',
      LOG_LEVEL: 'info',
      PERKAMO_METRICS: 'true',
      OTEL_SERVICE_NAME: 'perkamo-bench',
      OTEL_TRACES_EXPORTER: exporter,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      ...env,
    });

  // How each variant starts node: the layer or the official init with --import, or nothing.
  const tracer = {
    untraced: [],
    ours: ['--import', layerInit],
    official: ['--import', baselines.officialInit],
  };

  /** How a worker process runs a function: its node flags, script and environment. */
  const workerSpec = (trace, fn, { taskRoot = functionRoot(fn), exporter, memoryMb = 1024, env } = {}) => ({
    nodeArgs: [...lambdaV8Flags(memoryMb), ...tracer[trace]],
    script: worker,
    env: workerEnv(fn, taskRoot, { exporter, memoryMb, env }),
  });
  const runWorker = (trace, fn, job, { tolerate, ...spec } = {}) => runNode({ ...workerSpec(trace, fn, spec), job, tolerate });

  const results = { machine, config, quick, perkamoConcurrency };

  // ---- 1. Cold start, as deployed ---------------------------------------------------------------
  // Each measurement: a fresh loopback Lambda environment (aws-lambda-ric under the Runtime API, the
  // environment of the packaged template), one first invocation, shutdown. Lambda's Init Duration and
  // that invocation's Duration are the figures; the spans at the receiver prove what was traced.
  {
    const { runs } = config.cold;
    const functions = config.cold.functions === 'all' ? FUNCTIONS : config.cold.functions;
    const harness = await import('../dist/harness/index.mjs');
    const auth = { issuer: 'https://issuer.bench.example/', audience: 'perkamo-lambda-bench' };
    const jwks = await startJwksIssuer(auth);
    const secretKey = defaultKeys.server[0];
    const { createPerkamoClient } = await import('../dist/lib/sdk.mjs');
    const perkamo = createPerkamoClient({ apiKey: secretKey, baseUrl });
    const params = {
      perkamoBaseUrl: baseUrl,
      authJwksUrl: jwks.url,
      authIssuer: auth.issuer,
      authAudience: auth.audience,
      browserKey: defaultKeys.browser[0],
      traces: 'otlp',
      otelExporterEndpoint: receiverUrl,
    };
    // traces=xray (the deploy default): the region's CloudWatch OTLP endpoint, which the variants below
    // point at the receiver; otelExporterEndpoint applies to traces=otlp only.
    const { otelExporterEndpoint: _, ...xrayParams } = { ...params, traces: 'xray' };
    log('packaging the functions with `serverless package` (osls, offline): nodejs24.x, with sourceMaps=true, and with traces=xray');
    const deployed = {
      node24: await packageDeployed(harness, params),
      node24SourceMaps: await packageDeployed(harness, { ...params, sourceMaps: 'true' }),
      node24Xray: await packageDeployed(harness, xrayParams),
    };
    const node24 = await harness.lambdaNode(24);
    // The Node 22 variants (every function's cold start, and the source-maps pair on emit) need a Node 22
    // binary: without one they are left out, and said so.
    const node22 = await harness.lambdaNode(22).catch((error) => {
      log(`no Node 22 binary (${error.message.split('\n')[0]}): the Node 22 variants are left out`);
      return undefined;
    });
    if (node22) {
      log('packaging for nodejs22.x, and with sourceMaps=true');
      deployed.node22 = await packageDeployed(harness, { ...params, runtime: 'nodejs22.x' });
      deployed.node22SourceMaps = await packageDeployed(harness, { ...params, runtime: 'nodejs22.x', sourceMaps: 'true' });
    }
    const expectTemplate = (what, ok) => {
      if (!ok) throw new Error(`the packaged template is not what the benchmark measures: ${what}`);
    };
    for (const [key, fns] of Object.entries(deployed)) {
      for (const fn of FUNCTIONS) {
        const f = fns[fn];
        expectTemplate(`${key} has no ${fn}`, f);
        expectTemplate(`${key} ${fn} runtime ${f.runtime}`, f.runtime === (key.startsWith('node22') ? 'nodejs22.x' : 'nodejs24.x'));
        const nodeOptions = [key.endsWith('SourceMaps') && '--enable-source-maps', ourImport].filter(Boolean).join(' ');
        expectTemplate(`${key} ${fn} NODE_OPTIONS '${f.environment.NODE_OPTIONS}'`, f.environment.NODE_OPTIONS === nodeOptions);
        expectTemplate(`${key} ${fn} AWS_LAMBDA_EXEC_WRAPPER ${f.environment.AWS_LAMBDA_EXEC_WRAPPER}`, f.environment.AWS_LAMBDA_EXEC_WRAPPER === undefined);
        const e = f.environment;
        expectTemplate(`${key} ${fn} OTEL_TRACES_EXPORTER ${e.OTEL_TRACES_EXPORTER}`, e.OTEL_TRACES_EXPORTER === 'otlp');
        if (key.endsWith('Xray')) {
          expectTemplate(`${key} ${fn} OTEL_EXPORTER_OTLP_TRACES_ENDPOINT '${e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}'`, /^https:\/\/xray\.[a-z0-9-]+\.amazonaws\.com\/v1\/traces$/.test(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? ''));
          expectTemplate(`${key} ${fn} OTEL_PROPAGATORS '${e.OTEL_PROPAGATORS}'`, e.OTEL_PROPAGATORS === 'tracecontext,baggage,xray-lambda');
          expectTemplate(`${key} ${fn} OTEL_EXPORTER_OTLP_HEADERS '${e.OTEL_EXPORTER_OTLP_HEADERS}'`, !e.OTEL_EXPORTER_OTLP_HEADERS);
        } else {
          expectTemplate(`${key} ${fn} OTEL_EXPORTER_OTLP_ENDPOINT '${e.OTEL_EXPORTER_OTLP_ENDPOINT}'`, e.OTEL_EXPORTER_OTLP_ENDPOINT === receiverUrl);
          expectTemplate(`${key} ${fn} OTEL_EXPORTER_OTLP_TRACES_ENDPOINT '${e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}'`, !e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
        }
      }
    }
    const secretId = deployed.node24.emit.environment.PERKAMO_SECRET_ARN;
    const secrets = await harness.startSecretsManager({ [secretId]: secretKey });
    const officialWrapper = await writeOfficialWrapper(baselines.officialInit);

    // The deploy loads our init with NODE_OPTIONS (no exec wrapper): without the layer is without that word.
    const withoutOurs = (env) => ({ ...env, NODE_OPTIONS: env.NODE_OPTIONS.replace(ourImport, '').trim() });
    // traces=xray under the harness: the template's environment plus the loopback endpoint, signed for
    // xray all the same (PERKAMO_OTEL_SIGV4, as for a VPC endpoint's private name): the layer signs with
    // the execution role's credentials the harness hands every function, gzip on by default.
    const xrayEnv = (e) => ({ ...e, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiverUrl}/v1/traces`, PERKAMO_OTEL_SIGV4: 'xray' });
    // Active tracing: Lambda's X-Ray header with Lambda's sampling decision, here always Sampled=1 (the
    // layer follows it through xray-lambda; Lambda's default header, Sampled=0, would export nothing).
    const sampledTraceHeader = () => harness.lambdaTraceHeader().replace(/Sampled=0$/, 'Sampled=1');
    // `env` turns the deployed environment into the variant's; `spans`: whether the first invocation exports;
    // `signed`: whether every export must arrive gzip-compressed and validly signed; `traceHeader`: the
    // invocation's X-Ray header when not Lambda's default.
    const allColdVariants = [
      { key: 'untraced', pkg: 'node24', node: node24, env: withoutOurs, spans: false },
      { key: 'ours', pkg: 'node24', node: node24, env: (e) => e, spans: true },
      { key: 'official', pkg: 'node24', node: node24, env: (e) => ({ ...withoutOurs(e), AWS_LAMBDA_EXEC_WRAPPER: officialWrapper }), spans: true },
      // The layer's exec wrapper (how a team attaching the layer by hand loads it; the deploy's way until issue 26).
      { key: 'oursWrapper', pkg: 'node24', node: node24, env: (e) => ({ ...withoutOurs(e), AWS_LAMBDA_EXEC_WRAPPER: layerHandler }), spans: true, only: ['emit', 'batch'] },
      // What the first export costs (emit and batch: one function of each kind of trigger is enough to tell it).
      { key: 'oursNone', pkg: 'node24', node: node24, env: (e) => ({ ...e, OTEL_TRACES_EXPORTER: 'none' }), spans: false, only: ['emit', 'batch'] },
      // traces=xray as packaged: what signing and gzip change in the cold start and the first export.
      { key: 'oursXray', pkg: 'node24Xray', node: node24, env: xrayEnv, spans: true, signed: true, traceHeader: sampledTraceHeader, only: ['emit', 'batch'] },
      { key: 'sourceMaps', pkg: 'node24SourceMaps', node: node24, env: (e) => e, spans: true },
      ...(node22
        ? [
            // The target holds on Node 22 too: the layer's overhead there, every function.
            { key: 'untraced22', pkg: 'node22', node: node22, env: withoutOurs, spans: false },
            { key: 'ours22', pkg: 'node22', node: node22, env: (e) => e, spans: true },
            { key: 'sourceMaps22', pkg: 'node22SourceMaps', node: node22, env: (e) => e, spans: true, only: ['emit'] },
          ]
        : []),
    ];
    const coldVariantsOf = (fn) => allColdVariants.filter((v) => !v.only || v.only.includes(fn));
    const total = runs * functions.reduce((n, fn) => n + coldVariantsOf(fn).length, 0);
    let done = 0;
    results.cold = {};
    results.coldEvents = Object.fromEntries(functions.map((fn) => [fn, coldEventText(functionOf(fn))]));
    results.lambda = {
      node: { 24: await harness.nodeVersion(node24), ...(node22 && { 22: await harness.nodeVersion(node22) }) },
      memoryMb: deployed.node24.emit.memoryMb,
      timeoutSeconds: deployed.node24.emit.timeoutSeconds,
      ricVersion: JSON.parse(readFileSync(join(root, 'node_modules/aws-lambda-ric/package.json'), 'utf8')).version,
    };
    log(`cold starts on Node ${results.lambda.node[24]}${node22 ? ` (and ${results.lambda.node[22]})` : ''}, aws-lambda-ric ${results.lambda.ricVersion}: ${total} environments`);
    for (const fn of functions) {
      results.cold[fn] = await interleaved(runs, coldVariantsOf(fn), async (v, run) => {
        await resetEmulator();
        await resetReceiver();
        const f = deployed[v.pkg][fn];
        // An HTTP first invocation comes from a signed-in caller Perkamo knows (customer reads its state).
        const def = functionOf(fn);
        const user = `bench_user_${run}`;
        let bearer;
        if (coldStartsOverHttp(def)) {
          await perkamo.identify(user, { plan: 'pro' });
          bearer = await jwks.mint(user, def.scope ?? '');
        }
        const event = coldEvent(def, `cold-${fn}-${run}-${v.key}`, bearer);
        const env = await harness.startFunction({
          node: v.node,
          taskRoot: root,
          handler: f.handler,
          functionName: f.functionName,
          memoryMb: f.memoryMb,
          timeoutSeconds: f.timeoutSeconds,
          region: lambdaRegion,
          env: v.env({ ...f.environment, ...secrets.env }),
        });
        let r;
        let cpuMs;
        try {
          r = await env.invoke(event, v.traceHeader ? { traceHeader: v.traceHeader() } : undefined);
          cpuMs = await processCpuMs(env.pid);
        } finally {
          await env.shutdown();
        }
        const what = `${fn} ${v.key} first invocation`;
        if (!r.ok) throw new Error(`${what} failed: ${JSON.stringify(r.error)}\n${r.logs.slice(-20).join('\n')}`);
        checkAnswer(r.payload, what);
        if (r.initDurationMs === undefined) throw new Error(`${what}: the harness reported no Init Duration`);
        const stats = await receiverStats();
        if (stats.unparsed > 0) throw new Error(`${what}: the OTLP receiver could not count the spans of ${stats.unparsed} export(s)`);
        if (v.spans !== stats.spans > 0) throw new Error(`${what}: ${stats.spans} spans reached the receiver, expected ${v.spans ? 'some' : 'none'}`);
        if (stats.badSignatures > 0) throw new Error(`${what}: ${stats.badSignatures} export(s) carried a signature that did not verify`);
        const requests = stats.json + stats.protobuf;
        if (v.signed ? stats.signed !== requests || stats.gzip !== requests : stats.signed > 0 || stats.gzip > 0) {
          throw new Error(`${what}: ${requests} export(s), ${stats.gzip} gzip-compressed, ${stats.signed} signed; expected ${v.signed ? 'all of them both' : 'neither'}`);
        }
        done++;
        if (done % 10 === 0 || done === total) {
          log(`cold start ${done}/${total}: ${fn} ${v.key} Init Duration ${r.initDurationMs.toFixed(0)} ms + first invocation ${r.durationMs.toFixed(0)} ms, ${stats.spans} spans`);
        }
        return {
          initMs: r.initDurationMs,
          firstMs: r.durationMs,
          responseMs: r.responseMs,
          postRuntimeMs: r.postRuntimeMs,
          cpuMs,
          spans: stats.spans,
          encoding: stats.protobuf ? 'protobuf' : stats.json ? 'json' : undefined,
          exports: stats.json + stats.protobuf,
          gzip: stats.gzip,
          signed: stats.signed,
        };
      });
    }

    // ---- 1b. Warm responses as deployed, spans lost, a hanging collector ------------------------
    {
      const emitFn = { ...deployed.node24.emit, taskRoot: root };
      results.warmDeployed = await measureWarmDeployed({
        harness,
        node: node24,
        fn: emitFn,
        region: lambdaRegion,
        secretsEnv: secrets.env,
        mint: () => jwks.mint('bench_backend', 'perkamo:emit'),
        // Each variant's own package: emit with traces=otlp, and with traces=xray for oursXray.
        variants: allColdVariants
          .filter((v) => ['untraced', 'ours', 'official', 'oursXray'].includes(v.key))
          .map((v) => ({ ...v, fn: { ...deployed[v.pkg].emit, taskRoot: root } })),
        receiver: { reset: resetReceiver, stats: receiverStats, delay: (ms) => control(`${receiverUrl}/delay?ms=${ms}`, 'POST') },
        config: config.warmDeployed,
        log,
      });
    }

    // ---- 1c. The layer's init, by part -------------------------------------------------------------
    {
      const c = config.layerInit;
      const api = await startExtensionsApiStub();
      const modes = [
        { key: 'lambda', env: { AWS_LAMBDA_RUNTIME_API: api.address } },
        { key: 'noRuntimeApi', env: {} },
      ];
      results.layerInit = await interleaved(c.runs, modes, async (mode) => {
        const before = api.seen.registrations;
        const r = await runNode({
          node: node24,
          script: layerInitScript,
          job: { init: layerInit },
          env: cleanEnv({ AWS_LAMBDA_FUNCTION_NAME: 'perkamo-lambda-bench-emit', OTEL_SERVICE_NAME: 'perkamo-bench', ...mode.env }),
          timeoutMs: 30_000,
        });
        r.registrations = api.seen.registrations - before;
        if (mode.key === 'lambda') {
          // From the import's start until the extension waits on `event/next` (two processes, one clock).
          if (r.registrations !== 1 || !(api.seen.nextAt > r.startedAt)) throw new Error(`layer init: ${r.registrations} registration(s), no event/next after the import`);
          r.onNextMs = api.seen.nextAt - r.startedAt;
        }
        return r;
      });
      api.close();
      const med = (key, part) => median(results.layerInit[key].map((r) => r[part])).toFixed(2);
      log(`layer init (Node 24, ${c.runs} processes each): load ${med('lambda', 'loadMs')} ms, setup ${med('lambda', 'setupMs')} ms, hooks ${med('lambda', 'hooksMs')} ms, total ${med('lambda', 'totalMs')} ms, extension on next ${med('lambda', 'onNextMs')} ms; without the Runtime API total ${med('noRuntimeApi', 'totalMs')} ms`);
    }
    // ---- 1d. What one export costs in CPU, in-process: serialize, + gzip, + SigV4 ------------------------
    // A fresh process per round on Lambda's Node 24: the layer's setupTracing with an in-memory exporter
    // collects real spans from emit and batch (the emulator answering), then the layer's export steps
    // (dist/layers/otel/otel-export.mjs) run on batches of 10 and 100 of them, the three modes in
    // interleaved blocks.
    {
      const c = config.exportCost;
      const xrayEmit = deployed.node24Xray.emit;
      const creds = harness.lambdaCredentials;
      const rounds = [];
      for (let round = 0; round < c.rounds; round++) {
        await resetEmulator();
        const r = await runNode({
          node: node24,
          nodeArgs: lambdaV8Flags(xrayEmit.memoryMb),
          script: exportCostScript,
          job: {
            spanSource: baselines.spanSource,
            exportModule: layerExport,
            handlers: { emit: fnFile('emit'), batch: fnFile('batch') },
            url: xrayEmit.environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
            sizes: c.sizes,
            warmup: c.warmup,
            blocks: c.blocks,
            count: c.count,
          },
          env: workerEnv(xrayEmit.functionName, functionRoot('emit'), {
            memoryMb: xrayEmit.memoryMb,
            env: {
              AWS_REGION: lambdaRegion,
              AWS_DEFAULT_REGION: lambdaRegion,
              AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
              OTEL_SERVICE_NAME: xrayEmit.environment.OTEL_SERVICE_NAME ?? 'perkamo-bench',
              AWS_ACCESS_KEY_ID: creds.accessKeyId,
              AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
              AWS_SESSION_TOKEN: creds.sessionToken,
              LOG_LEVEL: 'error',
              PERKAMO_METRICS: 'false',
            },
          }),
          timeoutMs: 300_000,
        });
        rounds.push(r);
        const med = (size, mode) => median(r.sizes[size].us[mode]).toFixed(0);
        log(
          `export cost round ${round + 1}/${c.rounds} (Node ${r.node}), wall µs per export: ` +
            c.sizes.map((n) => `${n} spans serialize ${med(n, 'serialize')} / + gzip ${med(n, 'gzip')} / + sign ${med(n, 'sign')} (${r.sizes[n].bytes.raw} → ${r.sizes[n].bytes.gzip} bytes)`).join('; '),
        );
      }
      results.exportCost = { rounds, sizes: c.sizes, warmup: c.warmup, blocks: c.blocks, count: c.count };
    }
    jwks.close();
    await secrets.close();
  }

  // ---- bytes --------------------------------------------------------------------------------------
  const size = (file) => statSync(file).size;
  results.bytes = {
    functions: Object.fromEntries(FUNCTIONS.map((fn) => [fn, size(fnFile(fn))])),
    layer: { init: size(layerInit), export: size(layerExport), handler: size(layerHandler) },
    official: { init: size(baselines.officialInit), iitm: baselines.iitmBytes },
    powertools: size(baselines.powertools),
  };

  // ---- 2. Warm overhead -----------------------------------------------------------------------------
  // Not interleaved(): every variant's worker lives through a round, and the blocks rotate within it.
  const warmVariants = [
    { key: 'untraced', trace: 'untraced', exporter: 'otlp' },
    { key: 'ours', trace: 'ours', exporter: 'otlp' },
    { key: 'official', trace: 'official', exporter: 'otlp' },
    { key: 'oursNone', trace: 'ours', exporter: 'none' },
    { key: 'officialNone', trace: 'official', exporter: 'none' },
    // What logs and metrics cost: (a) without the summary and EMF lines, then with the summary only.
    { key: 'quiet', trace: 'untraced', exporter: 'otlp', env: { LOG_LEVEL: 'error', PERKAMO_METRICS: 'false' } },
    { key: 'logsOnly', trace: 'untraced', exporter: 'otlp', env: { PERKAMO_METRICS: 'false' } },
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
            ...workerSpec(v.trace, fn, { exporter: v.exporter, env: v.env }),
            job: { kind: 'warm', source, records: c.records, warmup: c.warmup, run: `warm-${source}-${round}-${v.key}` },
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
          if (stats.unparsed > 0) throw new Error(`the OTLP receiver could not count the spans of ${stats.unparsed} export(s) from ${v.key}: not OTLP/JSON`);
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
    results.throughput = await interleaved(c.rounds, batchVariants, async (v, round) => {
      await resetEmulator();
      const job = { kind: 'throughput', records: c.records, warmup: c.warmup, count: c.count, run: `tp-${round}-${v.key}`, timeoutMs: 120_000 };
      const r = await runWorker(v.trace, v.fn, job, { taskRoot: v.taskRoot });
      log(`SQS ${c.records} records round ${round + 1}/${c.rounds}: ${v.key} ${r.eventsPerSecond.toFixed(0)} events/s, ${r.calls} Perkamo calls`);
      return r;
    });
  }

  // ---- our code per record, against an instant stub (in the worker: the emulator is not called) -----
  {
    const c = config.stub;
    // Traced, two ways: exported (the worker has no Runtime API, so in the invocation; on Lambda the
    // export runs after the response) and spans recorded but not exported — what the spans themselves cost.
    const stubVariants = [...batchVariants, { key: 'oursTracedNone', trace: 'ours', fn: 'batch', exporter: 'none' }];
    results.stub = await interleaved(c.rounds, stubVariants, async (v, round) => {
      const job = { kind: 'stub', sizes: c.sizes, run: `stub-${round}-${v.key}`, timeoutMs: 300_000 };
      const r = await runWorker(v.trace, v.fn, job, { taskRoot: v.taskRoot, exporter: v.exporter });
      log(`instant stub round ${round + 1}/${c.rounds}: ${v.key} ${Object.entries(r.sizes).map(([n, x]) => `${x.usPerRecord.toFixed(1)} µs/record at ${n}`).join(', ')}`);
      return r;
    });
  }

  // ---- logs and metrics, priced in one process (2b) ------------------------------------------------
  // One worker per source and round, untraced, Perkamo answered by the instant stub: the same bundle
  // with and without its summary and EMF lines, in interleaved blocks — no network, no other process
  // in the measured path, so the difference is the lines' own cost.
  {
    const c = config.observability;
    // results.observability[sink][source] = [per round: { loud: [µs per block], quiet: […] }]
    results.observability = Object.fromEntries(c.sinks.map((sink) => [sink, { http: [], sqs: [] }]));
    const runs = c.sinks.flatMap((sink) => ['http', 'sqs'].map((source) => ({ sink, source })));
    for (let round = 0; round < c.rounds; round++) {
      for (const { sink, source } of rotate(runs, round)) {
        const fn = source === 'http' ? 'emit' : 'batch';
        const job = { kind: 'observability', source, sink, records: c.records, warmup: c.warmup, cycles: c.cycles, blocks: c.blocks, blockSize: c.blockSize, run: `obs-${round}-${sink}-${source}` };
        const r = await runWorker('untraced', fn, job);
        results.observability[sink][source].push(r.us);
        const over = median(r.us.loud.map((loud, i) => loud - r.us.quiet[i]));
        log(`logs + metrics round ${round + 1}/${c.rounds}, ${source}, stdout ${sink}: ${over.toFixed(1)} µs per invocation (as deployed ${median(r.us.loud).toFixed(0)}, quiet ${median(r.us.quiet).toFixed(0)})`);
      }
    }
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
    results.memory = await interleaved(c.runs, memoryVariants, async (v, run) => {
      await resetEmulator();
      const job = { kind: 'memory', records: c.records, invoke: v.invoke, run: `mem-${run}-${v.key}`, timeoutMs: 300_000 };
      const r = await runWorker(v.trace, v.fn, job, { taskRoot: v.taskRoot, memoryMb: v.mb, tolerate });
      log(`memory ${c.records} records run ${run + 1}/${c.runs}: ${v.key} (${v.mb} MB function) ${r.oom ? 'out of memory' : `peak RSS ${(r.maxRssKb / 1024).toFixed(1)} MB`}`);
      return r;
    });
  }

  // ---- 5. Emulator ingest --------------------------------------------------------------------------
  {
    const c = config.ingest;
    const modes = [
      { key: 'single', requests: c.single },
      { key: 'batch', requests: c.batches },
    ];
    results.ingest = await interleaved(c.rounds, modes, async (mode, round) => {
      await resetEmulator();
      const r = await runNode({
        script: ingestScript,
        job: { baseUrl, apiKey: defaultKeys.server[0], mode: mode.key, requests: mode.requests, concurrency: c.concurrency, run: `${round}` },
        env: cleanEnv(),
      });
      log(`emulator ingest round ${round + 1}/${c.rounds}: ${mode.key} ${r.eventsPerSecond.toFixed(0)} events/s`);
      return r;
    });
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
    writeFileSync(abs(args.json), `${JSON.stringify(results, null, 2)}\n`);
  }
  process.stdout.write(`\n${report.table}\n`);
  log(`done in ${elapsed()}; wrote ${relative(process.cwd(), outFile) || outFile}`);
}

// No child outlives the run: 'exit' covers every way out below, and Ctrl-C or a kill become one
// (a signal skips the 'exit' handlers unless it is handled).
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

try {
  await main();
} catch (error) {
  process.stderr.write(`\nbenchmark run broke: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
}
// Exit now: no child or socket may keep the run alive.
process.exit(0);
