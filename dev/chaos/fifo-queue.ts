/**
 * An in-memory SQS FIFO queue with the delivery rules Lambda's FIFO event source sees: a receive
 * returns as many messages of one message group as it can, in order, before the next group (fauxqs
 * 1.9 hands out one message per group per receive, so a function would never see two records of a
 * group in one batch — the very case FIFO ordering must survive); while any message of a group is
 * in flight, the group gives out nothing more; a message not deleted comes back at the front of its
 * group after the visibility timeout; after `maxReceiveCount` receives it moves to the DLQ.
 */
import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { sqsQueueArn, sqsRecord } from '../harness/aws-events.ts';
import { sqsAccountId, sqsRegion } from '../stack/dev-config.ts';

interface Stored {
  messageId: string;
  group: string;
  body: string;
  dedupId: string;
  sequence: number;
  sentAt: number;
  receives: number;
  firstReceiveAt?: number;
}

interface InFlight {
  message: Stored;
  visibleAt: number;
}

export class FifoQueue {
  readonly arn: string;
  /** Messages moved to the DLQ, with their receive count. */
  readonly deadLetters: Stored[] = [];
  readonly #groups = new Map<string, Stored[]>();
  readonly #inFlight = new Map<string, InFlight>();
  readonly #lockedGroups = new Map<string, number>();
  readonly #seenDedupIds = new Set<string>();
  #sequence = 0;
  readonly #now = () => (this.options.now ?? Date.now)();

  constructor(
    readonly name: string,
    private readonly options: { visibilityTimeoutMs: number; maxReceiveCount: number; now?: () => number },
  ) {
    this.arn = sqsQueueArn(name, sqsRegion, sqsAccountId);
  }

  /** Sends one message; a repeated deduplication id is accepted and dropped, as SQS does within 5 minutes. */
  send(group: string, body: string, dedupId: string): void {
    if (this.#seenDedupIds.has(dedupId)) return;
    this.#seenDedupIds.add(dedupId);
    const message: Stored = { messageId: randomUUID(), group, body, dedupId, sequence: ++this.#sequence, sentAt: this.#now(), receives: 0 };
    const queue = this.#groups.get(group);
    if (queue) queue.push(message);
    else this.#groups.set(group, [message]);
  }

  /** Up to `max` records, as many of one group as possible first, each group's in order. */
  receive(max = 10): SQSRecord[] {
    this.#returnExpired();
    const out: SQSRecord[] = [];
    for (const [group, queue] of this.#groups) {
      if (out.length >= max) break;
      if (this.#lockedGroups.has(group)) continue;
      while (out.length < max && queue.length > 0) {
        const message = queue.shift() as Stored;
        message.receives++;
        message.firstReceiveAt ??= this.#now();
        if (message.receives > this.options.maxReceiveCount) {
          this.deadLetters.push(message);
          continue;
        }
        const receiptHandle = randomUUID();
        this.#inFlight.set(receiptHandle, { message, visibleAt: this.#now() + this.options.visibilityTimeoutMs });
        this.#lockedGroups.set(group, (this.#lockedGroups.get(group) ?? 0) + 1);
        out.push(this.#record(message, receiptHandle));
      }
      if (queue.length === 0) this.#groups.delete(group);
    }
    return out;
  }

  delete(receiptHandle: string): void {
    const entry = this.#inFlight.get(receiptHandle);
    if (!entry) return;
    this.#inFlight.delete(receiptHandle);
    this.#unlock(entry.message.group);
  }

  counts(): { visible: number; inFlight: number } {
    this.#returnExpired();
    let visible = 0;
    for (const queue of this.#groups.values()) visible += queue.length;
    return { visible, inFlight: this.#inFlight.size };
  }

  /**
   * In-flight messages past their visibility timeout go back into their group in sequence order —
   * not simply to the front: the messages of one receive can expire a millisecond apart, and the
   * later ones must not overtake the earlier ones already back.
   */
  #returnExpired(): void {
    const now = this.#now();
    const touched = new Set<Stored[]>();
    for (const [handle, entry] of this.#inFlight) {
      if (entry.visibleAt > now) continue;
      this.#inFlight.delete(handle);
      this.#unlock(entry.message.group);
      let queue = this.#groups.get(entry.message.group);
      if (!queue) this.#groups.set(entry.message.group, (queue = []));
      queue.push(entry.message);
      touched.add(queue);
    }
    for (const queue of touched) queue.sort((a, b) => a.sequence - b.sequence);
  }

  #unlock(group: string): void {
    const count = (this.#lockedGroups.get(group) ?? 1) - 1;
    if (count <= 0) this.#lockedGroups.delete(group);
    else this.#lockedGroups.set(group, count);
  }

  #record(message: Stored, receiptHandle: string): SQSRecord {
    return sqsRecord({
      queueArn: this.arn,
      messageId: message.messageId,
      receiptHandle,
      body: message.body,
      receiveCount: message.receives,
      sentTimestamp: message.sentAt,
      senderId: 'AIDACHAOS',
      firstReceiveTimestamp: message.firstReceiveAt,
      messageGroupId: message.group,
      messageDeduplicationId: message.dedupId,
      sequenceNumber: String(message.sequence).padStart(20, '0'),
    });
  }
}
