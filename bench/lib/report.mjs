// Turns the raw results of bench/run.mjs into bench/RESULTS.md: the targets table (also printed)
// and one section per benchmark. Every figure is the median over interleaved rounds with its
// min–max; overheads and ratios are taken within each round (paired) before the median.
import { diff, fmt, fmtRatio, median, num, ratio, summary } from './stats.mjs';

const KB = 1024;
const MB = 1024 * 1024;
const met = (ok) => (ok === undefined ? '–' : ok ? '✅ met' : '❌ missed');
const pick = (list, key) => list.map((r) => r[key]);
const calls = (n) => `${num(n)} call${n === 1 ? '' : 's'}`;

export function renderReport(results) {
  const { machine, config, quick } = results;

  // ---- cold start ----
  const cold = {};
  for (const [fn, v] of Object.entries(results.cold)) {
    const get = (trace, key) => pick(v[trace], key);
    cold[fn] = {};
    for (const trace of ['untraced', 'ours', 'official', 'oursNone']) {
      if (!v[trace]) continue;
      cold[fn][trace] = {
        ready: summary(get(trace, 'readyMs')),
        first: summary(get(trace, 'firstInvokeMs')),
      };
    }
    for (const trace of ['ours', 'official', 'oursNone']) {
      if (!v[trace]) continue;
      cold[fn][trace].overReady = summary(diff(get(trace, 'readyMs'), get('untraced', 'readyMs')));
      cold[fn][trace].overTotal = summary(diff(get(trace, 'totalMs'), get('untraced', 'totalMs')));
      cold[fn][trace].overCpuReady = summary(diff(get(trace, 'cpuReadyMs'), get('untraced', 'cpuReadyMs')));
      cold[fn][trace].overCpuTotal = summary(diff(get(trace, 'cpuTotalMs'), get('untraced', 'cpuTotalMs')));
    }
    cold[fn].ratioReady = summary(ratio(diff(get('ours', 'readyMs'), get('untraced', 'readyMs')), diff(get('official', 'readyMs'), get('untraced', 'readyMs'))));
    cold[fn].ratioTotal = summary(ratio(diff(get('ours', 'totalMs'), get('untraced', 'totalMs')), diff(get('official', 'totalMs'), get('untraced', 'totalMs'))));
  }
  const fns = Object.keys(cold);
  const worst = (key) => fns.reduce((a, b) => (cold[b].ours[key].median > cold[a].ours[key].median ? b : a));
  const worstReady = worst('overReady');
  const worstTotal = worst('overTotal');
  const coldReadyMs = { ours: cold[worstReady].ours.overReady.median, official: cold[worstReady].official.overReady.median };
  const coldTotalMs = { ours: cold[worstTotal].ours.overTotal.median, official: cold[worstTotal].official.overTotal.median };

  // ---- warm ----
  // Per round: a variant's figure is the median of its blocks; an overhead is the median of the
  // per-block differences with the untraced block of the same pass. Then the median over rounds.
  const warm = {};
  for (const source of ['http', 'sqs']) {
    const w = results[`warm_${source}`];
    const per = w.recordsPerInvocation;
    const keys = Object.keys(w.rounds[0]);
    const roundUs = (key) => w.rounds.map((r) => median(r[key].us));
    const roundOver = (key) => w.rounds.map((r) => median(diff(r[key].us, r.untraced.us)) / per);
    warm[source] = { per, rounds: w.rounds.length, blocks: w.blocks, blockSize: w.blockSize, warmup: w.warmup, rows: {} };
    for (const key of keys) {
      warm[source].rows[key] = {
        us: summary(roundUs(key)),
        spans: median(w.rounds.flatMap((r) => r[key].spans)),
        over: key === 'untraced' ? undefined : summary(roundOver(key)),
      };
    }
    warm[source].ratio = summary(ratio(roundOver('ours'), roundOver('official')));
    warm[source].ratioNone = summary(ratio(roundOver('oursNone'), roundOver('officialNone')));
  }
  const warmOver = (source, key) => warm[source].rows[key].over.median;

  // ---- bytes ----
  const b = results.bytes;
  const layerBytes = b.layer.init + b.layer.handler;
  const officialBytes = b.official.init + b.official.iitm;
  const biggest = Object.entries(b.functions).reduce((x, y) => (y[1] > x[1] ? y : x));

  // ---- throughput ----
  const t = results.throughput;
  const eps = (key) => pick(t[key], 'eventsPerSecond');
  const tp = {
    ours: summary(eps('ours')),
    powertools: summary(eps('powertools')),
    oursTraced: summary(eps('oursTraced')),
    speedup: summary(ratio(eps('ours'), eps('powertools'))),
    speedupTraced: summary(ratio(eps('oursTraced'), eps('powertools'))),
    calls: Object.fromEntries(Object.keys(t).map((k) => [k, median(pick(t[k], 'calls'))])),
    ms: Object.fromEntries(Object.keys(t).map((k) => [k, summary(pick(t[k], 'ms'))])),
  };

  // ---- stub ----
  const st = results.stub;
  const upr = (key) => pick(st[key], 'usPerRecord');
  const stub = {
    ours: summary(upr('ours')),
    oursTraced: summary(upr('oursTraced')),
    powertools: summary(upr('powertools')),
    ratio: summary(ratio(upr('ours'), upr('powertools'))),
    ratioTraced: summary(ratio(upr('oursTraced'), upr('powertools'))),
    stubCost: summary(pick(st.ours, 'stubUsPerRecord')),
    calls: Object.fromEntries(Object.keys(st).map((k) => [k, median(pick(st[k], 'calls'))])),
  };

  // ---- memory ----
  const m = results.memory;
  const mem = {};
  for (const [key, runs] of Object.entries(m)) {
    const ok = runs.filter((r) => !r.oom);
    mem[key] = { rss: summary(ok.map((r) => r.maxRssKb / KB)), oom: runs.length - ok.length, runs: runs.length, ms: summary(ok.map((r) => r.ms)) };
  }
  const memRatio1024 = summary(ratio(m.oursTraced1024.map((r) => (r.oom ? NaN : r.maxRssKb)), m.powertools1024.map((r) => (r.oom ? NaN : r.maxRssKb))));

  // ---- ingest ----
  const ing = { single: summary(pick(results.ingest.single, 'eventsPerSecond')), batch: summary(pick(results.ingest.batch, 'eventsPerSecond')) };
  const singleDemand = Math.max(tp.powertools.median, 1e6 / warm.http.rows.untraced.us.median);
  const batchDemand = Math.max(tp.ours.median, tp.oursTraced.median);
  const headroom = { single: ing.single.median / singleDemand, batch: ing.batch.median / batchDemand };

  // ---- targets ----
  const targets = [
    ['cold start: tracing overhead to a ready handler (worst function: ' + worstReady + ')', '≤ 10 ms',
      `+${num(coldReadyMs.ours, 1)} ms`, `official +${num(coldReadyMs.official, 0)} ms`, fmtRatio(cold[worstReady].ratioReady), met(coldReadyMs.ours <= 10)],
    ['cold start: tracing overhead, ready handler + first invocation with its export (worst: ' + worstTotal + ')', '≤ 10 ms',
      `+${num(coldTotalMs.ours, 1)} ms`, `official +${num(coldTotalMs.official, 0)} ms`, fmtRatio(cold[worstTotal].ratioTotal), met(coldTotalMs.ours <= 10)],
    ['warm overhead per HTTP invocation, spans exported to the local OTLP receiver', '≤ 50 µs',
      `+${num(warmOver('http', 'ours'))} µs`, `official +${num(warmOver('http', 'official'))} µs`, fmtRatio(warm.http.ratio), met(warmOver('http', 'ours') <= 50)],
    ['warm overhead per HTTP invocation, spans recorded, not exported (`OTEL_TRACES_EXPORTER=none`)', '≤ 50 µs',
      `+${num(warmOver('http', 'oursNone'))} µs`, `official +${num(warmOver('http', 'officialNone'))} µs`, fmtRatio(warm.http.ratioNone), met(warmOver('http', 'oursNone') <= 50)],
    [`warm overhead per SQS record (batches of ${warm.sqs.per}), exported`, '–',
      `+${num(warmOver('sqs', 'ours'), 1)} µs`, `official +${num(warmOver('sqs', 'official'), 1)} µs`, fmtRatio(warm.sqs.ratio), '–'],
    [`bytes: function bundle (largest: ${biggest[0]})`, '≤ 100 KB',
      `${num(biggest[1] / KB, 1)} KB`, `official init ${num(b.official.init / KB, 1)} KB`, `${num((biggest[1] + layerBytes) / (biggest[1] + officialBytes), 2)}× ¹`, met(biggest[1] <= 100 * KB)],
    ['bytes: layer (`otel-init.mjs` + `otel-handler`)', '≤ 120 KB',
      `${num(layerBytes / KB, 1)} KB`, `official init ${num(b.official.init / KB, 1)} KB + import-in-the-middle ${num(b.official.iitm / KB, 1)} KB`, `${num(layerBytes / officialBytes, 2)}×`, met(layerBytes <= 120 * KB)],
    [`SQS ${num(config.throughput.records)} records: events/s, coalesced vs record-by-record (untraced)`, '≥ 10×',
      `${num(tp.ours.median)} events/s, ${calls(tp.calls.ours)}`, `Powertools ${num(tp.powertools.median)} events/s, ${calls(tp.calls.powertools)}`, fmtRatio(tp.speedup), met(tp.speedup.median >= 10)],
    [`peak RSS, ${num(config.memory.records)} records, traced, 128 MB function`, '≤ 128 MB',
      mem.oursTraced.oom ? `out of memory (${mem.oursTraced.oom}/${mem.oursTraced.runs})` : `${num(mem.oursTraced.rss.median, 1)} MB`,
      mem.powertools.oom ? `Powertools: out of memory (${mem.powertools.oom}/${mem.powertools.runs} runs)` : `Powertools ${num(mem.powertools.rss.median, 1)} MB`,
      mem.powertools.oom ? `1,024 MB: ${fmtRatio(memRatio1024)}` : fmtRatio(summary(ratio(m.oursTraced.map((r) => r.maxRssKb), m.powertools.map((r) => r.maxRssKb)))),
      met(!mem.oursTraced.oom && mem.oursTraced.rss.median <= 128)],
    ['our code per SQS record, over the Perkamo calls (instant stub; untraced)', '≤ 5 µs',
      `${num(stub.ours.median, 1)} µs`, `Powertools + \`emit\` ${num(stub.powertools.median, 1)} µs`, fmtRatio(stub.ratio), met(stub.ours.median <= 5)],
    ['our code per SQS record, over the Perkamo calls (instant stub; traced, exported)', '≤ 5 µs',
      `${num(stub.oursTraced.median, 1)} µs`, `Powertools + \`emit\` ${num(stub.powertools.median, 1)} µs`, fmtRatio(stub.ratioTraced), met(stub.oursTraced.median <= 5)],
    ['emulator ingest from another process: single events / batches of 100', '–',
      `${num(ing.single.median)} / ${num(ing.batch.median)} events/s`, `highest rate the benchmarks asked: ${num(singleDemand)} / ${num(batchDemand)}`,
      `${num(headroom.single, 1)}× / ${num(headroom.batch, 1)}× headroom`, headroom.single > 1 && headroom.batch > 1 ? 'not the bottleneck' : '⚠ may limit'],
  ];
  const table = [
    '| figure | target | ours | baseline, same run | ratio | |',
    '|---|---|---|---|---|---|',
    ...targets.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const missed = targets.filter((row) => row[5] === '❌ missed').map((row) => row[0]);

  // ---- markdown ----
  const lines = [];
  const p = (...xs) => lines.push(...xs);
  p('# Benchmark results', '');
  p(
    `Written by \`npm run bench\`${quick ? ' --quick (smoke counts: not figures to quote)' : ''} on ${machine.date.slice(0, 10)}: Node ${machine.node}, ${machine.platform}, ${machine.cpu}; ` +
      `load average ${machine.loadStart.toFixed(2)} at the start, ${machine.loadEnd.toFixed(2)} at the end; the run took ${Math.floor(results.seconds / 60)} min ${Math.round(results.seconds % 60)} s. ` +
      'Every figure is compared with a baseline measured in the same run; each is the median over interleaved rounds, with the min – max in brackets. ' +
      'Overheads and ratios are taken within each round, then the median. Method: the end of this file.',
    '',
  );
  p('## Targets', '', table, '');
  p(
    '¹ The function bundle with our layer against the same bundle with the official init and import-in-the-middle, as deployed. ' +
      `MB and KB are 2²⁰ and 2¹⁰ bytes. ${missed.length ? `**Missed:** ${missed.join('; ')}.` : 'Every target is met.'}`,
    '',
  );

  // 1. cold
  p('## 1. Cold start', '');
  p(
    `Fresh Node processes (${config.cold.runs} per variant and function, interleaved), Lambda's handler loading emulated: \`import()\` of ` +
      '`index.mjs` under `LAMBDA_TASK_ROOT`. **Ready** = from process start to the handler exported; **first** = one first invocation ' +
      '(its Perkamo call and, when traced, its export to the local OTLP receiver). Overheads are over (a), the same process without tracing. ' +
      'The rows with `OTEL_TRACES_EXPORTER=none` (spans made, not exported; emit and batch) show what the first export adds to the first invocation.',
    '',
  );
  p('| function | variant | ready ms | first invocation ms | overhead, ready | overhead, ready + first | CPU overhead, ready / ready + first | ratio to official, ready / ready + first |');
  p('|---|---|---|---|---|---|---|---|');
  for (const fn of fns) {
    const c = cold[fn];
    p(`| ${fn} | (a) untraced | ${fmt(c.untraced.ready)} | ${fmt(c.untraced.first)} | | | | |`);
    for (const trace of ['ours', 'oursNone', 'official']) {
      const t = c[trace];
      if (!t) continue;
      const label = { ours: 'ours: `--import otel-init.mjs`', oursNone: 'ours, `OTEL_TRACES_EXPORTER=none`', official: '(b) official OTel' }[trace];
      const ratios = trace === 'ours' ? `${fmtRatio(c.ratioReady)} / ${fmtRatio(c.ratioTotal)}` : '';
      // Two CPU figures share a cell: medians only, or it would not read.
      const cpu = (over) => fmt(over, ' ms', { sign: true, spread: false });
      p(
        `| | ${label} | ${fmt(t.ready)} | ${fmt(t.first)} | ${fmt(t.overReady, ' ms', { sign: true })} | ${fmt(t.overTotal, ' ms', { sign: true })} | ` +
          `${cpu(t.overCpuReady)} / ${cpu(t.overCpuTotal)} | ${ratios} |`,
      );
    }
  }
  p('');
  p(
    'CPU overhead: the median difference in CPU time (user + system, every thread of the process) — what the variant made the machine do, which ' +
      'a busy machine moves much less than wall time. Lambda bills and reports wall time: the targets are read against the wall-time medians.',
    '',
  );
  p('| bytes | KB |', '|---|---|');
  for (const [fn, bytes] of Object.entries(b.functions)) p(`| \`dist/functions/${fn}/index.mjs\` | ${num(bytes / KB, 1)} |`);
  p(`| our layer: \`otel-init.mjs\` + \`otel-handler\` | ${num(b.layer.init / KB, 1)} + ${num(b.layer.handler / KB, 1)} |`);
  p(`| official init bundle (instrumentation-aws-lambda, sdk-trace-node, OTLP HTTP exporter) | ${num(b.official.init / KB, 1)} |`);
  p(`| import-in-the-middle and its dependencies, loaded by the official init from \`node_modules\` (JavaScript files) | ${num(b.official.iitm / KB, 1)} |`);
  p(`| Powertools record-by-record handler bundle (baseline of 3 and 4) | ${num(b.powertools / KB, 1)} |`);
  p('');

  // 2. warm
  const warmLabel = {
    untraced: '(a) untraced',
    ours: 'ours, exported',
    official: '(b) official, exported',
    oursNone: 'ours, not exported',
    officialNone: '(b) official, not exported',
  };
  p('## 2. Warm overhead', '');
  p(
    'Per round, one worker process per variant, all loaded and warmed up, then driven in interleaved blocks, one invocation after another, ' +
      'the variant order rotating from block to block, against the emulator in its own process. ' +
      `HTTP: ${warm.http.rounds} rounds of ${num(warm.http.warmup)} warm-up invocations, then ${warm.http.blocks} blocks of ${num(warm.http.blockSize)} ` +
      `(\`POST /events\` through **emit**; ${num(warm.http.blocks * warm.http.blockSize)} timed per variant and round). ` +
      `SQS: ${warm.sqs.rounds} rounds of ${num(warm.sqs.warmup)} warm-up invocations, then ${warm.sqs.blocks} blocks of ${num(warm.sqs.blockSize)}, ` +
      `each invocation ${warm.sqs.per} records (through **batch**). A round's overhead is the median ` +
      'of the differences between paired blocks (seconds apart); the table shows the median and min – max of the rounds. ' +
      '"Exported": both tracers send OTLP/HTTP JSON to a local receiver (its own process) and wait for it before the invocation returns — ' +
      'ours through its bounded flush, the official one through the `forceFlush` its instrumentation does after every invocation. ' +
      '"Not exported": `OTEL_TRACES_EXPORTER=none`; spans are still created and ended. (b) also records the function\'s own spans: ' +
      'the bundle\'s `@opentelemetry/api` finds the official provider, so both tracers carry the same spans, plus the official invocation span.',
    '',
  );
  for (const source of ['http', 'sqs']) {
    const w = warm[source];
    const unit = source === 'http' ? 'per invocation' : 'per record';
    p(`| ${source === 'http' ? 'HTTP' : `SQS, ${w.per} records`} | µs per invocation | overhead ${unit} | spans exported per invocation |`);
    p('|---|---|---|---|');
    for (const [key, row] of Object.entries(w.rows)) {
      p(`| ${warmLabel[key]} | ${fmt(row.us, '', { digits: 0 })} | ${row.over ? fmt(row.over, ' µs', { sign: true }) : ''} | ${num(row.spans, 1)} |`);
    }
    p(`| ratio ours ÷ official overhead | | exported ${fmtRatio(w.ratio)}; not exported ${fmtRatio(w.ratioNone)} | |`, '');
  }

  // 3. throughput
  p(`## 3. SQS throughput: ${num(config.throughput.records)} records`, '');
  p(
    `A fresh worker per variant and round (${config.throughput.rounds} rounds, interleaved): ${config.throughput.warmup} warm-up invocations of ${num(config.throughput.records)} records, ` +
      `then ${config.throughput.count} timed ones, of which the median counts (a warm container taking successive batches). Ours: the **batch** function (\`events:batch\` calls of up to 100, ${results.perkamoConcurrency} in parallel: \`PERKAMO_CONCURRENCY\`, set to its default). Baseline: Powertools ` +
      '`BatchProcessor(EventType.SQS)` + `processPartialResponse`, its record handler calling the perkamo-lambda/sdk client\'s `emit` per record ' +
      '(all records at once, Powertools\' default). Calls are counted from the emulator ledger\'s `requests`.',
    '',
  );
  p('| variant | events/s | ms | Perkamo calls |', '|---|---|---|---|');
  p(`| ours, untraced | ${fmt(tp.ours, '', { digits: 0 })} | ${fmt(tp.ms.ours, '', { digits: 0 })} | ${num(tp.calls.ours)} |`);
  p(`| ours, traced (exported) | ${fmt(tp.oursTraced, '', { digits: 0 })} | ${fmt(tp.ms.oursTraced, '', { digits: 0 })} | ${num(tp.calls.oursTraced)} |`);
  p(`| Powertools record-by-record | ${fmt(tp.powertools, '', { digits: 0 })} | ${fmt(tp.ms.powertools, '', { digits: 0 })} | ${num(tp.calls.powertools)} |`);
  p(`| speed-up, untraced / traced | ${fmtRatio(tp.speedup)} / ${fmtRatio(tp.speedupTraced)} | | |`, '');

  p('### Our code per record', '');
  p(
    `The same handlers with every Perkamo call answered at once by an in-process stub that replaces \`fetch\` (the time inside the stub, ` +
      `${fmt(stub.stubCost, ' µs', { digits: 1 })} per record for ours, is measured and subtracted): ${num(config.stub.count)} invocations of ` +
      `${num(config.stub.records)} records after ${config.stub.warmup} warm-up ones, ${config.stub.rounds} rounds. What is left is the code between the ` +
      'event and the wire — parsing, validation, coalescing, signing, spans, mapping the answers back — per record.',
    '',
  );
  p('| variant | µs per record | ratio to Powertools | stubbed calls per run |', '|---|---|---|---|');
  p(`| ours, untraced | ${fmt(stub.ours, '', { digits: 1 })} | ${fmtRatio(stub.ratio)} | ${num(stub.calls.ours)} |`);
  p(`| ours, traced (exported) | ${fmt(stub.oursTraced, '', { digits: 1 })} | ${fmtRatio(stub.ratioTraced)} | ${num(stub.calls.oursTraced)} |`);
  p(`| Powertools + \`emit\` per record | ${fmt(stub.powertools, '', { digits: 1 })} | 1× | ${num(stub.calls.powertools)} |`, '');

  // 4. memory
  p(`## 4. Memory: ${num(config.memory.records)} records`, '');
  p(
    `Peak RSS (\`process.resourceUsage().maxRSS\`) of a worker that parses a ${num(config.memory.records)}-record SQS event from JSON text (as the runtime ` +
      'receives it) and runs one invocation. Workers get the V8 heap flags Lambda\'s Node.js bootstrap derives from the function\'s memory ' +
      '(new space = memory/10, semi-space = half of it, old space = the rest): 128 MB unless the row says 1,024 MB. ' +
      `${config.memory.runs} runs each; running out of memory is recorded as a result.`,
    '',
  );
  const memLabel = {
    floor: 'event parsed, not processed (floor)',
    ours: 'ours, untraced',
    oursTraced: 'ours, traced (exported)',
    powertools: 'Powertools record-by-record',
    oursTraced1024: 'ours, traced, 1,024 MB function',
    powertools1024: 'Powertools record-by-record, 1,024 MB function',
  };
  p('| variant | peak RSS MB | over the floor MB | invocation ms | out of memory |', '|---|---|---|---|---|');
  for (const [key, row] of Object.entries(mem)) {
    const over = key === 'floor' || !Number.isFinite(row.rss.median) ? '' : num(row.rss.median - mem.floor.rss.median, 1);
    p(`| ${memLabel[key]} | ${fmt(row.rss, '', { digits: 1 })} | ${over} | ${fmt(row.ms, '', { digits: 0 })} | ${row.oom ? `${row.oom} of ${row.runs}` : '–'} |`);
  }
  p(`| ratio ours ÷ Powertools, 1,024 MB | ${fmtRatio(memRatio1024)} | | | |`, '');

  // 5. ingest
  p('## 5. Emulator ingest', '');
  p(
    `A load generator in another process sends signed requests over keep-alive \`node:http\`, ${config.ingest.concurrency} in flight: ` +
      `${num(config.ingest.single)} \`POST /v1/events\`, or ${num(config.ingest.batches)} \`POST /v1/events:batch\` of 100; ${config.ingest.rounds} rounds. ` +
      'Headroom = this rate ÷ the highest rate a benchmark above asked of the emulator (single events: Powertools or warm HTTP; batches: our batch function).',
    '',
  );
  p('| requests | events/s | headroom |', '|---|---|---|');
  p(`| single events | ${fmt(ing.single, '', { digits: 0 })} | ${num(headroom.single, 1)}× |`);
  p(`| batches of 100 | ${fmt(ing.batch, '', { digits: 0 })} | ${num(headroom.batch, 1)}× |`, '');

  p('## Method', '');
  p(
    '- Baselines are the real packages, bundled by `bench/lib/build-baselines.mjs` with the esbuild options all our bundles share ' +
      "(`esbuild.options.mjs`: platform node, ESM, target node20, mainFields `['module', 'main']`, the `createRequire` banner) and minified, " +
      'the official init as our layer\'s `otel-init.mjs` is built (no source map), the Powertools handler as our function bundles are. They are ' +
      '`bench/baselines/official-otel-init.mjs` ' +
      '(`@opentelemetry/instrumentation-aws-lambda` + `NodeTracerProvider` from `@opentelemetry/sdk-trace-node` with a `BatchSpanProcessor` + ' +
      '`OTLPTraceExporter` from `@opentelemetry/exporter-trace-otlp-http`, registered with `registerInstrumentations`; the import-in-the-middle ' +
      'loader hook registered as the opentelemetry-lambda layer does, because Lambda loads an `.mjs` handler with `import()` and the instrumentation ' +
      'wraps it through that hook; loaded with `--import`) and `bench/baselines/powertools-batch.mjs` (`@aws-lambda-powertools/batch`).',
    '- Workers (`bench/lib/worker.mjs`) load the handler as Lambda\'s runtime does (`_HANDLER=index.handler` under `LAMBDA_TASK_ROOT`, `import()`), ' +
      'with Lambda\'s variables, a context whose remaining time counts down, and the V8 heap flags of a 1,024 MB function unless stated. ' +
      'HTTP events carry API Gateway JWT-authorizer claims (`AUTH_TRUST_API_GATEWAY=true`) so no variant spends time verifying a JWT; ' +
      '`LOG_LEVEL=warn` for all. Any failed invocation or record stops the run.',
    '- The emulator (`dist/bin/emulator.mjs`) and the OTLP receiver (`bench/lib/otlp-receiver.mjs`) run in their own processes on loopback. ' +
      'The emulator is reset before each process that calls it (before each round in the warm benchmark, whose workers live through the round); ' +
      'the receiver only counts spans, and is reset before each warm block to count that block\'s. ' +
      'The machine runs everything else too: a busy machine moves the absolute numbers; rounds are interleaved ' +
      '(the variant order rotates) so that ratios stay comparable.',
    '',
  );

  return { markdown: `${lines.join('\n')}\n`, table };
}
