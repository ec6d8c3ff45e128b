/**
 * EventBridge chaos: the BUILT emit function invoked asynchronously with EventBridge events, as
 * Lambda does for a rule target — a thrown error (or a timeout) re-invokes the SAME event, up to
 * Lambda's async retry count of 2, after which it goes to the on-failure "DLQ" with its error.
 * Lambda waits about 1 and 2 minutes between the attempts; here that is scaled down (0.5 s, 1 s).
 */
import { sqsAccountId, sqsRegion } from '../stack/dev-config.ts';
import { loadFunctions } from '../stack/lambda.ts';
import { budgets, startChaosEmulator } from './budgets.ts';
import { tapFunctionLogs } from './function-logs.ts';
import { InvocationMeter, runWorkers, sleep } from './invocations.ts';
import { checkLedger, poisonDlqProblems, type DeadLetter, type Expected } from './ledger.ts';
import { summarize } from './summary.ts';
import type { VariantOptions, VariantSummary } from './variant.ts';
import { chaosEvents, producerRepeats, withPoison } from './events.ts';
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
  const meter = new InvocationMeter();
  let retries = 0;

  try {
    const functions = await loadFunctions(functionEnv(emulator, budget.reserveMs), options.root);
    type Job = { key: string; event: Record<string, unknown>; tx: string; poison?: { reason: string; tx?: string | undefined } };
    const events = chaosEvents(options.events, options.seed + 1, run);
    const valid = events.map((e): Job => {
      const id = `${run}-${String(e.seq).padStart(6, '0')}-${(e.seq * 2654435761 >>> 0).toString(16)}`;
      return { key: `e${e.seq}`, event: eventBridgeEnvelope(id, e.payload), tx: e.tx ?? `eb:${id}` };
    });
    // Producer repeats: the same detail in a second event, with its own id and a time an hour later.
    const repeats = producerRepeats(events).map((e): Job => ({
      key: `r${e.seq}`,
      event: { ...eventBridgeEnvelope(`${run}-repeat-${e.seq}`, e.payload), time: '2026-11-25T13:00:00Z' },
      tx: e.tx as string,
    }));
    const jobs = withPoison<Job>(valid, options.poison ?? 8, run, (p, k) => {
      let detail: unknown;
      try {
        detail = JSON.parse(p.raw);
      } catch {
        detail = p.raw; // EventBridge detail that is a string, not an object
      }
      return { key: `p${k}`, event: eventBridgeEnvelope(`${run}-poison-${k}`, detail), tx: '', poison: { reason: p.reason, tx: p.tx } };
    });
    jobs.push(...repeats);

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
          try {
            await meter.measure(() => functions.invoke('emit', job.event, budget.functionTimeoutMs));
            lastError = '';
            break;
          } catch (error) {
            lastError = `${(error as Error).name}: ${(error as Error).message}`;
          }
        }
        if (lastError) deadLetters.push({ key: job.key, poison: job.poison !== undefined, reason: lastError, attempts: attempt });
        done++;
      }
    };
    await runWorkers(options.concurrency ?? 8, worker, () => `eventbridge ${options.budget}: ${done.toLocaleString('en')}/${jobs.length.toLocaleString('en')} events done`, log);

    const expected: Expected[] = jobs.filter((j) => !j.poison).map((j) => ({ key: j.key, tx: j.tx }));
    const poison = jobs.filter((j) => j.poison);
    const verdict = checkLedger(emulator, expected, deadLetters, poison.flatMap((p) => (p.poison?.tx ? [p.poison.tx] : [])));
    // The reason must be the function's own validation error naming the field, not a retry that ran out.
    const problems = poisonDlqProblems(poison, deadLetters, 'events', (reason, want) => reason.startsWith('PerkamoValidationError') && reason.includes(want));
    if (capped) problems.push(`stopped at the ${Math.round(options.maxWallMs / 1000)} s cap before every event was invoked`);

    return summarize({
      variant: 'eventbridge',
      options,
      emulator,
      sent: jobs.length,
      verdict,
      poison: poison.length,
      deadLetters,
      retried: retries,
      meter,
      started,
      statuses,
      settings: { functionTimeoutMs: budget.functionTimeoutMs, reserveMs: budget.reserveMs, asyncRetries, concurrency: options.concurrency ?? 8, producerRepeats: repeats.length },
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
