// Warm invocations as deployed, under the loopback Lambda harness (the real runtime client, frozen
// between invocations): what tracing adds to the response a caller waits for, and what it adds
// after it (the post-response phase Lambda bills), with an OTLP receiver that answers at once and
// one that answers after 50 ms (a remote backend); every span counted, none may be lost; then a
// receiver that hangs. Variants: untraced (no exec wrapper), ours (the layer as deployed with
// traces=otlp: it exports after the response, unsigned, uncompressed), the official way (its
// forceFlush before the handler returns) and, when given, oursXray (the layer as deployed with
// traces=xray: each export gzip-compressed and SigV4-signed, the X-Ray header Sampled=1 as active
// tracing samples; the receiver verifies every signature).
import { randomUUID } from 'node:crypto';
import { httpApiEvent } from './events.mjs';
import { median, rotate } from './stats.mjs';

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

/**
 * `variants`: [{ key, env, fn?, traceHeader?, signed? }] (env: the deployed environment turned into the
 * variant's; fn: the deployed function, when not `fn`; traceHeader(): the invocations' X-Ray header,
 * when not Lambda's default; signed: every export must arrive gzip-compressed and validly signed).
 * `receiver`: { reset(), stats(), delay(ms) }. Returns the raw figures for the report.
 */
export async function measureWarmDeployed({ harness, node, fn, region, secretsEnv, mint, variants, receiver, config, log }) {
  const variantOf = Object.fromEntries(variants.map((v) => [v.key, v]));
  const start = (variant) => {
    const f = variant.fn ?? fn;
    return harness.startFunction({
      node,
      taskRoot: f.taskRoot,
      handler: f.handler,
      functionName: f.functionName,
      memoryMb: f.memoryMb,
      timeoutSeconds: f.timeoutSeconds,
      region,
      // The receiver counts each variant's spans by this header (both tracers send OTEL_EXPORTER_OTLP_HEADERS;
      // the traces=xray template sets it to '', and the signature covers it).
      env: { ...variant.env({ ...f.environment, ...secretsEnv }), OTEL_EXPORTER_OTLP_HEADERS: `x-bench-variant=${variant.key}` },
    });
  };
  const envs = Object.fromEntries(await Promise.all(variants.map(async (v) => [v.key, await start(v)])));
  /** Each variant's exports arrived as it sends them: gzip-compressed and signed (verified) or neither. */
  const checkExports = (stats, what) => {
    if (stats.unparsed > 0) throw new Error(`${what}: the receiver could not count ${stats.unparsed} export(s)`);
    if (stats.badSignatures > 0) throw new Error(`${what}: ${stats.badSignatures} export(s) carried a signature that did not verify`);
    for (const v of variants) {
      const r = stats.requestsByVariant[v.key] ?? { requests: 0, gzip: 0, signed: 0 };
      const ok = v.signed ? r.signed === r.requests && r.gzip === r.requests : r.signed === 0;
      if (!ok) throw new Error(`${what}: ${v.key} sent ${r.requests} export(s), ${r.gzip} gzip-compressed, ${r.signed} signed; expected ${v.signed ? 'all of them both' : 'none signed'}`);
    }
  };
  let token = await mint();
  let tokenAt = Date.now();
  const invoke = async (key) => {
    if (Date.now() - tokenAt > 60_000) {
      token = await mint();
      tokenAt = Date.now();
    }
    const user = `warm-${key}-${randomUUID()}`;
    const event = httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, { authorizer: false, headers: { authorization: `Bearer ${token}` } });
    const traceHeader = variantOf[key]?.traceHeader;
    const r = await envs[key].invoke(event, traceHeader ? { traceHeader: traceHeader() } : undefined);
    if (!r.ok || r.payload?.statusCode !== 200) throw new Error(`warm ${key}: ${JSON.stringify(r.error ?? r.payload)?.slice(0, 300)}\n${r.logs.slice(-10).join('\n')}`);
    return r;
  };

  try {
    // Warm-up, and how many spans one invocation exports (it must not vary).
    const spansPer = {};
    for (const v of variants) {
      for (let i = 0; i < config.warmup; i++) await invoke(v.key);
      await receiver.reset();
      await invoke(v.key);
      const stats = await receiver.stats();
      checkExports(stats, `warm-up of ${v.key}`);
      spansPer[v.key] = stats.byVariant[v.key] ?? 0;
      if (v.key !== 'untraced' && spansPer[v.key] === 0) throw new Error(`warm: ${v.key} exported no span`);
    }
    log(`warm responses under the harness: ${config.warmup} warm-up invocations each; spans per invocation ${JSON.stringify(spansPer)}`);

    const phases = {};
    const counted = Object.fromEntries(variants.map((v) => [v.key, { invocations: 0, spans: 0 }]));
    for (const delayMs of config.delays) {
      await receiver.delay(delayMs);
      const rounds = [];
      for (let round = 0; round < config.rounds; round++) {
        // One invocation of each variant per cycle, the order rotating from cycle to cycle: the
        // machine's drift (seconds long) cancels out of each cycle's differences.
        const samples = Object.fromEntries(variants.map((v) => [v.key, { response: [], post: [], duration: [] }]));
        await receiver.reset();
        for (let i = 0; i < config.blockSize; i++) {
          for (const v of rotate(variants, i + round)) {
            const r = await invoke(v.key);
            samples[v.key].response.push(r.responseMs);
            samples[v.key].post.push(r.postRuntimeMs);
            samples[v.key].duration.push(r.durationMs);
          }
        }
        const stats = await receiver.stats();
        checkExports(stats, `warm, receiver +${delayMs} ms`);
        const { byVariant } = stats;
        const data = {};
        for (const v of variants) {
          const x = samples[v.key];
          const base = samples.untraced;
          counted[v.key].invocations += config.blockSize;
          counted[v.key].spans += byVariant[v.key] ?? 0;
          data[v.key] = {
            spans: byVariant[v.key] ?? 0,
            responseMs: median(x.response),
            responseP90Ms: quantile(x.response, 0.9),
            postRuntimeMs: median(x.post),
            durationMs: median(x.duration),
            // The median of the per-cycle differences with (a).
            overResponseMs: median(x.response.map((ms, i) => ms - base.response[i])),
            overPostMs: median(x.post.map((ms, i) => ms - base.post[i])),
            overDurationMs: median(x.duration.map((ms, i) => ms - base.duration[i])),
            // A signed variant: the median of the per-cycle differences with ours (unsigned, uncompressed).
            ...(v.signed && samples.ours && {
              overOursResponseMs: median(x.response.map((ms, i) => ms - samples.ours.response[i])),
              overOursPostMs: median(x.post.map((ms, i) => ms - samples.ours.post[i])),
              overOursDurationMs: median(x.duration.map((ms, i) => ms - samples.ours.duration[i])),
            }),
          };
        }
        rounds.push(data);
        log(
          `warm responses, receiver +${delayMs} ms, round ${round + 1}/${config.rounds} (${config.blockSize} cycles): response overhead ms ` +
            variants.filter((v) => v.key !== 'untraced').map((v) => `${v.key} ${data[v.key].overResponseMs.toFixed(2)}`).join(', ') +
            ` (untraced ${data.untraced.responseMs.toFixed(2)}); post-response ms ` +
            variants.map((v) => `${v.key} ${data[v.key].postRuntimeMs.toFixed(2)}`).join(', ') +
            `; spans ${variants.map((v) => `${v.key} ${data[v.key].spans}/${spansPer[v.key] * config.blockSize}`).join(', ')}`,
        );
      }
      phases[delayMs] = rounds;
    }
    await receiver.delay(0);

    // Shutdown: what ours (either template) still had buffered leaves at SIGTERM; nothing may be missing after it.
    await receiver.reset();
    const layered = variants.filter((v) => v.key.startsWith('ours')).map((v) => v.key);
    for (const key of layered) await envs[key].shutdown();
    const shutdownStats = await receiver.stats();
    checkExports(shutdownStats, 'at shutdown');
    const atShutdownOf = Object.fromEntries(layered.map((key) => [key, shutdownStats.byVariant[key] ?? 0]));
    const atShutdown = atShutdownOf.ours;
    const lost = Object.fromEntries(
      variants.map((v) => [v.key, counted[v.key].invocations * spansPer[v.key] - counted[v.key].spans - (atShutdownOf[v.key] ?? 0)]),
    );
    log(
      `spans lost over ${counted.ours.invocations} frozen invocations and a shutdown: ` +
        variants.filter((v) => v.key !== 'untraced').map((v) => `${v.key} ${lost[v.key]}${v.key in atShutdownOf ? ` (${atShutdownOf[v.key]} sent at shutdown)` : ''}`).join(', '),
    );

    // A collector that hangs: no invocation may reach the function's timeout. Ours in a fresh
    // environment (the warm one is shut down), after a first invocation the collector answered.
    envs.oursAgain = await start(variants.find((v) => v.key === 'ours'));
    await invokeOn(envs.oursAgain, mint);
    await receiver.delay(600_000);
    const hanging = {};
    for (const [key, env] of [['ours', envs.oursAgain], ['official', envs.official]]) {
      const runs = [];
      for (let i = 0; i < config.hangInvocations; i++) {
        const r = await invokeOn(env, mint, { tolerate: true });
        runs.push({ durationMs: r.durationMs, responseMs: r.responseMs, postRuntimeMs: r.postRuntimeMs, timedOut: r.timedOut, ok: r.ok });
      }
      hanging[key] = runs;
      log(
        `collector hanging, ${key}: durations ${runs.map((r) => `${Math.round(r.durationMs)} ms${r.timedOut ? ' (timed out)' : ''}`).join(', ')} (timeout ${fn.timeoutSeconds} s)`,
      );
    }
    await receiver.delay(0);
    return { spansPer, phases, counted, atShutdown, atShutdownOf, lost, hanging, timeoutSeconds: fn.timeoutSeconds, blockSize: config.blockSize, rounds: config.rounds, warmup: config.warmup };
  } finally {
    await Promise.all(Object.values(envs).map((e) => e.shutdown()));
  }
}

async function invokeOn(env, mint, { tolerate = false } = {}) {
  const user = `hang-${randomUUID()}`;
  const event = httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, { authorizer: false, headers: { authorization: `Bearer ${await mint()}` } });
  const r = await env.invoke(event);
  if (!tolerate && (!r.ok || r.payload?.statusCode !== 200)) throw new Error(`invoke: ${JSON.stringify(r.error ?? r.payload)?.slice(0, 300)}`);
  return r;
}
