import { originOf, type Item, type Outcome } from './invocation.ts';
import { GroupBlockedError } from './errors.ts';

/**
 * The FIFO rule, in one place: the records of one SQS message group reach Perkamo one at a time, in
 * order, and once one fails none after it is sent — they are reported failed with it, so SQS
 * redelivers the group from that record on, in order. Records without a group are not held.
 * This module applies it at each of its three moments: before sending (`blockAfterInvalid`), while
 * sending (`runInGroupOrder`) and when answering SQS (`reportedFailed`).
 */
class MessageGroups {
  readonly #stopped = new Set<string>();

  /** Notes a record's result; a failure stops its group. */
  settle(group: string | undefined, ok: boolean): void {
    if (group !== undefined && !ok) this.#stopped.add(group);
  }

  isStopped(group: string | undefined): boolean {
    return group !== undefined && this.#stopped.has(group);
  }

  /** Why a record is held back: an earlier record of its group failed. */
  blocked(group: string): GroupBlockedError {
    return new GroupBlockedError(`not sent: an earlier message of group ${group} failed`);
  }
}

export interface GroupOrder {
  /** The message group of a record, if any. */
  groupOf(index: number): string | undefined;
  /**
   * Whether any record has a group, when the caller has already looked (the runtime did, for
   * blockAfterInvalid): the records are not scanned again. Unset: they are scanned here.
   */
  grouped?: boolean;
  /** A record whose outcome is another's (a repeat of the same transaction): it waits for that one. */
  sameAs?(index: number): number | undefined;
  /**
   * Sends one round. A round holds at most one record per group (so they may share a Perkamo call:
   * no two of them need an order between them) and every ready record without a group.
   */
  run(round: number[]): Promise<void>;
}

/** Whether any of `count` records has a message group: without one there is no order to keep, nothing to stop. */
function anyGrouped(count: number, groupOf: (k: number) => string | undefined): boolean {
  for (let k = 0; k < count; k++) if (groupOf(k) !== undefined) return true;
  return false;
}

/**
 * Runs records in rounds until each has an outcome. A record that already has one (refused before
 * sending) or mirrors another's counts as done when its turn comes; a stopped group's records are
 * blocked. Every round makes progress: the earliest undecided record never waits on a later one.
 * Without groups (a standard queue, every other trigger) there is one queue, the indexes as given,
 * and nothing to stop: each round takes every record that is ready.
 */
export async function runInGroupOrder(indexes: number[], outcomes: Outcome[], order: GroupOrder): Promise<void> {
  const grouped = order.grouped ?? anyGrouped(indexes.length, (k) => order.groupOf(indexes[k] as number));
  const groups = new MessageGroups();
  // Each queue is read from its head (`at`): taking a record moves the head, nothing is copied.
  const queues = new Map<string | undefined, { items: number[]; at: number }>();
  if (!grouped) {
    if (indexes.length > 0) queues.set(undefined, { items: indexes, at: 0 });
  } else {
    for (const i of indexes) {
      const group = order.groupOf(i);
      const queue = queues.get(group);
      if (queue) queue.items.push(i);
      else queues.set(group, { items: [i], at: 0 });
    }
  }

  /**
   * Takes the next records of a queue that can run now: one for a group, all that are ready without
   * one. What stays in the queue waits for a later round.
   */
  const take = (group: string | undefined, queue: { items: number[]; at: number }, round: number[]): void => {
    const { items } = queue;
    const waiting: number[] = [];
    while (queue.at < items.length) {
      const i = items[queue.at++] as number;
      if (group !== undefined && groups.isStopped(group)) {
        outcomes[i] = { ok: false, error: groups.blocked(group) };
        continue;
      }
      const source = order.sameAs?.(i);
      if (source !== undefined && outcomes[i] === undefined) {
        if (outcomes[source] === undefined) {
          if (group !== undefined) {
            queue.at--;
            return;
          }
          waiting.push(i);
          continue;
        }
        outcomes[i] = outcomes[source] as Outcome;
      }
      if (outcomes[i] !== undefined) {
        groups.settle(group, (outcomes[i] as Outcome).ok);
        continue;
      }
      round.push(i);
      if (group !== undefined) return;
    }
    queue.items = waiting;
    queue.at = 0;
  };

  const pending = () => {
    let sum = 0;
    for (const queue of queues.values()) sum += queue.items.length - queue.at;
    return sum;
  };
  while (queues.size > 0) {
    const before = pending();
    const round: number[] = [];
    for (const [group, queue] of [...queues]) {
      take(group, queue, round);
      if (queue.at === queue.items.length) queues.delete(group);
    }
    if (round.length === 0) {
      if (pending() < before) continue;
      throw new Error('FIFO scheduling made no progress (a record waits on one that never runs)');
    }
    await order.run(round);
    if (grouped) for (const i of round) groups.settle(order.groupOf(i), outcomes[i]?.ok === true);
  }
}

/**
 * Before sending: a record after an invalid one of the same message group is not sent at all.
 * Also says whether any record has a group, for runInGroupOrder (`grouped`), so one look serves both.
 */
export function blockAfterInvalid(items: Item[]): { items: Item[]; grouped: boolean } {
  // No groups, nothing to block: the items as they are.
  if (!anyGrouped(items.length, (k) => originOf(items[k] as Item).group)) return { items, grouped: false };
  const groups = new MessageGroups();
  const held = items.map((item) => {
    const origin = originOf(item);
    if (origin.group === undefined) return item;
    if (groups.isStopped(origin.group)) return { origin, error: groups.blocked(origin.group) };
    groups.settle(origin.group, 'command' in item);
    return item;
  });
  return { items: held, grouped: true };
}

/**
 * When answering: which records to report failed — each one that failed and, once a record of a
 * group failed, every later record of that group (so the group is redelivered in order). Record i
 * is in group `groupOf(i)`, and `okOf(i)` tells whether it succeeded.
 */
export function reportedFailed(count: number, groupOf: (index: number) => string | undefined, okOf: (index: number) => boolean): boolean[] {
  const groups = new MessageGroups();
  const failed = new Array<boolean>(count);
  for (let i = 0; i < count; i++) {
    const group = groupOf(i);
    const ok = okOf(i);
    groups.settle(group, !groups.isStopped(group) && ok);
    failed[i] = !ok || groups.isStopped(group);
  }
  return failed;
}
