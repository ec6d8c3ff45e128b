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
  // Per function and variant: Lambda's Init Duration, the first invocation's Duration, and their
  // paired differences with (a) — the same round's environment without the layer.
  const cold = {};
  for (const [fn, v] of Object.entries(results.cold)) {
    const get = (key, field) => pick(v[key], field);
    const total = (key) => v[key].map((r) => r.initMs + r.firstMs);
    cold[fn] = {};
    for (const key of Object.keys(v)) {
      cold[fn][key] = {
        init: summary(get(key, 'initMs')),
        first: summary(get(key, 'firstMs')),
        response: summary(get(key, 'responseMs')),
        spans: median(get(key, 'spans')),
        encoding: v[key][0]?.encoding,
      };
    }
    for (const key of ['ours', 'official', 'oursNone', 'oursWrapper', 'oursXray', 'sourceMaps', 'ours22']) {
      if (!v[key]) continue;
      // Node 22's variants against Node 22's (a); the rest against Node 24's.
      const base = key.endsWith('22') ? 'untraced22' : 'untraced';
      cold[fn][key].overInit = summary(diff(get(key, 'initMs'), get(base, 'initMs')));
      cold[fn][key].overResponse = summary(diff(get(key, 'responseMs'), get(base, 'responseMs')));
      cold[fn][key].overTotal = summary(diff(total(key), total(base)));
      cold[fn][key].overCpu = summary(diff(get(key, 'cpuMs'), get(base, 'cpuMs')));
    }
    cold[fn].ratioInit = summary(ratio(diff(get('ours', 'initMs'), get('untraced', 'initMs')), diff(get('official', 'initMs'), get('untraced', 'initMs'))));
    cold[fn].ratioTotal = summary(ratio(diff(total('ours'), total('untraced')), diff(total('official'), total('untraced'))));
    // traces=xray (signed, gzip) against traces=otlp (unsigned, uncompressed), paired within each round:
    // unchanged within noise when the median difference lies within the otlp variant's own spread
    // (its min – max around its median).
    if (v.oursXray) {
      const within = (d, s) => d.median >= s.min - s.median && d.median <= s.max - s.median;
      const x = {
        overInit: summary(diff(get('oursXray', 'initMs'), get('ours', 'initMs'))),
        overFirst: summary(diff(get('oursXray', 'firstMs'), get('ours', 'firstMs'))),
        overPost: summary(diff(get('oursXray', 'postRuntimeMs'), get('ours', 'postRuntimeMs'))),
        overResponse: summary(diff(get('oursXray', 'responseMs'), get('ours', 'responseMs'))),
        overCpu: summary(diff(get('oursXray', 'cpuMs'), get('ours', 'cpuMs'))),
        post: summary(get('oursXray', 'postRuntimeMs')),
        oursPost: summary(get('ours', 'postRuntimeMs')),
        exports: median(get('oursXray', 'exports')),
      };
      x.initWithin = within(x.overInit, cold[fn].ours.init);
      x.firstWithin = within(x.overFirst, cold[fn].ours.first);
      cold[fn].xray = x;
    }
    // Source maps: what --enable-source-maps adds to the deploy default, on the same Node, same round.
    cold[fn].sourceMapPairs = [];
    for (const [node, on, off] of [[24, 'sourceMaps', 'ours'], [22, 'sourceMaps22', 'ours22']]) {
      if (!v[on] || !v[off]) continue;
      cold[fn].sourceMapPairs.push({
        node,
        off: cold[fn][off].init,
        on: cold[fn][on].init,
        overInit: summary(diff(get(on, 'initMs'), get(off, 'initMs'))),
        overTotal: summary(diff(total(on), total(off))),
      });
    }
  }
  const fns = Object.keys(cold);
  const worst = (key) => fns.reduce((a, b) => (cold[b].ours[key].median > cold[a].ours[key].median ? b : a));
  const worstInit = worst('overInit');
  const worstTotal = worst('overTotal');
  const coldInitMs = { ours: cold[worstInit].ours.overInit.median, official: cold[worstInit].official.overInit.median };
  // Node 22, when the run had its binary: the same figure, the worst function there.
  const fns22 = fns.filter((fn) => cold[fn].ours22?.overInit);
  const worstInit22 = fns22.length ? fns22.reduce((a, b) => (cold[b].ours22.overInit.median > cold[a].ours22.overInit.median ? b : a)) : undefined;
  const coldTotalMs = { ours: cold[worstTotal].ours.overTotal.median, official: cold[worstTotal].official.overTotal.median };
  const worstResponse = worst('overResponse');
  const coldResponseMs = { ours: cold[worstResponse].ours.overResponse.median, official: cold[worstResponse].official.overResponse.median };
  const lambda = results.lambda;
  const xrayFns = fns.filter((fn) => cold[fn].xray);

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
    // Logs and metrics, untraced: (a) as deployed minus (a) quiet; the summary line alone, the EMF line alone.
    const roundBetween = (a, b) => w.rounds.map((r) => median(diff(r[a].us, r[b].us)) / per);
    warm[source].observability = {
      both: summary(roundBetween('untraced', 'quiet')),
      logs: summary(roundBetween('logsOnly', 'quiet')),
      metrics: summary(roundBetween('untraced', 'logsOnly')),
    };
    warm[source].ratio = summary(ratio(roundOver('ours'), roundOver('official')));
    warm[source].ratioNone = summary(ratio(roundOver('oursNone'), roundOver('officialNone')));
  }
  const warmOver = (source, key) => warm[source].rows[key].over.median;

  // ---- logs and metrics in one process (2b) ----
  // Per round: the median of the paired block differences (as deployed − quiet), per invocation or
  // per record; then the median over rounds.
  const obs = {};
  for (const sink of config.observability.sinks) {
    obs[sink] = {};
    for (const source of ['http', 'sqs']) {
      const per = source === 'http' ? 1 : config.observability.records;
      const rounds = results.observability[sink][source];
      obs[sink][source] = {
        per,
        over: summary(rounds.map((us) => median(diff(us.loud, us.quiet)) / per)),
        // The write alone (floor − quiet), and the lines' code without it (as deployed − floor).
        write: summary(rounds.map((us) => median(diff(us.floor, us.quiet)) / per)),
        code: summary(rounds.map((us) => median(diff(us.loud, us.floor)) / per)),
        loud: summary(rounds.map((us) => median(us.loud))),
        quiet: summary(rounds.map((us) => median(us.quiet))),
      };
    }
  }

  // ---- warm, as deployed (section 1b) ----
  // Per round: a variant's figure is the median of its invocations; the overhead is the median of
  // its per-cycle differences with (a). Then the median over rounds.
  const wd = results.warmDeployed;
  const deployedWarm = {};
  for (const [delay, rounds] of Object.entries(wd.phases)) {
    const over = (key, field) => summary(rounds.map((r) => r[key][`over${field[0].toUpperCase()}${field.slice(1)}`]));
    const plain = (key, field) => summary(rounds.map((r) => r[key][field]));
    deployedWarm[delay] = {};
    for (const key of ['untraced', 'ours', 'official', 'oursXray'].filter((k) => rounds[0][k])) {
      deployedWarm[delay][key] = {
        response: plain(key, 'responseMs'),
        responseP90: plain(key, 'responseP90Ms'),
        post: plain(key, 'postRuntimeMs'),
        duration: plain(key, 'durationMs'),
        spans: median(rounds.map((r) => r[key].spans)) / wd.blockSize,
        ...(key !== 'untraced' && { overResponse: over(key, 'responseMs'), overPost: over(key, 'postMs'), overDuration: over(key, 'durationMs') }),
        // Signed over unsigned (ours), paired per cycle.
        ...(rounds[0][key].overOursPostMs !== undefined && {
          overOursResponse: plain(key, 'overOursResponseMs'),
          overOursPost: plain(key, 'overOursPostMs'),
          overOursDuration: plain(key, 'overOursDurationMs'),
        }),
      };
    }
  }
  const warmResponse = (delay, key) => deployedWarm[delay][key].overResponse.median;
  const delays = Object.keys(deployedWarm);
  const signedWarm = delays.every((delay) => deployedWarm[delay].oursXray?.overOursPost);
  const hang = Object.fromEntries(
    Object.entries(wd.hanging).map(([key, runs]) => [
      key,
      { maxMs: Math.max(...runs.map((r) => r.durationMs)), timedOut: runs.filter((r) => r.timedOut).length, runs: runs.length, laterPostMs: median(runs.slice(1).map((r) => r.postRuntimeMs ?? NaN)) },
    ]),
  );

  // ---- one export's CPU work, in-process (section 1d) ----
  // Per round (one process): a mode's figure is the median of its blocks; an increment (gzip over
  // serialize, signing over gzip) the median of the paired block differences. Then the median over rounds.
  const ec = results.exportCost;
  const exportCost = {};
  for (const size of ec.sizes) {
    const of = (field, mode) => ec.rounds.map((r) => median(r.sizes[size][field][mode]));
    const between = (field, a, b) => ec.rounds.map((r) => median(diff(r.sizes[size][field][a], r.sizes[size][field][b])));
    const perSpan = (values) => values.map((x) => x / size);
    exportCost[size] = {
      cpu: Object.fromEntries(['serialize', 'gzip', 'sign'].map((mode) => [mode, summary(of('cpuUs', mode))])),
      cpuPerSpan: Object.fromEntries(['serialize', 'gzip', 'sign'].map((mode) => [mode, summary(perSpan(of('cpuUs', mode)))])),
      wall: Object.fromEntries(['serialize', 'gzip', 'sign'].map((mode) => [mode, summary(of('us', mode))])),
      gzipOver: summary(between('cpuUs', 'gzip', 'serialize')),
      signOver: summary(between('cpuUs', 'sign', 'gzip')),
      bytes: ec.rounds[0].sizes[size].bytes,
    };
  }
  const ec100 = exportCost[100] ?? exportCost[Math.max(...ec.sizes)];
  const ecSize = exportCost[100] ? 100 : Math.max(...ec.sizes);

  // ---- layer init by part (section 1c) ----
  const li = results.layerInit;
  const initPart = (mode, part) => summary(pick(li[mode], part));

  // ---- bytes ----
  const b = results.bytes;
  const layerBytes = b.layer.init + (b.layer.export ?? 0) + b.layer.handler;
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
    cpuMs: Object.fromEntries(Object.keys(t).map((k) => [k, summary(pick(t[k], 'cpuMs'))])),
  };

  // ---- stub ----
  // Per batch size: µs per record of our code, each variant's median over rounds, ratios paired per round.
  const st = results.stub;
  const stubSizes = config.stub.sizes.map((size) => size.records);
  const upr = (key, n) => st[key].map((r) => r.sizes[n].usPerRecord);
  const stub = Object.fromEntries(
    stubSizes.map((n) => [
      n,
      {
        ours: summary(upr('ours', n)),
        oursTraced: summary(upr('oursTraced', n)),
        oursTracedNone: summary(upr('oursTracedNone', n)),
        powertools: summary(upr('powertools', n)),
        ratio: summary(ratio(upr('ours', n), upr('powertools', n))),
        ratioTraced: summary(ratio(upr('oursTraced', n), upr('powertools', n))),
        ratioTracedNone: summary(ratio(upr('oursTracedNone', n), upr('powertools', n))),
        stubCost: summary(st.ours.map((r) => r.sizes[n].stubUsPerRecord)),
        calls: Object.fromEntries(Object.keys(st).map((k) => [k, median(st[k].map((r) => r.sizes[n].calls))])),
      },
    ]),
  );
  /** One figure per batch size, `a / b / c µs`, and whether every size meets `limit`. */
  const perSize = (key, limit) => ({
    text: `${stubSizes.map((n) => num(stub[n][key].median, 1)).join(' / ')} µs`,
    met: stubSizes.every((n) => stub[n][key].median <= limit),
  });
  const stubBatches = stubSizes.map((n) => num(n)).join(' / ');

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
    [`cold start: tracing overhead to a ready handler, Lambda's Init Duration as deployed (worst function: ${worstInit})`, '≤ 10 ms',
      fmt(cold[worstInit].ours.overInit, ' ms', { sign: true, digits: 1 }), `official +${num(coldInitMs.official, 0)} ms`, fmtRatio(cold[worstInit].ratioInit), met(coldInitMs.ours <= 10)],
    ...(worstInit22
      ? [[`cold start on Node ${lambda.node[22]}: tracing overhead to a ready handler, Init Duration as deployed (\`runtime=nodejs22.x\`; worst function: ${worstInit22})`, '≤ 10 ms',
          fmt(cold[worstInit22].ours22.overInit, ' ms', { sign: true, digits: 1 }), `(a) on Node 22 ${num(cold[worstInit22].untraced22.init.median, 0)} ms`, '', met(cold[worstInit22].ours22.overInit.median <= 10)]]
      : []),
    [`cold start: tracing overhead, Init Duration + first invocation's Duration with its export (worst: ${worstTotal})`, '≤ 10 ms',
      fmt(cold[worstTotal].ours.overTotal, ' ms', { sign: true, digits: 1 }), `official +${num(coldTotalMs.official, 0)} ms`, fmtRatio(cold[worstTotal].ratioTotal), met(coldTotalMs.ours <= 10)],
    [`cold start: the first response over untraced, as deployed (worst: ${worstResponse})`, '≤ 5 ms',
      `${coldResponseMs.ours >= 0 ? '+' : ''}${num(coldResponseMs.ours, 1)} ms`, `official +${num(coldResponseMs.official, 1)} ms`, '', met(coldResponseMs.ours <= 5)],
    ...Object.keys(deployedWarm).map((delay) => [
      `warm HTTP response overhead as deployed, OTLP receiver answering ${Number(delay) === 0 ? 'at once' : `after ${delay} ms`}`, '≤ 0.1 ms',
      `${warmResponse(delay, 'ours') >= 0 ? '+' : ''}${num(warmResponse(delay, 'ours'), 2)} ms`, `official +${num(warmResponse(delay, 'official'), 2)} ms`, '',
      met(warmResponse(delay, 'ours') <= 0.1),
    ]),
    [`spans lost over ${num(wd.counted.ours.invocations)} invocations frozen between them, and at shutdown`, '0',
      `${num(wd.lost.ours)}`, `official ${num(wd.lost.official)}`, '', met(wd.lost.ours === 0)],
    [`a collector that hangs: the longest invocation (timeout ${wd.timeoutSeconds} s)`, '< timeout',
      `${num(hang.ours.maxMs)} ms, ${hang.ours.timedOut} of ${hang.ours.runs} timed out`, `official ${num(hang.official.maxMs)} ms, ${hang.official.timedOut} of ${hang.official.runs} timed out`, '',
      met(hang.ours.timedOut === 0)],
    ...(xrayFns.length
      ? [
          [`cold start with \`traces=xray\` (SigV4-signed, gzip) vs \`traces=otlp\`: Init Duration, as deployed`, 'unchanged within noise',
            xrayFns.map((fn) => `${fn} ${fmt(cold[fn].xray.overInit, ' ms', { sign: true, spread: false })}`).join(', '),
            `otlp ${xrayFns.map((fn) => `${fn} ${fmt(cold[fn].ours.init, ' ms')}`).join(', ')}`, '',
            met(xrayFns.every((fn) => cold[fn].xray.initWithin))],
          [`cold start with \`traces=xray\` vs \`traces=otlp\`: the first invocation's Duration, its first (signed, gzipped) export included`, 'unchanged within noise',
            xrayFns.map((fn) => `${fn} ${fmt(cold[fn].xray.overFirst, ' ms', { sign: true, spread: false })}`).join(', '),
            `otlp ${xrayFns.map((fn) => `${fn} ${fmt(cold[fn].ours.first, ' ms')}`).join(', ')}`, '',
            met(xrayFns.every((fn) => cold[fn].xray.firstWithin))],
        ]
      : []),
    ...(signedWarm
      ? [
          [`post-response cost of a signed, gzipped export per invocation, as deployed (emit, ${num(wd.spansPer.oursXray)} spans), receiver at once / after 50 ms`, '–',
            delays.map((delay) => fmt(deployedWarm[delay].oursXray.overOursPost, ' ms', { sign: true, digits: 2, spread: false })).join(' / '),
            `post-response unsigned, uncompressed (\`traces=otlp\`) ${delays.map((delay) => num(deployedWarm[delay].ours.post.median, 2)).join(' / ')} ms; ` +
              `signed ${delays.map((delay) => num(deployedWarm[delay].oursXray.post.median, 2)).join(' / ')} ms`,
            `${delays.map((delay) => `+${num((deployedWarm[delay].oursXray.overOursPost.median / deployedWarm[delay].ours.post.median) * 100, 0)} %`).join(' / ')}`, '–'],
        ]
      : []),
    [`post-response cost of a signed, gzipped export per ${ecSize} spans, in-process CPU on Node ${ec.rounds[0].node.replace(/^v/, '')}: serialize / + gzip / + SigV4`, '–',
      `${num(ec100.cpu.serialize.median)} / ${num(ec100.cpu.gzip.median)} / ${num(ec100.cpu.sign.median)} µs`,
      `serialize only (\`traces=otlp\`) ${num(ec100.cpu.serialize.median)} µs; per span ${num(ec100.cpuPerSpan.serialize.median, 1)} / ${num(ec100.cpuPerSpan.gzip.median, 1)} / ${num(ec100.cpuPerSpan.sign.median, 1)} µs`,
      `${num(ec100.cpu.sign.median / ec100.cpu.serialize.median, 1)}× serialize only`, '–'],
    ['warm overhead per HTTP invocation, spans exported to the local OTLP receiver', '≤ 50 µs',
      `+${num(warmOver('http', 'ours'))} µs`, `official +${num(warmOver('http', 'official'))} µs`, fmtRatio(warm.http.ratio), met(warmOver('http', 'ours') <= 50)],
    ['warm overhead per HTTP invocation, spans recorded, not exported (`OTEL_TRACES_EXPORTER=none`)', '≤ 50 µs',
      `+${num(warmOver('http', 'oursNone'))} µs`, `official +${num(warmOver('http', 'officialNone'))} µs`, fmtRatio(warm.http.ratioNone), met(warmOver('http', 'oursNone') <= 50)],
    ['logs + metrics per HTTP invocation: its summary line and EMF line in one write (Perkamo stubbed; untraced), stdout a file', '≤ 10 µs',
      `+${num(obs.file.http.over.median, 1)} µs (the write +${num(obs.file.http.write.median, 1)}, the lines' code +${num(obs.file.http.code.median, 1)})`,
      `our code per invocation without them ${num(obs.file.http.quiet.median, 0)} µs; a pipe: +${num(obs.pipe.http.over.median, 1)} µs`,
      `+${num((obs.file.http.over.median / obs.file.http.quiet.median) * 100, 0)} %`, met(obs.file.http.over.median <= 10)],
    [`logs + metrics per SQS record (batches of ${obs.file.sqs.per}; Perkamo stubbed; untraced), stdout a file / a pipe`, '–',
      `+${num(obs.file.sqs.over.median, 2)} µs / +${num(obs.pipe.sqs.over.median, 2)} µs`, `our code per record without them ${num(obs.file.sqs.quiet.median / obs.file.sqs.per, 1)} / ${num(obs.pipe.sqs.quiet.median / obs.pipe.sqs.per, 1)} µs`,
      `+${num((obs.file.sqs.over.median * obs.file.sqs.per / obs.file.sqs.quiet.median) * 100, 0)} % / +${num((obs.pipe.sqs.over.median * obs.pipe.sqs.per / obs.pipe.sqs.quiet.median) * 100, 0)} %`, '–'],
    [`warm overhead per SQS record (batches of ${warm.sqs.per}), exported`, '–',
      `+${num(warmOver('sqs', 'ours'), 1)} µs`, `official +${num(warmOver('sqs', 'official'), 1)} µs`, fmtRatio(warm.sqs.ratio), '–'],
    [`bytes: function bundle (largest: ${biggest[0]})`, '≤ 100 KB',
      `${num(biggest[1] / KB, 1)} KB`, `official init ${num(b.official.init / KB, 1)} KB`, `${num((biggest[1] + layerBytes) / (biggest[1] + officialBytes), 2)}× ¹`, met(biggest[1] <= 100 * KB)],
    ['bytes: layer (`otel-init.mjs` + `otel-export.mjs` + `perkamo-otel-handler`)', '≤ 100 KB',
      `${num(layerBytes / KB, 1)} KB`, `official init ${num(b.official.init / KB, 1)} KB + import-in-the-middle ${num(b.official.iitm / KB, 1)} KB`, `${num(layerBytes / officialBytes, 2)}×`, met(layerBytes <= 100 * KB)],
    [`SQS ${num(config.throughput.records)} records: events/s, coalesced vs record-by-record (untraced)`, '≥ 10×',
      `${num(tp.ours.median)} events/s, ${calls(tp.calls.ours)}`, `Powertools ${num(tp.powertools.median)} events/s, ${calls(tp.calls.powertools)}`, fmtRatio(tp.speedup), met(tp.speedup.median >= 10)],
    [`peak RSS, ${num(config.memory.records)} records, traced, 128 MB function`, '≤ 128 MB',
      mem.oursTraced.oom ? `out of memory (${mem.oursTraced.oom}/${mem.oursTraced.runs})` : `${num(mem.oursTraced.rss.median, 1)} MB`,
      mem.powertools.oom ? `Powertools: out of memory (${mem.powertools.oom}/${mem.powertools.runs} runs)` : `Powertools ${num(mem.powertools.rss.median, 1)} MB`,
      mem.powertools.oom ? `1,024 MB: ${fmtRatio(memRatio1024)}` : fmtRatio(summary(ratio(m.oursTraced.map((r) => r.maxRssKb), m.powertools.map((r) => r.maxRssKb)))),
      met(!mem.oursTraced.oom && mem.oursTraced.rss.median <= 128)],
    ...[
      ['ours', 'untraced', 5, 'ratio'],
      ['oursTracedNone', 'traced, spans recorded, not exported', 8, 'ratioTracedNone'],
      // A reference, not the target: a loopback POST per invocation, which on Lambda runs after the response.
      ['oursTraced', 'traced, exported in the invocation (no Runtime API in the worker: on Lambda the export runs after the response)', undefined, 'ratioTraced'],
    ].map(([key, what, limit, ratioKey]) => {
      const figure = perSize(key, limit ?? Infinity);
      return [`our code per SQS record, over the Perkamo calls (instant stub; ${what}), batches of ${stubBatches}`, limit === undefined ? '–' : `≤ ${limit} µs`,
        figure.text, `Powertools + \`emit\` ${perSize('powertools', Infinity).text}`, stubSizes.map((n) => `${num(stub[n][ratioKey].median, 2)}×`).join(' / '), limit === undefined ? '–' : met(figure.met)];
    }),
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
    `Written by \`npm run bench\`${quick ? ' --quick (smoke counts: not figures to quote)' : ''} on ${machine.date.slice(0, 10)}: ${machine.platform}, ${machine.cpu}; ` +
      `cold starts (section 1) on Lambda's Node ${lambda.node[24]}${lambda.node[22] ? ` (the Node 22 variants on ${lambda.node[22]})` : ''}, ` +
      `the run itself and the processes of sections 2–5 on Node ${machine.node}; ` +
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
    "Lambda's Init Duration under the real runtime client, aws-lambda-ric " +
      `${lambda.ricVersion}, driven through the loopback Runtime API (\`dev/harness\`), with the environment \`serverless.yml\` deploys ` +
      '(`NODE_OPTIONS` with the layer\'s `--import /opt/otel-init.mjs`, `OTEL_*`, `PERKAMO_SECRET_ARN` read through the AWS SDK from a loopback ' +
      `Secrets Manager, \`AUTH_*\` naming a loopback JWKS, ${num(lambda.memoryMb)} MB and the heap flags Lambda's bootstrap derives from it), on Node ${lambda.node[24]}. ` +
      'The functions are packaged by `serverless package` (osls, offline) and every environment is the template\'s, changed only as its variant says. ' +
      `${config.cold.runs} fresh environments per variant and function, the variants interleaved round by round; each is started, takes one first invocation ` +
      `(${fns.map((fn) => `${fn}: ${results.coldEvents[fn]}`).join('; ')}), and is shut down. ` +
      "**Init Duration** = the REPORT line's: from the runtime's start (its exec wrapper, when one is set) until the runtime and every registered " +
      "extension wait on `next` (ours registers one internal extension at init, from the function's own process). **First invocation** = that invocation's Duration: until the runtime and " +
      'the extensions wait on `next` again — ours exports its spans after the response, in that post-response phase, so the Duration includes the export and the ' +
      'response does not; (b) exports before it answers, so both include it; **response** = until the runtime posts the response. ' +
      '**Spans** = what reached the local OTLP receiver by then (ours in OTLP/protobuf, the deployed default; (b) in OTLP/JSON); a traced variant ' +
      'that exports none, or an untraced one that exports any, stops the run. Overheads are over (a) in the same round.',
    '',
  );
  p(
    '- (a) without the layer: the deployed environment without the layer\'s `--import` in `NODE_OPTIONS`.',
    '- ours: the deployed environment as is.',
    '- ours, exec wrapper (emit and batch): the layer loaded through `AWS_LAMBDA_EXEC_WRAPPER=/opt/perkamo-otel-handler` instead, as a team attaching the layer by hand does (and the deploy did before): what the bash process in front of node costs.',
    '- ours, `OTEL_TRACES_EXPORTER=none` (emit and batch): spans made, not exported — what the first export adds.',
    ...(xrayFns.length
      ? ['- ours, `traces=xray` (emit and batch): packaged with `--param traces=xray` (the deploy default: CloudWatch\'s OTLP endpoint of the region, ' +
          '`OTEL_PROPAGATORS=tracecontext,baggage,xray-lambda`, active tracing), its endpoint pointed at the local receiver with ' +
          '`PERKAMO_OTEL_SIGV4=xray`: every export gzip-compressed and SigV4-signed with the execution role\'s credentials the harness hands the function; ' +
          'the invocation carries Lambda\'s X-Ray header with `Sampled=1` (active tracing\'s decision for a sampled request). Section 1d compares it with ours.']
      : []),
    '- ours, `sourceMaps=true`: packaged with `--param sourceMaps=true`, which adds `--enable-source-maps` to `NODE_OPTIONS` (the deploy default leaves it off).',
    ...(lambda.node[22]
      ? [`- (a) and ours on Node ${lambda.node[22]}: packaged with \`--param runtime=nodejs22.x\` and run on Node 22, every function; their overheads are over (a) on Node 22 in the same round.`]
      : []),
    '- (b) official OTel: `AWS_LAMBDA_EXEC_WRAPPER` pointing at a wrapper that adds `--import` of the official init bundle to `NODE_OPTIONS` ' +
      'and execs the runtime, as the opentelemetry-lambda layer\'s `otel-handler` does.',
    '',
  );
  p('| function | variant | Init Duration ms | first invocation ms | of which response ms | spans | overhead, Init | overhead, Init + first | CPU overhead, Init + first | ratio to official, Init / Init + first |');
  p('|---|---|---|---|---|---|---|---|---|---|');
  const coldLabel = {
    untraced: '(a) without the layer',
    ours: 'ours, as deployed',
    oursNone: 'ours, `OTEL_TRACES_EXPORTER=none`',
    oursWrapper: 'ours, through the exec wrapper',
    oursXray: 'ours, `traces=xray` (signed, gzip)',
    sourceMaps: 'ours, `sourceMaps=true`',
    official: '(b) official OTel',
    untraced22: '(a) without the layer, Node 22',
    ours22: 'ours, as deployed, Node 22',
  };
  for (const fn of fns) {
    const c = cold[fn];
    let first = true;
    for (const key of ['untraced', 'ours', 'oursNone', 'oursWrapper', 'oursXray', 'sourceMaps', 'official', 'untraced22', 'ours22']) {
      const t = c[key];
      if (!t) continue;
      const ratios = key === 'ours' ? `${fmtRatio(c.ratioInit)} / ${fmtRatio(c.ratioTotal)}` : '';
      const over = (x) => (x ? fmt(x, ' ms', { sign: true }) : '');
      p(
        `| ${first ? fn : ''} | ${coldLabel[key]} | ${fmt(t.init)} | ${fmt(t.first)} | ${fmt(t.response)} | ${num(t.spans)} | ` +
          `${over(t.overInit)} | ${over(t.overTotal)} | ${t.overCpu ? fmt(t.overCpu, ' ms', { sign: true, spread: false }) : ''} | ${ratios} |`,
      );
      first = false;
    }
  }
  p('');
  p(
    'CPU overhead: the median paired difference in CPU time (user + system, every thread) of the runtime process through the first invocation, ' +
      'from `/proc/<pid>/stat` in 10 ms clock ticks — what the variant made the machine do, which a busy machine moves much less than wall time. ' +
      'Lambda bills and reports wall time: the targets are read against the wall-time medians.',
    '',
  );
  p('### Source maps', '');
  p(
    'What `--enable-source-maps` (`sourceMaps=true`) adds to the deploy default, paired within each round: ours packaged both ways, on Node 24 ' +
      `for every function${lambda.node[22] ? ` and on Node ${lambda.node[22]} (packaged with \`runtime=nodejs22.x\`) for emit` : '; the Node 22 pair was left out: no Node 22 binary'}.`,
    '',
  );
  p('| Node | function | Init Duration ms, default | Init Duration ms, `sourceMaps=true` | added to Init | added to Init + first |', '|---|---|---|---|---|---|');
  for (const node of [24, 22]) {
    for (const fn of fns) {
      for (const row of cold[fn].sourceMapPairs.filter((r) => r.node === node)) {
        p(`| ${lambda.node[node]} | ${fn} | ${fmt(row.off)} | ${fmt(row.on)} | ${fmt(row.overInit, ' ms', { sign: true })} | ${fmt(row.overTotal, ' ms', { sign: true })} |`);
      }
    }
  }
  p('');
  p('| bytes | KB |', '|---|---|');
  for (const [fn, bytes] of Object.entries(b.functions)) p(`| \`dist/functions/${fn}/index.mjs\` | ${num(bytes / KB, 1)} |`);
  p(`| our layer: \`otel-init.mjs\` + \`otel-export.mjs\` (loaded by the first export) + \`perkamo-otel-handler\` | ${num(b.layer.init / KB, 1)} + ${num((b.layer.export ?? 0) / KB, 1)} + ${num(b.layer.handler / KB, 1)} |`);
  p(`| official init bundle (instrumentation-aws-lambda, sdk-trace-node, OTLP HTTP exporter) | ${num(b.official.init / KB, 1)} |`);
  p(`| import-in-the-middle and its dependencies, loaded by the official init from \`node_modules\` (JavaScript files) | ${num(b.official.iitm / KB, 1)} |`);
  p(`| Powertools record-by-record handler bundle (baseline of 3 and 4) | ${num(b.powertools / KB, 1)} |`);
  p('');

  // 1b. warm, as deployed
  p('## 1b. Warm responses as deployed', '');
  p(
    `**emit** (\`POST /events\` with an RS256 bearer token) in ${deployedWarm[delays[0]].oursXray ? 'four' : 'three'} long-lived environments under the harness — (a) without the layer, ours as deployed` +
      `${deployedWarm[delays[0]].oursXray ? ' (`traces=otlp`: unsigned, uncompressed), ours packaged with `traces=xray` (each export gzip-compressed and SigV4-signed; section 1d)' : ''}, (b) the official way — ` +
      `each warmed up with ${wd.warmup} invocations, then, for an OTLP receiver answering at once and one answering after 50 ms (a backend in another region; its spans count on arrival), ` +
      `${wd.rounds} rounds of ${num(wd.blockSize)} cycles; a cycle invokes each variant once, the order rotating from cycle to cycle, so that the machine's drift cancels out of the ` +
      'differences; every environment is frozen between its invocations, as Lambda does. ' +
      '**Response** = invocation delivered to the runtime → its `/response` posted: what the caller waits for. **Post-response** = response → the runtime and every ' +
      'extension back on `next`: Lambda keeps the environment running (and billing) for it; ours exports there. A round\'s figure is the median of its invocations; ' +
      "an overhead is the median of the per-cycle differences with (a); the table shows the median and min – max over rounds.",
    '',
  );
  p('| receiver | variant | response ms | response p90 ms | response overhead | post-response ms | post-response overhead | Duration overhead | spans per invocation |');
  p('|---|---|---|---|---|---|---|---|---|');
  const wdLabel = {
    untraced: '(a) without the layer',
    ours: 'ours, as deployed (`traces=otlp`)',
    oursXray: 'ours, `traces=xray`: signed, gzip',
    official: '(b) official OTel',
  };
  for (const [delay, rows] of Object.entries(deployedWarm)) {
    let first = true;
    for (const key of ['untraced', 'ours', 'oursXray', 'official']) {
      const r = rows[key];
      if (!r) continue;
      const over = (x) => (x ? fmt(x, ' ms', { sign: true, digits: 2 }) : '');
      p(
        `| ${first ? (Number(delay) === 0 ? 'at once' : `+${delay} ms`) : ''} | ${wdLabel[key]} | ${fmt(r.response, '', { digits: 2 })} | ${fmt(r.responseP90, '', { digits: 2 })} | ` +
          `${over(r.overResponse)} | ${fmt(r.post, '', { digits: 2 })} | ${over(r.overPost)} | ${over(r.overDuration)} | ${num(r.spans, 1)} |`,
      );
      first = false;
    }
  }
  p('');
  p(
    `**Spans lost.** Each round's spans are counted at the receiver, per variant (by an \`x-bench-variant\` header each variant's exporter sends), against the spans one invocation exports (${JSON.stringify(wd.spansPer)}, from the warm-up): ` +
      `ours ${num(wd.counted.ours.spans)} of ${num(wd.counted.ours.invocations)} invocations × ${wd.spansPer.ours} — **${num(wd.lost.ours)} lost**; ` +
      `then ours was shut down (SIGTERM, as Lambda ends an environment with an extension) and ${num(wd.atShutdown)} more arrived. ` +
      (wd.lost.oursXray !== undefined
        ? `Ours with \`traces=xray\`: ${num(wd.counted.oursXray.spans)} of ${num(wd.counted.oursXray.invocations)} × ${wd.spansPer.oursXray}, ${num(wd.atShutdownOf?.oursXray ?? 0)} more at shutdown — **${num(wd.lost.oursXray)} lost** (the header is among the signed ones; every signature verified). `
        : '') +
      `(b): ${num(wd.lost.official)} lost.`,
    '',
  );
  p(
    `**A collector that hangs** (the receiver never answers; function timeout ${wd.timeoutSeconds} s): ours, in a fresh environment after one normal invocation, ` +
      `${hang.ours.runs} invocations: the longest took ${num(hang.ours.maxMs)} ms (${hang.ours.timedOut} timed out; the first waits its export out within the deadline, ` +
      `the later ones only probe: ${num(hang.ours.laterPostMs)} ms post-response); (b): the longest ${num(hang.official.maxMs)} ms, ${hang.official.timedOut} of ${hang.official.runs} timed out.`,
    '',
  );

  // 1c. layer init by part
  p('## 1c. The layer\'s init, by part', '');
  p(
    `\`await import('otel-init.mjs')\` in ${li.lambda.length} fresh processes per mode on Lambda's Node ${lambda.node[24]} (the modes interleaved), \`node:http\` loaded first — ` +
      'the runtime client loads it anyway — and split at the marks `init.ts` sets. **Load** = the bundle read, compiled and evaluated; **setup** = the configuration read, ' +
      'the provider, sampler, propagators and context manager built and registered; **hooks** = the flush hook ready, which under Lambda includes registering the extension ' +
      "(one round trip to a loopback stand-in of the Extensions API here; RAPID's own in Lambda). **Extension on `next`** = from the import's start until the stand-in " +
      "receives the extension's first `event/next`, which goes out once the event loop is free (the process leaves it free after the import, as the runtime client " +
      "does while it waits on `invocation/next`); Lambda's init ends when both wait.",
    '',
  );
  p('| mode | load ms | setup ms | hooks ms | total ms | extension on `next` ms |', '|---|---|---|---|---|---|');
  for (const [mode, label] of [['lambda', 'under Lambda (AWS_LAMBDA_RUNTIME_API set: the extension registers)'], ['noRuntimeApi', 'no Runtime API (local runs: no extension)']]) {
    const onNext = mode === 'lambda' ? fmt(initPart(mode, 'onNextMs'), '', { digits: 2 }) : '–';
    p(`| ${label} | ${fmt(initPart(mode, 'loadMs'), '', { digits: 2 })} | ${fmt(initPart(mode, 'setupMs'), '', { digits: 2 })} | ${fmt(initPart(mode, 'hooksMs'), '', { digits: 2 })} | ${fmt(initPart(mode, 'totalMs'), '', { digits: 2 })} | ${onNext} |`);
  }
  p('');

  // 1d. signed, gzipped exports
  p('## 1d. Signed, gzipped exports (`traces=xray`)', '');
  p(
    'What `traces=xray` — the deploy default: every export to CloudWatch\'s OTLP endpoint gzip-compressed and signed with SigV4 — changes against ' +
      '`traces=otlp` (ours elsewhere in this file: OTLP/protobuf, unsigned, uncompressed), measured three ways in this run. The signing code ' +
      '(@smithy/signature-v4, the credentials and the request limits) is in `otel-export.mjs`, which the first export loads after the first response: ' +
      'none of it is in the cold start. The local receiver stands in for CloudWatch\'s endpoint: it verifies every signature (with the harness\'s ' +
      '`verifySigV4`: aws4, not the signer the layer uses) against the credentials and region the harness gives the function, and decompresses and counts the spans; ' +
      'it answers before it does that work. A signed variant whose exports are not all gzip-compressed and validly signed, or an unsigned one that signs, stops the run.',
    '',
  );
  if (xrayFns.length) {
    p(
      `**Cold start** (section 1's environments, ${config.cold.runs} per variant, interleaved): ours packaged with \`traces=xray\` against ours packaged with \`traces=otlp\`, ` +
        'paired within each round. **Unchanged within noise** = the median paired difference lies within the `traces=otlp` variant\'s own spread (its min – max around its median). ' +
        'The first invocation\'s post-response phase holds the first export: the load of `otel-export.mjs`, and for `traces=xray` the first signature (deriving the signing key) and the first gzip.',
      '',
    );
    p('| function | Init Duration ms, otlp | Init Duration ms, xray | xray − otlp, Init | first invocation ms, otlp | first invocation ms, xray | xray − otlp, first invocation | post-response ms, otlp / xray | xray − otlp, CPU to the end of the first invocation | within noise, Init / first |');
    p('|---|---|---|---|---|---|---|---|---|---|');
    for (const fn of xrayFns) {
      const c = cold[fn];
      const x = c.xray;
      p(
        `| ${fn} | ${fmt(c.ours.init)} | ${fmt(c.oursXray.init)} | ${fmt(x.overInit, ' ms', { sign: true })} | ${fmt(c.ours.first)} | ${fmt(c.oursXray.first)} | ` +
          `${fmt(x.overFirst, ' ms', { sign: true })} | ${fmt(x.oursPost, '', { digits: 1, spread: false })} / ${fmt(x.post, '', { digits: 1, spread: false })} | ` +
          `${fmt(x.overCpu, ' ms', { sign: true, spread: false })} | ${x.initWithin ? 'yes' : 'no'} / ${x.firstWithin ? 'yes' : 'no'} |`,
      );
    }
    p('');
  }
  if (signedWarm) {
    p(
      `**Per invocation, as deployed** (section 1b: emit, ${num(wd.spansPer.oursXray)} spans per export, each variant's environment warm and frozen between invocations, ` +
        `${wd.rounds} rounds of ${num(wd.blockSize)} cycles per receiver): the post-response phase Lambda bills, where ours exports. ` +
        'Signed − unsigned = the median of the per-cycle differences between the two environments of ours, then the median (min – max) over rounds.',
      '',
    );
    p('| receiver | post-response ms, unsigned (`traces=otlp`) | post-response ms, signed (`traces=xray`) | signed − unsigned, post-response | signed − unsigned, Duration | signed − unsigned, response |');
    p('|---|---|---|---|---|---|');
    for (const delay of delays) {
      const r = deployedWarm[delay];
      const d = (x) => fmt(x, ' ms', { sign: true, digits: 2 });
      p(`| ${Number(delay) === 0 ? 'at once' : `+${delay} ms`} | ${fmt(r.ours.post, '', { digits: 2 })} | ${fmt(r.oursXray.post, '', { digits: 2 })} | ${d(r.oursXray.overOursPost)} | ${d(r.oursXray.overOursDuration)} | ${d(r.oursXray.overOursResponse)} |`);
    }
    p('');
  }
  p(
    `**Per export, in-process** (\`bench/lib/export-cost.mjs\`): ${ec.rounds.length} fresh processes on Lambda's Node ${ec.rounds[0].node.replace(/^v/, '')}, each with the layer's \`setupTracing\` ` +
      '(`bench/lib/span-source.mjs`, bundled) and an in-memory exporter while the emit and batch bundles take invocations against the emulator, alternately ' +
      `(${median(ec.rounds[0].spansPerInvocation.emit)} spans per HTTP invocation, ${median(ec.rounds[0].spansPerInvocation.batch)} per SQS batch of 10): a batch of n spans is the first n that ended. ` +
      'Then the layer\'s own export steps from the built `otel-export.mjs`, called as `otlp-exporter.ts` calls them: `boundSpan` on each span and `limitedRequests` with ' +
      '`encodeProtobuf` (**serialize**: what `traces=otlp` does), then node:zlib\'s gzip as the exporter compresses — one synchronous call up to 64 KB, the asynchronous `gzip` above (**+ gzip**) — then `requestSigner(…).sign` with ' +
      '`credentialsSource` (**+ SigV4**: `traces=xray`; one signer per process, as the exporter keeps, which caches the signing key per day). Nothing is sent. ' +
      `After ${num(ec.warmup)} warm-up exports per mode, ${ec.blocks} blocks of ${num(ec.count)} exports per mode, the modes interleaved (their order rotating from block to block). ` +
      '**CPU** = `process.cpuUsage()` (user + system, every thread: the compression on the threadpool counts); **wall** = `performance.now()`, a larger body\'s threadpool ' +
      'round trip included, as the exporter awaits it. A round\'s figure is the median of its blocks, an increment the median of the paired block differences; ' +
      'the table shows the median (min – max) over rounds.',
    '',
  );
  p('| spans | bytes, protobuf → gzip | serialize, CPU µs | + gzip, CPU µs | + SigV4, CPU µs | gzip adds | SigV4 adds | per span, CPU µs: serialize / + gzip / + SigV4 | wall µs: serialize / + gzip / + SigV4 |');
  p('|---|---|---|---|---|---|---|---|---|');
  for (const size of ec.sizes) {
    const e = exportCost[size];
    const d = (x) => fmt(x, ' µs', { sign: true, digits: 0 });
    p(
      `| ${size} | ${num(e.bytes.raw)} → ${num(e.bytes.gzip)} | ${fmt(e.cpu.serialize, '', { digits: 0 })} | ${fmt(e.cpu.gzip, '', { digits: 0 })} | ${fmt(e.cpu.sign, '', { digits: 0 })} | ` +
        `${d(e.gzipOver)} | ${d(e.signOver)} | ${['serialize', 'gzip', 'sign'].map((m) => num(e.cpuPerSpan[m].median, 1)).join(' / ')} | ` +
        `${['serialize', 'gzip', 'sign'].map((m) => num(e.wall[m].median, 0)).join(' / ')} |`,
    );
  }
  p('');

  // 2. warm
  const warmLabel = {
    untraced: '(a) untraced',
    ours: 'ours, exported',
    official: '(b) official, exported',
    oursNone: 'ours, not exported',
    officialNone: '(b) official, not exported',
    quiet: '(a) without the summary and EMF lines (`LOG_LEVEL=error`, `PERKAMO_METRICS=false`)',
    logsOnly: '(a) with the summary line, without the EMF line (`PERKAMO_METRICS=false`)',
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
      'the bundle\'s `@opentelemetry/api` finds the official provider, so both tracers carry the same spans, plus the official invocation span. ' +
      'Every worker logs and writes metrics as deployed by default (`LOG_LEVEL=info`, `PERKAMO_METRICS=true`: one summary line and one EMF line per invocation, on a pipe as on Lambda) ' +
      'except the two (a) rows that price them.',
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
    p(`| ratio ours ÷ official overhead | | exported ${fmtRatio(w.ratio)}; not exported ${fmtRatio(w.ratioNone)} | |`);
    p(`| logs + metrics, (a) over (a) without them | | ${fmt(w.observability.both, ' µs', { sign: true })} (summary ${fmt(w.observability.logs, ' µs', { sign: true })}, EMF ${fmt(w.observability.metrics, ' µs', { sign: true })}) | |`, '');
  }

  // 2b. logs and metrics
  p('### 2b. Logs and metrics, in one process', '');
  p(
    `What the summary line and the EMF line of every invocation cost (section 2's (a) rows show the same between processes, within its noise). ` +
      `One worker per source and round (${config.observability.rounds} rounds), untraced, Perkamo answered by the instant stub of section 3 (its time subtracted): ` +
      'the same bundle loaded twice, as deployed (`LOG_LEVEL=info`, `PERKAMO_METRICS=true`) and quiet ' +
      `(\`LOG_LEVEL=error\`, \`PERKAMO_METRICS=false\`), and a third, **floor**: quiet plus a one-byte write to the same stdout after each invocation — the write's own cost, ` +
      `which the lines pay once per invocation. After ${num(config.observability.warmup)} warm-up invocations each, the event loop turning between invocations as under the runtime client. ` +
      'Two places for the lines: **a file** (`/dev/null`, a synchronous write: our code and the syscall alone) — ' +
      `${num(config.observability.cycles)} cycles of one invocation of each, the six orders in turn, each invocation timed on its own, a round's figure the median of the per-cycle differences; ` +
      "and **a pipe** that another Node process reads (as on Lambda, where stdout is a pipe; on this 2-core machine the reader's work and the wake-ups are in the figure too) — " +
      `${config.observability.blocks} blocks of ${num(config.observability.blockSize)} invocations per instance, the six orders in turn (one by one, the reader's work would spill into the next invocation), each invocation timed with the event loop's turn after it, where a pipe's write goes out; ` +
      "a round's figure the median of the paired block differences. **Logs + metrics** = as deployed − quiet, of which **the write** = floor − quiet and **the lines' code** = as deployed − floor.",
    '',
  );
  p('| source, stdout | as deployed, µs per invocation | quiet, µs per invocation | logs + metrics | of which the write | of which the lines\' code |', '|---|---|---|---|---|---|');
  for (const sink of config.observability.sinks) {
    const o = obs[sink];
    const row = (x, digits, unit) => `${fmt(x.over, ' µs', { sign: true, digits })} ${unit} | ${fmt(x.write, ' µs', { sign: true, digits })} | ${fmt(x.code, ' µs', { sign: true, digits })}`;
    p(`| HTTP (\`POST /events\`, emit), ${sink} | ${fmt(o.http.loud, '', { digits: 1 })} | ${fmt(o.http.quiet, '', { digits: 1 })} | ${row(o.http, 1, 'per invocation')} |`);
    p(`| SQS, ${o.sqs.per} records (batch), ${sink} | ${fmt(o.sqs.loud, '', { digits: 1 })} | ${fmt(o.sqs.quiet, '', { digits: 1 })} | ${row(o.sqs, 2, 'per record')} |`);
  }
  p('');

  // 3. throughput
  p(`## 3. SQS throughput: ${num(config.throughput.records)} records`, '');
  p(
    `A fresh worker per variant and round (${config.throughput.rounds} rounds, interleaved): ${config.throughput.warmup} warm-up invocations of ${num(config.throughput.records)} records, ` +
      `then ${config.throughput.count} timed ones, of which the median counts (a warm container taking successive batches). Ours: the **batch** function (\`events:batch\` calls of up to 100, ${results.perkamoConcurrency} in parallel: \`PERKAMO_CONCURRENCY\`, set to its default). Baseline: Powertools ` +
      '`BatchProcessor(EventType.SQS)` + `processPartialResponse`, its record handler calling the perkamo-lambda/sdk client\'s `emit` per record ' +
      '(all records at once, Powertools\' default). Calls are counted from the emulator ledger\'s `requests`. **CPU** = the worker\'s own CPU time ' +
      '(`process.cpuUsage()`, user + system, every thread: V8\'s compiler and collector threads too) during the timed invocation: what the function itself used, against its wall time; ' +
      'the emulator works in its own process, on the same two cores.',
    '',
  );
  p('| variant | events/s | ms | the function\'s CPU, ms | Perkamo calls |', '|---|---|---|---|---|');
  const cpuOf = (key) => (Number.isNaN(tp.cpuMs[key].median) ? '–' : fmt(tp.cpuMs[key], '', { digits: 1 }));
  p(`| ours, untraced | ${fmt(tp.ours, '', { digits: 0 })} | ${fmt(tp.ms.ours, '', { digits: 0 })} | ${cpuOf('ours')} | ${num(tp.calls.ours)} |`);
  p(`| ours, traced (exported) | ${fmt(tp.oursTraced, '', { digits: 0 })} | ${fmt(tp.ms.oursTraced, '', { digits: 0 })} | ${cpuOf('oursTraced')} | ${num(tp.calls.oursTraced)} |`);
  p(`| Powertools record-by-record | ${fmt(tp.powertools, '', { digits: 0 })} | ${fmt(tp.ms.powertools, '', { digits: 0 })} | ${cpuOf('powertools')} | ${num(tp.calls.powertools)} |`);
  p(`| speed-up, untraced / traced | ${fmtRatio(tp.speedup)} / ${fmtRatio(tp.speedupTraced)} | | |`, '');

  p('### Our code per record', '');
  p(
    `The same handlers with every Perkamo call answered at once by an in-process stub that replaces \`fetch\` (the time inside the stub is ` +
      `measured and subtracted: ${stubSizes.map((n) => fmt(stub[n].stubCost, ' µs', { digits: 1, spread: false })).join(' / ')} per record for ours at ${stubBatches}), ` +
      `${config.stub.rounds} rounds; per batch size, ${config.stub.sizes.map((z) => `${num(z.count)} invocations of ${num(z.records)} records after ${num(z.warmup)} warm-up ones`).join('; ')} ` +
      '(≈ 60,000 warm-up records each: until the young generation has grown, its first collections land in the timed invocations). What is left is the code between the ' +
      'event and the wire — parsing, validation, coalescing, signing, spans, mapping the answers back — per record. Traced, two ways: spans recorded but not exported ' +
      '(`OTEL_TRACES_EXPORTER=none`), and exported — the worker has no Runtime API, so the export (serializing, and the POST to the local receiver on the same two cores) ' +
      'runs in the invocation and counts; on Lambda it runs after the response.',
    '',
  );
  p('| records per invocation | variant | µs per record | ratio to Powertools | stubbed calls per run |', '|---|---|---|---|---|');
  for (const n of stubSizes) {
    const x = stub[n];
    p(`| ${num(n)} | ours, untraced | ${fmt(x.ours, '', { digits: 1 })} | ${fmtRatio(x.ratio)} | ${num(x.calls.ours)} |`);
    p(`|  | ours, traced, not exported | ${fmt(x.oursTracedNone, '', { digits: 1 })} | ${fmtRatio(x.ratioTracedNone)} | ${num(x.calls.oursTracedNone)} |`);
    p(`|  | ours, traced, exported in the invocation | ${fmt(x.oursTraced, '', { digits: 1 })} | ${fmtRatio(x.ratioTraced)} | ${num(x.calls.oursTraced)} |`);
    p(`|  | Powertools + \`emit\` per record | ${fmt(x.powertools, '', { digits: 1 })} | 1× | ${num(x.calls.powertools)} |`);
  }
  p('');

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
    '- Cold starts (section 1) run under the loopback Lambda harness (`dist/harness/index.mjs`, built from `dev/harness`): ' +
      `the real Node runtime client (aws-lambda-ric ${lambda.ricVersion}) started as Lambda's bootstrap starts it — through the exec wrapper when ` +
      'one is set, with `--expose-gc`, the heap flags of the function\'s memory and `NODE_OPTIONS` — on Lambda\'s Node from the npm `node` ' +
      'package, polling the Runtime API on loopback (the Extensions API is served too: ours registers its internal extension there), Lambda\'s default X-Ray header ' +
      '(`Sampled=0`) on the invocation. The environment is the one `serverless package` writes into the template for each function ' +
      '(the harness\'s `packageFunctions` packages in a service folder of its own); the only additions are `AWS_ENDPOINT_URL_SECRETS_MANAGER` ' +
      '(the loopback Secrets Manager holding the server key) and the loopback URLs given as parameters (emulator, JWKS, OTLP receiver).',
    '- Workers (`bench/lib/worker.mjs`, sections 2–4) load the handler as Lambda\'s runtime does (`_HANDLER=index.handler` under `LAMBDA_TASK_ROOT`, `import()`), ' +
      'with Lambda\'s variables, a context whose remaining time counts down, and the V8 heap flags of a 1,024 MB function unless stated. ' +
      'HTTP events carry API Gateway JWT-authorizer claims (`AUTH_TRUST_API_GATEWAY=true`) so no variant spends time verifying a JWT; ' +
      '`LOG_LEVEL=warn` for all. Any failed invocation or record stops the run.',
    '- Signed exports (`traces=xray`, sections 1, 1b and 1d) are measured in the same run as their unsigned baseline: the functions packaged a third time with ' +
      '`--param traces=xray` (no `otelExporterEndpoint`), the template\'s environment changed only by the loopback endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and ' +
      '`PERKAMO_OTEL_SIGV4=xray`; their environments interleave with the others round by round and cycle by cycle, and take Lambda\'s X-Ray header with `Sampled=1`. ' +
      'The receiver verifies each signature (service xray, the environments\' region, the harness\'s execution-role credentials) and counts each variant\'s spans by its ' +
      '`x-bench-variant` header, which is signed with the rest. The in-process figures (1d) time the layer\'s export steps from the built `otel-export.mjs` on real spans; ' +
      'they leave out the socket and the network, which the per-invocation figures include (on loopback).',
    '- The emulator (`dist/bin/emulator.mjs`) and the OTLP receiver (`bench/lib/otlp-receiver.mjs`, which counts spans in OTLP/JSON and ' +
      'OTLP/protobuf bodies, gzip-compressed or not, and verifies SigV4 signatures) run in their own processes on loopback; it answers an export before it counts it. ' +
      'The emulator is reset before each process or environment that calls it (before each round in the warm benchmark, whose workers live through the round); ' +
      'the receiver only counts spans, and is reset before each cold start and each warm block to count that one\'s. ' +
      'The machine runs everything else too: a busy machine moves the absolute numbers; rounds are interleaved ' +
      '(the variant order rotates) so that ratios stay comparable.',
    '',
  );

  return { markdown: `${lines.join('\n')}\n`, table };
}
