/**
 * FIFO chaos: a FIFO queue with SQS's delivery rules (fifo-queue.ts) + its DLQ → pollers → the
 * BUILT identify function → the emulator with seeded faults. Each message group is
 * one customer whose `plan_version` trait is set to 1, 2, … in order, the way a CRM streams profile
 * changes. Order is read from the emulator's identify log: a group's versions must be applied
 * in ascending order (a version may be applied again after a fault — identify sets, it does not
 * add — but never after a later one), and each customer must end on the last version applied.
 */
import { loadFunctions } from '../stack/lambda.ts';
import { failedMessageIds } from '../stack/sqs.ts';
import { startChaosEmulator } from './budgets.ts';
import { queueRun, sleep } from './invocations.ts';
import { poisonDlqProblems, type DeadLetter } from './ledger.ts';
import { summarize } from './summary.ts';
import type { VariantOptions, VariantSummary } from './variant.ts';
import { functionEnv } from './env.ts';
import { FifoQueue } from './fifo-queue.ts';

/** Versions per customer (message group). */
export const fifoVersions = 10;

export interface Message {
  key: string;
  group: string;
  version: number;
  body: string;
  poison?: { reason: string };
}

export async function runFifoChaos(options: VariantOptions): Promise<VariantSummary> {
  const started = performance.now();
  const q = queueRun(options);
  const { budget, visibilityTimeoutSeconds, maxReceiveCount, log, lastFailure, meter } = q;
  const run = `${options.seed}${options.budget[0]}f`;
  const { emulator, statuses } = await startChaosEmulator(options.seed + 3, options.budget);
  const queue = new FifoQueue('chaos-identify.fifo', { visibilityTimeoutMs: visibilityTimeoutSeconds * 1000, maxReceiveCount });

  try {
    const functions = await loadFunctions(functionEnv(emulator, budget.reserveMs), options.root);

    // Each group's versions in order; a poison message (traits that are not an object) takes the
    // place of a middle version in a few groups: it holds its group until it rests in the DLQ.
    const groups = Math.max(1, Math.ceil(options.events / fifoVersions));
    const poisonCount = Math.min(options.poison ?? 4, groups);
    const poisonGroups = new Set(Array.from({ length: poisonCount }, (_, k) => Math.floor(((k + 0.5) / poisonCount) * groups)));
    const messages: Message[] = [];
    for (let g = 0; g < groups; g++) {
      const group = `fifo_${run}_${g}`;
      for (let version = 1; version <= fifoVersions; version++) {
        if (poisonGroups.has(g) && version === Math.ceil(fifoVersions / 2)) {
          messages.push({ key: `p${g}`, group, version, body: JSON.stringify({ user_id: group, traits: `plan v${version}` }), poison: { reason: 'traits' } });
        } else {
          messages.push({ key: `g${g}v${version}`, group, version, body: JSON.stringify({ user_id: group, traits: { plan_version: version, plan: `v${version}`, note: `ordré ${version}` } }) });
        }
      }
    }
    // Sent version by version, groups interleaved, the way a CRM streams changes; the pollers start
    // on this backlog, so a receive holds several records of one group.
    for (const m of [...messages].sort((a, b) => a.version - b.version)) queue.send(m.group, m.body, m.key);
    log(`fifo ${options.budget}: ${messages.length.toLocaleString('en')} messages in ${groups} groups queued`);

    const cap = started + options.maxWallMs;
    const poller = async () => {
      while (performance.now() < cap) {
        const records = queue.receive(10);
        if (records.length === 0) {
          const { visible, inFlight } = queue.counts();
          if (visible + inFlight === 0) return;
          await sleep(20);
          continue;
        }
        const event = { Records: records };
        let failed: Set<string>;
        try {
          failed = failedMessageIds(await q.invoke(event, () => functions.invoke('identify', event, budget.functionTimeoutMs)), event);
        } catch {
          failed = new Set(records.map((r) => r.messageId));
        }
        // Failed records stay in flight until their visibility timeout, as on SQS.
        for (const r of records) if (!failed.has(r.messageId)) queue.delete(r.receiptHandle);
      }
    };
    const progress = setInterval(() => {
      const { visible, inFlight } = queue.counts();
      log(`fifo ${options.budget}: ${((performance.now() - started) / 1000).toFixed(0)} s · identifies applied ${emulator.identifyLog().length.toLocaleString('en')} · queue ${visible} visible, ${inFlight} in flight · invocations ${meter.invocations.toLocaleString('en')}`);
    }, 5_000);
    try {
      await Promise.all(Array.from({ length: options.concurrency ?? 8 }, poller));
    } finally {
      clearInterval(progress);
    }
    const left = queue.counts();

    const keyOf = new Map(messages.map((m) => [m.body, m.key]));
    const deadLetters: DeadLetter[] = queue.deadLetters.map((d) => {
      const key = keyOf.get(d.body) ?? `unknown:${d.messageId}`;
      return { key, poison: key.startsWith('p'), reason: lastFailure.get(d.messageId) ?? 'no failure logged', attempts: d.receives - 1 };
    });
    const verdict = checkOrder(emulator.identifyLog(), messages, deadLetters.map((d) => d.key), (user) => emulator.customer(user)?.traits);
    const poison = messages.filter((m) => m.poison);
    const problems = poisonDlqProblems(poison, deadLetters, 'messages', (reason, want) => reason.startsWith('PerkamoValidationError') && reason.includes(want));
    if (left.visible + left.inFlight > 0) problems.push(`not drained within ${Math.round(options.maxWallMs / 1000)} s: ${left.visible + left.inFlight} messages left`);
    problems.push(...verdict.problems);

    return summarize({
      variant: 'fifo',
      options,
      emulator,
      sent: messages.length,
      verdict: {
        valid: messages.length - poison.length,
        applied: verdict.applied,
        duplicatesAbsorbed: verdict.reapplied,
        conflicts: 0,
        lost: verdict.lost,
        appliedTwice: 0,
        unexpected: verdict.unexpected,
        dlqValid: deadLetters.filter((d) => !d.poison).length,
        dlqValidApplied: verdict.dlqValidApplied,
        poisonApplied: verdict.poisonApplied,
        walletMismatches: 0,
        lostKeys: verdict.lostKeys,
        twiceTx: [],
        outOfOrder: verdict.outOfOrder,
        outOfOrderGroups: verdict.outOfOrderGroups,
      },
      poison: poison.length,
      deadLetters,
      retried: q.redeliveries,
      meter,
      started,
      statuses,
      settings: { functionTimeoutMs: budget.functionTimeoutMs, reserveMs: budget.reserveMs, visibilityTimeoutSeconds, maxReceiveCount, concurrency: options.concurrency ?? 8, groups },
      problems,
    });
  } finally {
    q.untap();
    await emulator.close();
  }
}

