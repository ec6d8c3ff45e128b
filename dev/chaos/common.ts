/**
 * Shared pieces of the chaos runs: budgets and seeded fault profiles, the function log tap (the
 * reason a record failed comes from the function's own failure log line), percentiles, and the
 * ledger check that turns "what was sent" + "what the emulator applied" into the verdict.
 */
import { startEmulator, type Emulator, type FaultRule, type RateLimitOptions } from '../../src/emulator/index.ts';
import { devSecretKey } from '../stack/dev-config.ts';
import { InvocationTimeoutError } from '../stack/lambda.ts';

export type Budget = 'tiny' | 'normal';
export type Variant = 'sqs' | 'eventbridge' | 'http' | 'fifo';

/** Every variant, in the order a full run takes them. */
export const variantNames: readonly Variant[] = ['sqs', 'eventbridge', 'http', 'fifo'];

export interface VariantOptions {
  budget: Budget;
  seed: number;
  /** Valid events to send. */
  events: number;
  /** Poison payloads mixed in (default 8). */
  poison?: number;
  /** Concurrent pollers / invokers / clients (default 8). */
  concurrency?: number;
  /** Hard cap on this variant's wall time, ms. */
  maxWallMs: number;
  /** SQS only: override the budget's visibility timeout (seconds) and maxReceiveCount. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The project root holding dist/functions (default: found from this module). */
  root?: string;
}

export interface VariantSummary {
  variant: Variant;
  budget: Budget;
  seed: number;
  /** Units sent: valid events plus poison payloads. */
  sent: number;
  /** Valid events sent. */
  valid: number;
  poison: number;
  /** Valid events the ledger shows applied (once). */
  applied: number;
  /** Repeats Perkamo answered `duplicate: true` (an applied event delivered again). */
  duplicatesAbsorbed: number;
  /** Repeats with another payload (409): must be 0, a redelivery must carry the same payload. */
  conflicts: number;
  /** Redeliveries (SQS), async retries (EventBridge), client retries (HTTP). */
  retried: number;
  dlqPoison: number;
  dlqValid: number;
  dlqValidApplied: number;
  lost: number;
  appliedTwice: number;
  unexpected: number;
  poisonApplied: number;
  walletMismatches: number;
  lostKeys: string[];
  twiceTx: string[];
  /** FIFO: applies of a record after a later record of its message group (must be 0). */
  outOfOrder: number;
  outOfOrderGroups: string[];
  invocations: number;
  /** Invocations still running at the Lambda timeout (the poller / invoker gave up on them). */
  killedByTimeout: number;
  p50Ms: number;
  p99Ms: number;
  wallMs: number;
  /** Injected faults the emulator fired, by kind (the token bucket's 429s are not among them: see `statuses`). */
  faults: Record<string, number>;
  /** The emulator's answers to /v1/ requests by status (429 = injected + token bucket). */
  statuses: Record<string, number>;
  /** Perkamo requests the emulator received. */
  requests: number;
  /** Why valid events ended in the DLQ (most frequent first). */
  dlqReasons: { reason: string; count: number }[];
  poisonReasons: { reason: string; count: number }[];
  settings: Record<string, number>;
  /** Anything besides loss and doubles that makes the run fail (not drained, poison not in the DLQ…). */
  problems: string[];
  ok?: boolean;
}

export interface BudgetSettings {
  /** The Lambda timeout every invocation counts down from. */
  functionTimeoutMs: number;
  /** PERKAMO_DEADLINE_RESERVE_MS: budget = timeout − reserve. */
  reserveMs: number;
  /** SQS visibility timeout, seconds (above the function timeout). */
  visibilityTimeoutSeconds: number;
  /** SQS receives before the DLQ. */
  maxReceiveCount: number;
}

/**
 * Tiny: a 700 ms Lambda with a 200 ms reserve — a 500 ms budget that latency faults, 429s with
 * `Retry-After: 1` and hangs all overrun, so deadline failures happen on purpose. Normal: the
 * 10 s of the local stack with the default 500 ms reserve.
 */
export const budgets: Record<Budget, BudgetSettings> = {
  tiny: { functionTimeoutMs: 700, reserveMs: 200, visibilityTimeoutSeconds: 2, maxReceiveCount: 10 },
  normal: { functionTimeoutMs: 10_000, reserveMs: 500, visibilityTimeoutSeconds: 12, maxReceiveCount: 6 },
};

/**
 * The seeded fault mix, per Perkamo request (every /v1/ route): latency within and beyond the
 * budget, 5xx before and after applying, 429 with Retry-After, connection resets and hangs.
 */
