/** Sample payloads for the local queues: the docs' example events, varied, and poison messages. */
import { randomBytes } from 'node:crypto';

const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const lessons = ['intro', 'wallets', 'levels', 'perks', 'streams'];
const pages = ['/', '/perks', '/pricing', '/courses', '/account'];

/** A short id for one run, so a second run's explicit transaction ids do not collide with the first's. */
export const runId = () => randomBytes(3).toString('hex');

/** The i-th sample event of a run: purchases with amounts, lessons, page views, referrals, registrations. */
export function sampleEvent(i: number, run: string): Record<string, unknown> {
  const user_id = users[i % users.length]!;
  switch (i % 6) {
    case 0:
    case 3: {
      const order_id = `order_${run}_${i}`;
      return { user_id, event: 'purchase.completed', context: { order_id, amount: 1000 + ((i * 7919) % 40000), currency: 'EUR' }, transaction_id: `order:${order_id}` };
    }
    case 1:
      // No transaction_id: the batch function derives sqs:<messageId>, stable across redeliveries.
      return { user_id, event: 'lesson.finished', context: { lesson_id: lessons[i % lessons.length]! } };
    case 2:
      return { user_id, event: 'page.viewed', context: { path: pages[i % pages.length]! } };
    case 4:
      return { user_id, event: 'referral.completed', context: { referred_user_id: `friend_${run}_${i}` }, transaction_id: `referral:${run}:${i}` };
    default:
      return { user_id: `${user_id}_${run}_${i}`, event: 'user.registered', context: { plan: i % 2 ? 'free' : 'pro' } };
  }
}

/** The i-th sample identify payload. */
export function sampleIdentify(i: number, run: string): Record<string, unknown> {
  const user_id = users[i % users.length]!;
  return { user_id, traits: { name: user_id[0]!.toUpperCase() + user_id.slice(1), plan: i % 3 === 0 ? 'pro' : 'free', last_seen_run: run } };
}

/**
 * The k-th poison message: bodies a function can never accept, so every receive fails and the
 * message ends in the DLQ after maxReceiveCount. Alternates invalid JSON and an invalid payload.
 */
export function poisonBody(k: number, run: string): string {
  const user_id = poisonUserId(k, run);
  return k % 2 === 0
    ? `{"user_id":"${user_id}","event":"purchase.completed","context":{"amount":` // truncated JSON
    : JSON.stringify({ user_id, event: 'purchase.completed', context: { wallet: 500 } }); // reserved key
}

/** The user of the k-th poison message: a user of its own, so on a FIFO queue it holds no one else's messages back. */
export const poisonUserId = (k: number, run: string) => `poison_${run}_${k}`;