interface OrderVerdict {
  applied: number;
  reapplied: number;
  lost: number;
  lostKeys: string[];
  unexpected: number;
  dlqValidApplied: number;
  poisonApplied: number;
  outOfOrder: number;
  outOfOrderGroups: string[];
  problems: string[];
}

/** Reads the identify log group by group: ascending versions, each message applied or in the DLQ, the final state the last version. */
export function checkOrder(
  log: { user_id: string; traits: Record<string, unknown> }[],
  messages: Message[],
  deadKeys: string[],
  traitsOf: (user: string) => Record<string, unknown> | undefined,
): OrderVerdict {
  const applied = new Map<string, number[]>();
  let unexpected = 0;
  let poisonApplied = 0;
  const groups = new Set(messages.map((m) => m.group));
  for (const entry of log) {
    const version = entry.traits.plan_version;
    if (!groups.has(entry.user_id)) unexpected++;
    else if (typeof version !== 'number') poisonApplied++;
    else applied.set(entry.user_id, [...(applied.get(entry.user_id) ?? []), version]);
  }
  const dead = new Set(deadKeys);
  const verdict: OrderVerdict = { applied: 0, reapplied: 0, lost: 0, lostKeys: [], unexpected, dlqValidApplied: 0, poisonApplied, outOfOrder: 0, outOfOrderGroups: [], problems: [] };
  for (const group of groups) {
    const versions = applied.get(group) ?? [];
    for (let i = 1; i < versions.length; i++) {
      if (versions[i]! < versions[i - 1]!) {
        verdict.outOfOrder++;
        if (verdict.outOfOrderGroups.length < 20) verdict.outOfOrderGroups.push(`${group}: ${versions.join(',')}`);
      } else if (versions[i] === versions[i - 1]) verdict.reapplied++;
    }
    const last = versions.at(-1);
    const final = traitsOf(group)?.plan_version;
    if (last !== undefined && final !== last) verdict.problems.push(`${group} ends on plan_version ${String(final)}, not on the last version applied (${last})`);
  }
  for (const m of messages) {
    if (m.poison) continue;
    const seen = (applied.get(m.group) ?? []).includes(m.version);
    if (seen) verdict.applied++;
    if (seen && dead.has(m.key)) verdict.dlqValidApplied++;
    if (!seen && !dead.has(m.key)) {
      verdict.lost++;
      if (verdict.lostKeys.length < 20) verdict.lostKeys.push(m.key);
    }
  }
  return verdict;
}
