/**
 * The chaos runner behind `npm run test:chaos` and test/reliability/chaos.test.ts: proves that
 * under seeded faults every valid event is applied exactly once (or sits in a DLQ with its
 * reason), nothing is applied twice and nothing is lost — through SQS (fauxqs queue + DLQ → the
 * local poller → the built batch function), EventBridge-style async invokes with Lambda's retries
 * (the built emit function), and the HTTP routes under client retries with `Idempotency-Key`.
 *
 * Every variant gets its own emulator with the budget's fault profile (latency within and beyond
 * the budget, 5xx before and after applying, 429 with Retry-After, connection resets, hangs) and
 * a token-bucket rate limit; at the end the emulator's ledger is checked against what was sent.
 */
import { cpus } from 'node:os';
import { budgets, type Budget } from './budgets.ts';
import { variantNames, type Variant, type VariantOptions, type VariantSummary } from './variant.ts';
import { runEventBridgeChaos } from './eventbridge.ts';
import { runHttpChaos } from './http.ts';
import { fifoVersions, runFifoChaos } from './fifo.ts';
import { runSqsChaos } from './sqs.ts';

const runners: Record<Variant, (options: VariantOptions) => Promise<VariantSummary>> = {
  sqs: runSqsChaos,
  eventbridge: runEventBridgeChaos,
  http: runHttpChaos,
  fifo: runFifoChaos,
};

export { budgets, faultProfile, rateLimitProfile, type Budget } from './budgets.ts';
export { variantNames, type Variant, type VariantOptions, type VariantSummary } from './variant.ts';