export function faultProfile(budget: Budget): FaultRule[] {
  const tiny = budget === 'tiny';
  return [
    { kind: 'latency', rate: 0.05, latencyMs: tiny ? 120 : 250 },
    // Beyond the budget: the client gives up, the emulator still applies afterwards.
    { kind: 'latency', rate: tiny ? 0.015 : 0.002, latencyMs: tiny ? 900 : 11_000 },
    { kind: 'error_before', rate: 0.03, status: 503 },
    { kind: 'error_before', rate: 0.01, status: 500 },
    { kind: 'error_after', rate: 0.03, status: 502 },
    { kind: 'error_after', rate: 0.01, status: 504 },
    { kind: 'rate_limit', rate: 0.02, retryAfterSeconds: 1 },
    { kind: 'reset', rate: 0.02 },
    { kind: 'hang', rate: tiny ? 0.004 : 0.002 },
  ];
}

/** A token bucket that bites when the run pushes hard (checked after the faults). */
export const rateLimitProfile: RateLimitOptions = { capacity: 30, refillPerSecond: 100 };

/**
 * An emulator with the budget's seeded faults and the token bucket, counting its answers by status
 * (from its per-request log line) so that the token bucket's own 429s can be told apart.
 */
export async function startChaosEmulator(seed: number, budget: Budget): Promise<{ emulator: Emulator; statuses: Record<string, number> }> {
  const statuses: Record<string, number> = {};
  const emulator = await startEmulator({
    seed,
    faults: faultProfile(budget),
    rateLimit: rateLimitProfile,
    keys: { server: [devSecretKey] },
    quiet: false,
    log: (line) => {
      const status = /^\S+ \/v1\/\S* (\d{3}) /.exec(line)?.[1];
      if (status) statuses[status] = (statuses[status] ?? 0) + 1;
    },
  });
  return { emulator, statuses };
}

/** Nearest-rank percentile of unsorted samples (0 when none). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

export interface FunctionFailure {
  /** The record id the function logged: SQS messageId, EventBridge event id. */
  id: string;
  error: string;
  message: string;
}

/**
 * Taps the functions' JSON log lines (they write to process.stdout): each failure a summary line
 * names goes to `onFailure`, and the functions' lines (EMF lines too) are kept off the terminal. Other output passes through.
 * Returns the function that removes the tap.
 */
