/**
 * Seeded chaos payloads: varied valid events (the default program's events, an unknown one, nested
 * and non-ASCII contexts, with and without an explicit transaction_id or occurred_at), and poison
 * payloads that no function may ever accept, each with the words its failure reason must contain.
 */
import { mulberry32 } from '../../src/emulator/index.ts';

export interface ChaosEvent {
  seq: number;
  /** The event payload `{ user_id, event, context?, transaction_id?, occurred_at? }`. */
  payload: Record<string, unknown>;
  /** The payload's own transaction_id, when it has one (else the trigger derives one). */
  tx: string | undefined;
}

const cities = ['Praha', 'Brno', 'Zürich', 'Kraków', 'São Paulo', '東京'];

/** Makes the i-th event of a run; the same seed and run give the same events. */
export function chaosEvents(count: number, seed: number, run: string, options: { explicitTxShare?: number } = {}): ChaosEvent[] {
  const rand = mulberry32(seed * 7919 + 17);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const explicitShare = options.explicitTxShare ?? 0.6;
  const out: ChaosEvent[] = [];
  for (let seq = 0; seq < count; seq++) {
    const user = rand() < 0.05 ? `zákazník_${Math.floor(rand() * 50)}` : `user_${Math.floor(rand() * 400)}`;
    const explicit = rand() < explicitShare;
    const kind = Math.floor(rand() * 6);
    let payload: Record<string, unknown>;
    let tx: string | undefined;
    switch (kind) {
      case 0: {
        const order = `order_${run}_${seq}`;
        tx = `order:${order}`;
        payload = {
          user_id: user,
          event: 'purchase.completed',
          context: { order_id: order, amount: 100 + Math.floor(rand() * 50_000), currency: pick(['EUR', 'CZK', 'USD']), items: [{ sku: `sku_${seq % 97}`, qty: 1 + (seq % 3) }], seq },
        };
        break;
      }
      case 1:
        payload = { user_id: user, event: 'lesson.finished', context: { lesson_id: pick(['intro', 'wallets', 'levels', 'perks']), seq } };
        break;
      case 2:
        payload = { user_id: user, event: 'page.viewed', context: { path: pick(['/', '/perks', '/účet', '/pricing']), seq }, occurred_at: new Date(Date.UTC(2026, 10, 1) + seq * 1000).toISOString() };
        break;
      case 3:
        payload = { user_id: user, event: 'referral.completed', context: { referred_user_id: `friend_${run}_${seq}`, seq } };
        break;
      case 4:
        payload = { user_id: `new_${run}_${seq}`, event: 'user.registered', context: { plan: pick(['free', 'pro']), city: pick(cities), seq } };
        break;
      default:
        // Unknown to the program: applied with an empty delta. Nested, non-ASCII, with an offset date.
        payload = {
          user_id: user,
          event: 'chaos.tick',
          context: { seq, note: 'Žluťoučký kůň 🐎', nested: { a: { b: [1, 2, { c: null, d: true }] } } },
          occurred_at: `2026-11-0${1 + (seq % 9)}T12:00:00+02:00`,
        };
    }
    if (explicit || kind === 0) {
      tx ??= `chaos:${run}:${seq}`;
      payload.transaction_id = tx;
    } else {
      tx = undefined;
    }
    out.push({ seq, payload, tx });
  }
  return out;
}

export interface Poison {
  /** The raw body (SQS) or detail (EventBridge: parsed when it is JSON). */
  raw: string;
  /** Words the failure reason must contain. */
  reason: string;
  /** Its transaction id, when the payload names one (it must never be applied). */
  tx?: string;
}

/** The k-th poison payload: invalid JSON or a payload that breaks one rule. */
export function poisonPayload(k: number, run: string): Poison {
  const tx = `poison:${run}:${k}`;
  const user = `poison_${run}_${k}`;
  const cases: Poison[] = [
    { raw: `{"user_id":"${user}","event":"purchase.completed","transaction_id":"${tx}","context":{"amount":`, reason: 'JSON' },
    { raw: JSON.stringify({ user_id: user, event: 'purchase.completed', transaction_id: tx, context: { Wallets: 500 } }), reason: 'context.Wallets', tx },
    { raw: JSON.stringify({ event: 'purchase.completed', transaction_id: tx, context: { amount: 1 } }), reason: 'user_id', tx },
    { raw: `{"user_id":"${user}","event":"page.viewed","transaction_id":"${tx}","context":{"a":{"__proto__":{"admin":true}}}}`, reason: '__proto__', tx },
    { raw: `{"user_id":"\\ud800${user}","event":"page.viewed","transaction_id":"${tx}"}`, reason: 'surrogate', tx },
    { raw: JSON.stringify({ userId: user, event: 'page.viewed', transaction_id: tx }), reason: 'userId', tx },
    { raw: `{"user_id":"${user}","event":"purchase.completed","transaction_id":"${tx}","context":{"amount":1e999}}`, reason: 'Infinity', tx },
    { raw: JSON.stringify({ user_id: user, event: 'page.viewed', transaction_id: tx, occurred_at: '2026-02-30T10:00:00Z' }), reason: 'occurred_at', tx },
  ];
  return cases[k % cases.length] as Poison;
}

/** `units` with `count` poison units spread evenly among them (the k-th made from the k-th poison payload). */
export function withPoison<T>(units: T[], count: number, run: string, make: (poison: Poison, k: number) => T): T[] {
  const mixed = [...units];
  for (let k = 0; k < count; k++) mixed.splice(Math.floor(((k + 0.5) / count) * mixed.length), 0, make(poisonPayload(k, run), k));
  return mixed;
}

/**
 * The events a producer sends twice (its own retry: a second SQS message, a second EventBridge
 * event, with a new id and a later time): every `every`-th event that names its own transaction_id.
 * Each must be applied once; the repeat is a duplicate, never a conflict.
 */
export function producerRepeats(events: ChaosEvent[], every = 50): ChaosEvent[] {
  return events.filter((e) => e.tx !== undefined).filter((_, i) => i % every === every - 1);
}
