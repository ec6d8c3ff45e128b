/**
 * EventBridge chaos: the BUILT emit function invoked asynchronously with EventBridge events, as
 * Lambda does for a rule target — a thrown error (or a timeout) re-invokes the SAME event, up to
 * Lambda's async retry count of 2, after which it goes to the on-failure "DLQ" with its error.
 * Lambda waits about 1 and 2 minutes between the attempts; here that is scaled down (0.5 s, 1 s).
 */
import { sqsAccountId, sqsRegion } from '../dev-config.ts';
import { InvocationTimeoutError, loadFunctions } from '../lambda.ts';
import {
  budgets,
  checkLedger,
  startChaosEmulator,
  sleep,
  summarize,
  tapFunctionLogs,
  type DeadLetter,
  type Expected,
  type VariantOptions,
  type VariantSummary,
} from './common.ts';
import { chaosEvents, poisonPayload } from './events.ts';
import { functionEnv } from './env.ts';

/** Lambda's maximum retry attempts for an asynchronous invocation. */
export const asyncRetries = 2;
const retryDelaysMs = [500, 1000];

export async function runEventBridgeChaos(options: VariantOptions): Promise<VariantSummary> {
  const started = performance.now();
  const budget = budgets[options.budget];
  const log = options.log ?? (() => {});
  const run = `${options.seed}${options.budget[0]}e`;
  const { emulator, statuses } = await startChaosEmulator(options.seed + 1, options.budget);
  const untap = tapFunctionLogs(() => {});
  const durations: number[] = [];
  let invocations = 0;
  let retries = 0;
  let killed = 0;

  try {
    const functions = await loadFunctions(functionEnv(emulator, budget.reserveMs), options.root);
    const events = chaosEvents(options.events, options.seed + 1, run);
    type Job = { key: string; event: Record<string, unknown>; tx: string; poison?: { reason: string; tx?: string } };
    const jobs: Job[] = events.map((e) => {
      const id = `${run}-${String(e.seq).padStart(6, '0')}-${(e.seq * 2654435761 >>> 0).toString(16)}`;
      return { key: `e${e.seq}`, event: eventBridgeEnvelope(id, e.payload), tx: e.tx ?? `eb:${id}` };
    });
    const poisonCount = options.poison ?? 8;
    for (let k = 0; k < poisonCount; k++) {
      const p = poisonPayload(k, run);
      let detail: unknown;
      try {
        detail = JSON.parse(p.raw);
      } catch {
        detail = p.raw; // EventBridge detail that is a string, not an object
      }
      const at = Math.floor(((k + 0.5) / poisonCount) * jobs.length);
      jobs.splice(at, 0, { key: `p${k}`, event: eventBridgeEnvelope(`${run}-poison-${k}`, detail), tx: '', poison: { reason: p.reason, tx: p.tx } });
    }

    const deadLetters: DeadLetter[] = [];
    let next = 0;
    let done = 0;
    const cap = started + options.maxWallMs;
    let capped = false;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        let lastError = '';
        let attempt = 0;
        for (; attempt <= asyncRetries; attempt++) {
          if (attempt > 0) {
            retries++;
            await sleep(retryDelaysMs[attempt - 1] ?? 1000);
          }
          if (performance.now() > cap) {
            capped = true;
            break;
          }
          invocations++;
          const t0 = performance.now();
          try {
            await functions.invoke('emit', job.event, budget.functionTimeoutMs);
            lastError = '';
            break;
          } catch (error) {
            if (error instanceof InvocationTimeoutError) killed++;
            lastError = `${(error as Error).name}: ${(error as Error).message}`;
          } finally {
            durations.push(performance.now() - t0);
          }
        }
        if (lastError) deadLetters.push({ key: job.key, poison: job.poison !== undefined, reason: lastError, attempts: attempt });
        done++;
      }
    };
    const progress = setInterval(() => log(`eventbridge ${options.budget}: ${done.toLocaleString('en')}/${jobs.length.toLocaleString('en')} events done`), 5_000);
    try {
      await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    } finally {
      clearInterval(progress);
    }

    const expected: Expected[] = jobs.filter((j) => !j.poison).map((j) => ({ key: j.key, tx: j.tx }));
    const poison = jobs.filter((j) => j.poison);
    const verdict = checkLedger(emulator, expected, deadLetters, poison.flatMap((p) => (p.poison?.tx ? [p.poison.tx] : [])));
    const poisonDead = deadLetters.filter((d) => d.poison);
    const poisonReasonOk = poisonDead.filter((d) => d.reason.startsWith('PerkamoValidationError') && d.reason.includes(poison.find((p) => p.key === d.key)?.poison?.reason ?? '\0')).length;
    const problems: string[] = [];
    if (capped) problems.push(`stopped at the ${Math.round(options.maxWallMs / 1000)} s cap before every event was invoked`);
    if (poisonDead.length !== poison.length) problems.push(`${poison.length - poisonDead.length} poison events are not in the DLQ`);
    if (poisonReasonOk !== poisonDead.length) problems.push(`${poisonDead.length - poisonReasonOk} poison events in the DLQ without a PerkamoValidationError naming the field`);

    return summarize({
      variant: 'eventbridge',
      options,
      emulator,
      sent: jobs.length,
      verdict,
      poison: poison.length,
      deadLetters,
      retried: retries,
      invocations,
      killedByTimeout: killed,
      durations,
      started,
      statuses,
      settings: { functionTimeoutMs: budget.functionTimeoutMs, reserveMs: budget.reserveMs, asyncRetries, concurrency: options.concurrency ?? 8 },
      problems,
    });
  } finally {
    untap();
    await emulator.close();
  }
}

function eventBridgeEnvelope(id: string, detail: unknown): Record<string, unknown> {
  const d = detail as { event?: unknown } | null;
  return {
    version: '0',
    id,
    'detail-type': typeof d?.event === 'string' ? d.event : 'chaos.poison',
    source: 'com.example.chaos',
    account: sqsAccountId,
    time: '2026-11-25T12:00:00Z',
    region: sqsRegion,
    resources: [],
    detail,
  };
}