export function tapFunctionLogs(onFailure: (failure: FunctionFailure) => void): () => void {
  const original = process.stdout.write;
  const tapped = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && chunk.startsWith('{')) {
      try {
        const line = JSON.parse(chunk) as { function_name?: unknown; _aws?: unknown; failures?: { id?: unknown; error?: unknown; message?: unknown }[] };
        // The functions' log lines and EMF lines (the logger's lines carry function_name).
        if (typeof line.function_name === 'string' || line._aws !== undefined) {
          for (const f of line.failures ?? []) {
            if (typeof f.id === 'string') onFailure({ id: f.id, error: String(f.error), message: String(f.message) });
          }
          const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
          callback?.();
          return true;
        }
      } catch {
        // not one of ours
      }
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  process.stdout.write = tapped;
  return () => {
    if (process.stdout.write === tapped) process.stdout.write = original;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts and times the invocations of a run: how many, how long, how many hit the Lambda timeout. */
export class InvocationMeter {
  invocations = 0;
  killedByTimeout = 0;
  inFlight = 0;
  readonly durations: number[] = [];

  async measure<T>(invoke: () => Promise<T>): Promise<T> {
    this.invocations++;
    this.inFlight++;
    const t0 = performance.now();
    try {
      return await invoke();
    } catch (error) {
      if (error instanceof InvocationTimeoutError) this.killedByTimeout++;
      throw error;
    } finally {
      this.durations.push(performance.now() - t0);
      this.inFlight--;
    }
  }
}

/** One valid event sent, and where its outcome may be found. */
export interface Expected {
  /** A stable key of the sent unit (seq). */
  key: string;
  /** The transaction id the function must use (explicit, or derived from the trigger). */
  tx: string;
}

export interface DeadLetter {
  key: string;
  poison: boolean;
  reason: string;
  /** Receives or attempts before it was given up. */
  attempts?: number;
}

export interface LedgerVerdict {
  valid: number;
  applied: number;
  duplicatesAbsorbed: number;
  conflicts: number;
  lost: number;
  appliedTwice: number;
  /** Ledger entries whose transaction id was never sent (a payload applied under a second id). */
  unexpected: number;
  dlqValid: number;
  /** Valid events in the DLQ that Perkamo had applied anyway (a 5xx after applying, then retries ran out). */
  dlqValidApplied: number;
  /** Poison messages that were applied (must be 0). */
  poisonApplied: number;
  /** Customers whose wallets differ from the sum of their ledger deltas. */
  walletMismatches: number;
  lostKeys: string[];
  twiceTx: string[];
  /** FIFO: applies of a record after a later record of its message group (must be 0). */
  outOfOrder: number;
  outOfOrderGroups: string[];
}

/**
 * Checks the emulator's ledger against what was sent: each valid event applied exactly once or in
 * the DLQ; nothing applied twice or under an id that was never sent; poison never applied; each
 * customer's wallets equal to the sum of its ledger deltas (no effect outside the ledger).
 */
export function checkLedger(emulator: Emulator, expected: Expected[], deadLetters: DeadLetter[], poisonTx: string[] = []): LedgerVerdict {
  const ledger = emulator.ledger();
  const countByTx = new Map<string, number>();
  for (const entry of ledger.events) countByTx.set(entry.transaction_id, (countByTx.get(entry.transaction_id) ?? 0) + 1);
  const expectedTx = new Set(expected.map((e) => e.tx));
  const dead = new Set(deadLetters.filter((d) => !d.poison).map((d) => d.key));
  let applied = 0;
  let lost = 0;
  let dlqValidApplied = 0;
  const lostKeys: string[] = [];
  for (const e of expected) {
    const n = countByTx.get(e.tx) ?? 0;
    if (n > 0) applied++;
    if (n > 0 && dead.has(e.key)) dlqValidApplied++;
    if (n === 0 && !dead.has(e.key)) {
      lost++;
      if (lostKeys.length < 20) lostKeys.push(`${e.key} (${e.tx})`);
    }
  }
  const twiceTx: string[] = [];
  let appliedTwice = 0;
  let unexpected = 0;
  for (const [tx, n] of countByTx) {
    if (n > 1) {
      appliedTwice++;
      if (twiceTx.length < 20) twiceTx.push(tx);
    }
    if (!expectedTx.has(tx)) unexpected++;
  }
  const poisonApplied = poisonTx.filter((tx) => countByTx.has(tx)).length;

  const deltas = new Map<string, Record<string, number>>();
  for (const entry of ledger.events) {
    const sums = deltas.get(entry.user_id) ?? {};
    for (const d of entry.delta) sums[d.wallet] = (sums[d.wallet] ?? 0) + d.amount;
    deltas.set(entry.user_id, sums);
  }
  let walletMismatches = 0;
  for (const id of emulator.customerIds()) {
    const wallets = emulator.customer(id)?.wallets ?? {};
    const sums = deltas.get(id) ?? {};
    for (const wallet of new Set([...Object.keys(wallets), ...Object.keys(sums)])) {
      if (Math.abs((wallets[wallet] ?? 0) - (sums[wallet] ?? 0)) > 1e-9) {
        walletMismatches++;
        break;
      }
    }
  }

  return {
    valid: expected.length,
    applied,
    duplicatesAbsorbed: ledger.duplicates.total,
    conflicts: ledger.conflicts.total,
    lost,
    appliedTwice: appliedTwice + unexpected,
    unexpected,
    dlqValid: dead.size,
    dlqValidApplied,
    poisonApplied,
    walletMismatches,
    lostKeys,
    twiceTx,
    outOfOrder: 0,
    outOfOrderGroups: [],
  };
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

/**
 * Problems with the poison of a run that ends in a DLQ: some missing from it, or there for another
 * reason than the one it was made to fail on.
 */
export function poisonDlqProblems(
  poison: { key: string; poison?: { reason: string } }[],
  deadLetters: DeadLetter[],
  what: string,
  reasonOk: (reason: string, want: string) => boolean = (reason, want) => reason.includes(want),
): string[] {
  const dead = deadLetters.filter((d) => d.poison);
  const wrong = dead.filter((d) => {
    const want = poison.find((p) => p.key === d.key)?.poison?.reason;
    return want === undefined || !reasonOk(d.reason, want);
  });
  const problems: string[] = [];
  if (dead.length !== poison.length) problems.push(`${poison.length - dead.length} poison ${what} are not in the DLQ`);
  if (wrong.length > 0) problems.push(`${wrong.length} poison ${what} in the DLQ without their expected reason`);
  return problems;
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

/** What the two queue runs (SQS, FIFO) share: the budget's queue settings, the log tap, the meter and the invoker. */
export function queueRun(options: VariantOptions) {
  const budget = budgets[options.budget];
  const lastFailure = new Map<string, string>();
  const state = {
    budget,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? budget.visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount ?? budget.maxReceiveCount,
    log: options.log ?? ((_line: string) => {}),
    /** The last failure the function logged (or the invocation's) per message id: the DLQ reason. */
    lastFailure,
    meter: new InvocationMeter(),
    redeliveries: 0,
    untap: tapFunctionLogs((f) => lastFailure.set(f.id, `${f.error}: ${f.message}`)),
    /** Invokes with one SQS event, counting redeliveries; a failed invocation is every record's reason. */
    invoke: async (event: { Records: { messageId: string; attributes: { ApproximateReceiveCount: string } }[] }, call: () => Promise<unknown>): Promise<unknown> => {
      for (const r of event.Records) if (Number(r.attributes.ApproximateReceiveCount) > 1) state.redeliveries++;
      try {
        return await state.meter.measure(call);
      } catch (error) {
        for (const r of event.Records) lastFailure.set(r.messageId, `invocation failed: ${(error as Error).name}: ${(error as Error).message}`);
        throw error;
      }
    },
  };
  return state;
}
