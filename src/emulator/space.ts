import { canonicalJson, type JsonObject, type PerkamoEventInput } from '../core/index.ts';
import { evaluateRewards, levelFor, type CompiledProgram, type LevelState } from './program.ts';
import { roundHalfAwayFromZero } from './formula.ts';

/**
 * The state of the emulator's one Space: customers, the idempotency store and the ledger. All
 * in memory (Maps), all synchronous: one request's effects are applied without interleaving.
 */

export interface WalletAmount {
  wallet: string;
  amount: number;
}

export interface UnlockedItem {
  type: 'perk';
  key: string;
  name: string;
}

export interface IngestResult {
  applied: boolean;
  duplicate: boolean;
  delta: WalletAmount[];
  leveled_up: boolean;
  unlocked: UnlockedItem[];
  wallet_state: Record<string, number>;
  level: LevelState | null;
  /** Only on a batch item that failed (a transaction_id conflict); the HTTP status stays 200. */
  error?: { code: string; message: string };
}

export interface CustomerPerk {
  key: string;
  name: string;
  unlocked_at: string;
}

export interface CustomerView {
  user_id: string;
  traits: JsonObject;
  wallets: Record<string, number>;
  level: LevelState | null;
  perks: CustomerPerk[];
  flags: { perks: Record<string, boolean> };
  /** null for a customer that does not exist yet (the stream's first snapshot). */
  created_at: string | null;
  updated_at: string | null;
}

export interface IdentifyResult {
  user_id: string;
  /** true when this call created the customer. */
  created: boolean;
  traits: JsonObject;
  created_at: string;
  updated_at: string;
}

export interface LedgerEntry {
  transaction_id: string;
  user_id: string;
  event: string;
  request_id: string;
  applied_at: string;
  occurred_at: string | null;
  delta: WalletAmount[];
  /** Rewards that awarded nothing because their formula could not be evaluated, with the reason. */
  skipped?: string[];
}

/** One identify call as applied: the traits it was given. */
export interface IdentifyEntry {
  user_id: string;
  traits: JsonObject;
}

export interface LedgerSnapshot {
  events: LedgerEntry[];
  applied: number;
  duplicates: { total: number; by_transaction_id: Record<string, number> };
  conflicts: { total: number; by_transaction_id: Record<string, number> };
  customers: number;
}