export interface ChaosOptions {
  /** SQS events (default 20,000). */
  events?: number;
  /** EventBridge events (default: a tenth of `events`, at least 200). */
  eventBridgeEvents?: number;
  /** HTTP events (default: a tenth of `events`, at least 200). */
  httpEvents?: number;
  /** FIFO identify messages (default: a tenth of `events`, at least 200), in groups of 10 versions. */
  fifoEvents?: number;
  seed?: number;
  /** One budget, or both one after the other (default both). */
  budget?: Budget | 'both';
  variants?: Variant[];
  poison?: number;
  concurrency?: number;
  /** Hard cap on the whole run, ms (default 9 minutes): a run that cannot drain stops there and fails. */
  maxWallMs?: number;
  /** SQS overrides (seconds / receives); default per budget. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  log?: (line: string) => void;
  root?: string;
}

export interface ChaosSummary {
  ok: boolean;
  startedAt: string;
  machine: string;
  seed: number;
  runs: VariantSummary[];
  wallMs: number;
}

export function verdictOk(s: VariantSummary): boolean {
  return (
    s.lost === 0 &&
    s.appliedTwice === 0 &&
    s.unexpected === 0 &&
    s.conflicts === 0 &&
    s.poisonApplied === 0 &&
    s.walletMismatches === 0 &&
    s.outOfOrder === 0 &&
    s.problems.length === 0
  );
}

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const seed = options.seed ?? 1;
  const events = options.events ?? 20_000;
  const side = Math.max(200, Math.round(events / 10));
  const budgetList: Budget[] = options.budget === undefined || options.budget === 'both' ? ['tiny', 'normal'] : [options.budget];
  const variants: Variant[] = options.variants ?? [...variantNames];
  const maxWallMs = options.maxWallMs ?? 9 * 60_000;
  const plan = budgetList.flatMap((budget) => variants.map((variant) => ({ budget, variant })));
  const deadline = started + maxWallMs;
  const runs: VariantSummary[] = [];
  for (const [i, { budget, variant }] of plan.entries()) {
    // The cap is a safety net for a run that cannot drain: a run may use what is left of the whole
    // run's time, keeping 40 s for each run still to come.
    const left = plan.length - 1 - i;
    const base: VariantOptions = {
      budget,
      seed,
      events: { sqs: events, eventbridge: options.eventBridgeEvents ?? side, http: options.httpEvents ?? side, fifo: options.fifoEvents ?? side }[variant],
      maxWallMs: Math.max(30_000, deadline - performance.now() - left * 40_000),
      ...(options.poison !== undefined && { poison: options.poison }),
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      ...(options.visibilityTimeoutSeconds !== undefined && { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }),
      ...(options.maxReceiveCount !== undefined && { maxReceiveCount: options.maxReceiveCount }),
      ...(options.log && { log: options.log }),
      ...(options.root && { root: options.root }),
    };
    options.log?.(`${variant} · ${budget} budget (${budgets[budget].functionTimeoutMs.toLocaleString('en')} ms Lambda timeout) · ${base.events.toLocaleString('en')} events …`);
    const summary = await runners[variant](base);
    summary.ok = verdictOk(summary);
    runs.push(summary);
  }
  const cpu = cpus();
  return {
    ok: runs.every((r) => r.ok),
    startedAt,
    machine: `${cpu.length} CPU${cpu.length === 1 ? '' : 's'} (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`,
    seed,
    runs,
    wallMs: performance.now() - started,
  };
}

const label: Record<Variant, string> = { sqs: 'SQS → batch', eventbridge: 'EventBridge → emit', http: 'HTTP + Idempotency-Key', fifo: 'SQS FIFO → identify' };
const n = (x: number) => x.toLocaleString('en');

/** The summary table: one row per variant × budget, then faults and DLQ reasons. */
export function formatChaosTable(summary: ChaosSummary): string {
  const head = ['trigger', 'budget', 'sent', 'applied', 'dup. absorbed', 'retried', 'DLQ poison/valid', 'lost', 'applied twice', 'out of order', 'p50 ms', 'p99 ms', 'wall s', ''];
  const rows = summary.runs.map((r) => [
    label[r.variant],
    `${r.budget} ${r.settings.functionTimeoutMs! >= 1000 ? `${r.settings.functionTimeoutMs! / 1000} s` : `${r.settings.functionTimeoutMs} ms`}`,
    n(r.sent),
    n(r.applied),
    n(r.duplicatesAbsorbed),
    n(r.retried),
    `${n(r.dlqPoison)} / ${n(r.dlqValid)}`,
    n(r.lost),
    n(r.appliedTwice),
    r.variant === 'fifo' ? n(r.outOfOrder) : '—',
    r.p50Ms.toFixed(0),
    r.p99Ms.toFixed(0),
    (r.wallMs / 1000).toFixed(1),
    r.ok ? 'ok' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out: string[] = [
    `Chaos run · seed ${summary.seed} · ${summary.startedAt} · ${summary.machine}`,
    '',
    line(head),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  for (const r of summary.runs) {
    const faults = Object.entries(r.faults)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind} ${n(count)}`)
      .join(', ');
    const s = r.settings;
    const repeats = s.producerRepeats ? `; ${n(s.producerRepeats)} producer repeats (same body, new id and time)` : '';
    const setup = {
      sqs: `visibility ${s.visibilityTimeoutSeconds} s, maxReceiveCount ${s.maxReceiveCount}, ${s.concurrency} pollers${repeats}`,
      eventbridge: `${s.asyncRetries} async retries, ${s.concurrency} concurrent${repeats}`,
      http: `${n(s.requests ?? 0)} requests, ≤ ${s.clientMaxAttempts} attempts each, ${s.concurrency} clients`,
      fifo: `${n(s.groups ?? 0)} message groups of ${fifoVersions} versions, visibility ${s.visibilityTimeoutSeconds} s, maxReceiveCount ${s.maxReceiveCount}, ${s.concurrency} pollers; "dup. absorbed" = a version applied again after a fault (identify sets, it does not add)`,
    }[r.variant];
    out.push(
      `${label[r.variant]} · ${r.budget}: ${n(r.invocations)} invocations (${n(r.killedByTimeout)} hit the Lambda timeout), ${n(r.requests)} Perkamo requests; ${setup}`,
    );
    const bucket = Math.max(0, (r.statuses['429'] ?? 0) - (r.faults.rate_limit ?? 0));
    out.push(`  faults fired: ${faults || 'none'}; token-bucket 429s ${n(bucket)}; conflicts ${r.conflicts}; unexpected ids ${r.unexpected}; wallets ≠ ledger ${r.walletMismatches}`);
    if (r.dlqValid > 0) {
      out.push(`  valid events in the DLQ: ${n(r.dlqValid)} (${n(r.dlqValidApplied)} of them already applied once) — retries exhausted under faults:`);
      for (const { reason, count } of r.dlqReasons) out.push(`    ${n(count)} × ${reason}`);
    }
    if (r.poisonReasons.length > 0) {
      out.push(`  poison in the DLQ (${r.dlqPoison}/${r.poison}):`);
      for (const { reason, count } of r.poisonReasons) out.push(`    ${n(count)} × ${reason}`);
    }
    if (r.lostKeys.length > 0) out.push(`  LOST: ${r.lostKeys.join(', ')}`);
    if (r.twiceTx.length > 0) out.push(`  APPLIED TWICE: ${r.twiceTx.join(', ')}`);
    if (r.outOfOrderGroups.length > 0) out.push(`  OUT OF ORDER: ${r.outOfOrderGroups.join('; ')}`);
    for (const p of r.problems) out.push(`  PROBLEM: ${p}`);
  }
  out.push('', `${summary.ok ? 'OK' : 'FAILED'}: zero lost, zero applied twice and zero out of order ${summary.ok ? 'in every run' : 'NOT met'} · total ${(summary.wallMs / 1000).toFixed(1)} s`);
  return out.join('\n');
}
