/**
 * The verdict of a run: what was sent, checked against what the emulator applied and what ended in
 * the DLQ.
 */
import type { Emulator } from '../../src/emulator/index.ts';

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
  /** Valid events sent. */
  valid: number;
  /** Valid events the ledger shows applied (once). */
  applied: number;
  /** Repeats Perkamo answered `duplicate: true` (an applied event delivered again). */
  duplicatesAbsorbed: number;
  /** Repeats with another payload (409): must be 0, a redelivery must carry the same payload. */
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