interface CustomerRecord {
  userId: string;
  traits: JsonObject;
  wallets: Record<string, number>;
  perks: CustomerPerk[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

interface Fingerprint {
  user_id: string;
  event: string;
  context: string;
  occurred_at: string | null;
}

export type IngestOutcome =
  | { kind: 'applied' | 'duplicate'; result: IngestResult }
  | { kind: 'conflict'; message: string; result: IngestResult };

export type ChangeListener = (userId: string) => void;

/** occurred_at compared as an instant: `…T10:00:00.000Z` and `…T10:00:00+00:00` are the same event. */
function normalizeInstant(value: string | undefined): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

export class Space {
  private customers = new Map<string, CustomerRecord>();
  private transactions = new Map<string, Fingerprint>();
  private entries: LedgerEntry[] = [];
  private identifies: IdentifyEntry[] = [];
  private duplicateCounts = new Map<string, number>();
  private conflictCounts = new Map<string, number>();
  private duplicateTotal = 0;
  private conflictTotal = 0;
  private readonly listeners = new Set<ChangeListener>();

  constructor(readonly program: CompiledProgram) {}

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(userId: string): void {
    for (const listener of this.listeners) listener(userId);
  }

  reset(): void {
    const users = [...this.customers.keys()];
    this.customers.clear();
    this.transactions.clear();
    this.entries = [];
    this.identifies = [];
    this.duplicateCounts.clear();
    this.conflictCounts.clear();
    this.duplicateTotal = 0;
    this.conflictTotal = 0;
    for (const userId of users) this.changed(userId);
  }

  private zeroWallets(): Record<string, number> {
    const wallets: Record<string, number> = {};
    for (const key of this.program.walletKeys) wallets[key] = 0;
    return wallets;
  }

  private getOrCreate(userId: string, now: string): { customer: CustomerRecord; created: boolean } {
    const existing = this.customers.get(userId);
    if (existing) return { customer: existing, created: false };
    const customer: CustomerRecord = {
      userId,
      traits: {},
      wallets: this.zeroWallets(),
      perks: [],
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
    this.customers.set(userId, customer);
    return { customer, created: true };
  }

  /** Shallow merge: each given trait replaces the stored one; a `null` trait deletes it. */
  identify(userId: string, traits: JsonObject): IdentifyResult {
    const now = new Date().toISOString();
    const { customer, created } = this.getOrCreate(userId, now);
    for (const [key, value] of Object.entries(traits)) {
      if (value === null) delete customer.traits[key];
      else customer.traits[key] = value;
    }
    customer.updatedAt = now;
    customer.version++;
    this.identifies.push({ user_id: userId, traits: structuredClone(traits) });
    this.changed(userId);
    return {
      user_id: userId,
      created,
      traits: structuredClone(customer.traits),
      created_at: customer.createdAt,
      updated_at: customer.updatedAt,
    };
  }

  /**
   * Applies one validated event, or recognises its transaction_id: the same payload again is a
   * duplicate (nothing changes), another payload is a conflict.
   */
  ingest(input: PerkamoEventInput, requestId: string): IngestOutcome {
    const context = (input.context ?? {}) as JsonObject;
    const fingerprint: Fingerprint = {
      user_id: input.user_id,
      event: input.event,
      context: canonicalJson(context),
      occurred_at: normalizeInstant(input.occurred_at),
    };
    const seen = this.transactions.get(input.transaction_id);
    if (seen) {
      const differs = (Object.keys(fingerprint) as (keyof Fingerprint)[]).filter((k) => seen[k] !== fingerprint[k]);
      const current = this.customers.get(seen.user_id);
      const wallets = current ? { ...current.wallets } : this.zeroWallets();
      const result: IngestResult = {
        applied: false,
        duplicate: differs.length === 0,
        delta: [],
        leveled_up: false,
        unlocked: [],
        wallet_state: wallets,
        level: levelFor(this.program, wallets),
      };
      if (differs.length === 0) {
        this.duplicateTotal++;
        this.duplicateCounts.set(input.transaction_id, (this.duplicateCounts.get(input.transaction_id) ?? 0) + 1);
        return { kind: 'duplicate', result };
      }
      this.conflictTotal++;
      this.conflictCounts.set(input.transaction_id, (this.conflictCounts.get(input.transaction_id) ?? 0) + 1);
      const message = `transaction_id ${JSON.stringify(input.transaction_id)} was already used for a different event (${differs.join(', ')} differ); a retry must resend the same payload, a new fact needs a new transaction_id`;
      // A conflict reports the state of the customer this request named.
      const own = this.customers.get(input.user_id);
      const ownWallets = own ? { ...own.wallets } : this.zeroWallets();
      result.wallet_state = ownWallets;
      result.level = levelFor(this.program, ownWallets);
      result.error = { code: 'transaction_id_conflict', message };
      return { kind: 'conflict', message, result };
    }

    const now = new Date().toISOString();
    const { customer } = this.getOrCreate(input.user_id, now);
    const levelBefore = levelFor(this.program, customer.wallets);
    const outcomes = evaluateRewards(this.program, input.event, context);
    const byWallet = new Map<string, number>();
    const skipped: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.skipped) skipped.push(outcome.skipped);
      if (outcome.amount === 0) continue;
      byWallet.set(outcome.wallet, (byWallet.get(outcome.wallet) ?? 0) + outcome.amount);
    }
    const delta: WalletAmount[] = [];
    for (const [wallet, amount] of byWallet) {
      const decimals = this.program.wallets.find((w) => w.key === wallet)?.decimals ?? 0;
      customer.wallets[wallet] = roundHalfAwayFromZero((customer.wallets[wallet] ?? 0) + amount, decimals);
      delta.push({ wallet, amount });
    }

    const unlocked: UnlockedItem[] = [];
    const has = new Set(customer.perks.map((p) => p.key));
    const byEvent = this.program.perksByEvent.get(input.event);
    for (const perk of this.program.perks) {
      if (has.has(perk.key)) continue;
      const hit =
        perk.event !== undefined
          ? byEvent?.includes(perk) === true
          : (customer.wallets[perk.wallet as string] ?? 0) >= (perk.atLeast as number);
      if (!hit) continue;
      customer.perks.push({ key: perk.key, name: perk.name, unlocked_at: now });
      unlocked.push({ type: 'perk', key: perk.key, name: perk.name });
    }

    const level = levelFor(this.program, customer.wallets);
    customer.updatedAt = now;
    customer.version++;
    this.transactions.set(input.transaction_id, fingerprint);
    const entry: LedgerEntry = {
      transaction_id: input.transaction_id,
      user_id: input.user_id,
      event: input.event,
      request_id: requestId,
      applied_at: now,
      occurred_at: input.occurred_at ?? null,
      delta,
    };
    if (skipped.length > 0) entry.skipped = skipped;
    this.entries.push(entry);
    this.changed(input.user_id);
    return {
      kind: 'applied',
      result: {
        applied: true,
        duplicate: false,
        delta: delta.map((d) => ({ ...d })),
        leveled_up: levelBefore !== null && level !== null && level.level > levelBefore.level,
        unlocked,
        wallet_state: { ...customer.wallets },
        level,
      },
    };
  }

  has(userId: string): boolean {
    return this.customers.has(userId);
  }

  /** The customer read shape, or undefined for an unknown customer. */
  customer(userId: string): CustomerView | undefined {
    const c = this.customers.get(userId);
    if (!c) return undefined;
    return this.view(c.userId, c);
  }

  /** The stream's snapshot: the customer, or the empty shape (zero wallets) when it does not exist yet. */
  snapshot(userId: string): { view: CustomerView; version: number } {
    const c = this.customers.get(userId);
    return { view: this.view(userId, c), version: c?.version ?? 0 };
  }

  private view(userId: string, c: CustomerRecord | undefined): CustomerView {
    const wallets = c ? { ...c.wallets } : this.zeroWallets();
    const flags: Record<string, boolean> = {};
    for (const perk of this.program.perks) flags[perk.key] = false;
    for (const perk of c?.perks ?? []) flags[perk.key] = true;
    return {
      user_id: userId,
      traits: c ? structuredClone(c.traits) : {},
      wallets,
      level: levelFor(this.program, wallets),
      perks: (c?.perks ?? []).map((p) => ({ ...p })),
      flags: { perks: flags },
      created_at: c?.createdAt ?? null,
      updated_at: c?.updatedAt ?? null,
    };
  }

  customerIds(): string[] {
    return [...this.customers.keys()];
  }

  get appliedCount(): number {
    return this.entries.length;
  }

  /** Every identify applied, in the order it was applied: how ordering is checked (chaos FIFO runs). */
  identifyLog(): IdentifyEntry[] {
    return this.identifies.map((e) => ({ user_id: e.user_id, traits: structuredClone(e.traits) }));
  }

  ledger(): LedgerSnapshot {
    return {
      events: this.entries.map((e) => ({ ...e, delta: e.delta.map((d) => ({ ...d })) })),
      applied: this.entries.length,
      duplicates: { total: this.duplicateTotal, by_transaction_id: Object.fromEntries(this.duplicateCounts) },
      conflicts: { total: this.conflictTotal, by_transaction_id: Object.fromEntries(this.conflictCounts) },
      customers: this.customers.size,
    };
  }
}
