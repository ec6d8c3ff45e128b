// The chaos FIFO queue keeps SQS's FIFO delivery rules (the ones fauxqs 1.9 does not: several
// records of one group per receive), so the FIFO chaos run sees the batches Lambda sees.
import { describe, expect, it } from 'vitest';
import { FifoQueue } from '../../dev/chaos/fifo-queue.ts';

const bodies = (records: { body: string }[]) => records.map((r) => r.body);

describe('FifoQueue', () => {
  it('gives as many records of one group as it can, in order, then locks the group while any is in flight', () => {
    const q = new FifoQueue('q.fifo', { visibilityTimeoutMs: 60_000, maxReceiveCount: 3 });
    for (const [group, body] of [['A', 'a1'], ['B', 'b1'], ['A', 'a2'], ['A', 'a3'], ['B', 'b2']] as const) q.send(group, body, body);
    const first = q.receive(4);
    expect(bodies(first)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(first[0]!.attributes.MessageGroupId).toBe('A');
    expect(bodies(q.receive(10))).toEqual([]); // B is locked by b1, A by its three
    q.delete(first[3]!.receiptHandle);
    expect(bodies(q.receive(10))).toEqual(['b2']);
  });

  it('brings an undeleted record back at the front of its group after the visibility timeout, and to the DLQ after maxReceiveCount', async () => {
    const q = new FifoQueue('q.fifo', { visibilityTimeoutMs: 10, maxReceiveCount: 2 });
    q.send('A', 'a1', 'a1');
    q.send('A', 'a2', 'a2');
    q.send('A', 'a1', 'a1'); // deduplicated
    const [a1] = q.receive(1);
    expect(a1!.attributes.ApproximateReceiveCount).toBe('1');
    await new Promise((r) => setTimeout(r, 20));
    const again = q.receive(10);
    expect(bodies(again)).toEqual(['a1', 'a2']);
    expect(again[0]!.attributes.ApproximateReceiveCount).toBe('2');
    q.delete(again[1]!.receiptHandle);
    await new Promise((r) => setTimeout(r, 20));
    expect(bodies(q.receive(10))).toEqual([]);
    expect(q.deadLetters.map((m) => m.body)).toEqual(['a1']);
    expect(q.counts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('records of one receive that expire a moment apart come back in their order, not the later ones first', () => {
    // A clock that moves on at every reading: a1 and a2 of one receive become visible 1 ms apart.
    const clock = { t: 0 };
    const q = new FifoQueue('q.fifo', { visibilityTimeoutMs: 30, maxReceiveCount: 5, now: () => clock.t++ });
    q.send('A', 'a1', 'a1');
    q.send('A', 'a2', 'a2');
    expect(bodies(q.receive(10))).toEqual(['a1', 'a2']);
    clock.t = 34; // a1 is back, a2 still in flight
    expect(q.counts()).toEqual({ visible: 1, inFlight: 1 });
    clock.t = 60;
    expect(bodies(q.receive(10))).toEqual(['a1', 'a2']);
  });
});
