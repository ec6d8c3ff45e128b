/**
 * A variant's summary row: the ledger verdict, the meter's percentiles, the faults and statuses the
 * emulator counted, and the DLQ reasons tallied.
 */
import type { Emulator } from '../../src/emulator/index.ts';
import type { InvocationMeter } from './invocations.ts';
import type { DeadLetter, LedgerVerdict } from './ledger.ts';
import type { Variant, VariantOptions, VariantSummary } from './variant.ts';

/** Nearest-rank percentile of unsorted samples (0 when none). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Counts reasons, shortened to their first clause, most frequent first. */
export function tallyReasons(reasons: string[], max = 6): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of reasons) {
    const short = r.replace(/\s+/g, ' ').slice(0, 140);
    counts.set(short, (counts.get(short) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([reason, count]) => ({ reason, count }));
}

/** What a variant's run saw, beside the ledger: turned into its summary row by `summarize`. */
export interface RunRecord {
  variant: Variant;
  options: VariantOptions;
  emulator: Emulator;
  /** Units sent: valid events plus poison payloads. */
  sent: number;
  verdict: LedgerVerdict;
  poison: number;
  deadLetters: DeadLetter[];
  retried: number;
  meter: InvocationMeter;
  /** performance.now() when the run started. */
  started: number;
  statuses: Record<string, number>;
  settings: Record<string, number>;
  problems: string[];
}

export function summarize(run: RunRecord): VariantSummary {
  const ledger = run.emulator.ledger();
  const poisonDead = run.deadLetters.filter((d) => d.poison);
  return {
    variant: run.variant,
    budget: run.options.budget,
    seed: run.options.seed,
    sent: run.sent,
    ...run.verdict,
    poison: run.poison,
    dlqPoison: poisonDead.length,
    retried: run.retried,
    invocations: run.meter.invocations,
    killedByTimeout: run.meter.killedByTimeout,
    p50Ms: percentile(run.meter.durations, 50),
    p99Ms: percentile(run.meter.durations, 99),
    wallMs: performance.now() - run.started,
    faults: ledger.faults,
    statuses: run.statuses,
    requests: ledger.requests.total,
    dlqReasons: tallyReasons(run.deadLetters.filter((d) => !d.poison).map((d) => d.reason)),
    poisonReasons: tallyReasons(poisonDead.map((d) => d.reason), 10),
    settings: run.settings,
    problems: run.problems,
  };
}
