/**
 * SQS chaos: fauxqs queue + DLQ → the local poller (several, as Lambda scales out) → the BUILT
 * batch function → the emulator with seeded faults and a token bucket. Runs until the queue is
 * drained (or the time cap), reads the DLQ, then checks the ledger.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { loadFunctions } from '../stack/lambda.ts';
import { startLocalSqs, startPoller, type LocalSqs, type Poller, type QueueInfo } from '../stack/sqs.ts';
import { startChaosEmulator } from './budgets.ts';
import { InvocationMeter, queueRun, sleep } from './invocations.ts';
import { checkLedger, poisonDlqProblems, type DeadLetter, type Expected } from './ledger.ts';
import { summarize } from './summary.ts';
import type { VariantOptions, VariantSummary } from './variant.ts';
import { chaosEvents, producerRepeats, withPoison, type ChaosEvent } from './events.ts';
import { functionEnv } from './env.ts';

export async function runSqsChaos(options: VariantOptions): Promise<VariantSummary> {
  const started = performance.now();
  const q = queueRun(options);
  const { budget, visibilityTimeoutSeconds, maxReceiveCount, log, lastFailure, meter } = q;
  const run = `${options.seed}${options.budget[0]}s`;
  const { emulator, statuses } = await startChaosEmulator(options.seed, options.budget);
  const sqs = await startLocalSqs({
    host: '127.0.0.1',
    port: 0,
    queues: [{ name: 'chaos-events', dlq: 'chaos-events-dlq', maxReceiveCount, visibilityTimeoutSeconds }],
  });
  const queue = sqs.queues['chaos-events']!;
  const pollers: Poller[] = [];

  try {
    const functions = await loadFunctions(functionEnv(emulator, budget.reserveMs), options.root);
    const invoke = (event: SQSEvent) => q.invoke(event, () => functions.invoke('batch', event, budget.functionTimeoutMs));
    for (let i = 0; i < (options.concurrency ?? 8); i++) {
      pollers.push(startPoller({ client: sqs.client, queue, invoke, batchSize: 10, waitTimeSeconds: 1 }));
    }

    // Send: valid events (some without a transaction_id: sqs:<messageId>) and poison, mixed in.
    // Producer repeats go last: the same body in a second message, sent later (another SentTimestamp).
    type Body = { key: string; body: string; tx?: string | undefined; poison?: { reason: string; tx?: string | undefined } };
    const events = chaosEvents(options.events, options.seed, run);
    const toBody = (e: ChaosEvent, key: string): Body => ({ key, body: sqsSafe(JSON.stringify(e.payload)), tx: e.tx });
    const repeats = producerRepeats(events).map((e) => toBody(e, `r${e.seq}`));
    const bodies = [
      ...withPoison<Body>(
        events.map((e) => toBody(e, `e${e.seq}`)),
        options.poison ?? 8,
        run,
        (p, k) => ({ key: `p${k}`, body: p.raw, poison: { reason: p.reason, tx: p.tx } }),
      ),
      ...repeats,
    ];
    const messageIdOf = new Map<string, string>();
    const keyOfBody = new Map<string, string>();
    for (const b of bodies) if (!keyOfBody.has(b.body)) keyOfBody.set(b.body, b.key);
    let next = 0;
    const sender = async () => {
      while (next < bodies.length) {
        const chunk = bodies.slice(next, next + 10);
        next += 10;
        for (let attempt = 1; ; attempt++) {
          try {
            const out = await sqs.client.send(
              new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: chunk.map((b, j) => ({ Id: String(j), MessageBody: b.body })) }),
            );
            for (const ok of out.Successful ?? []) messageIdOf.set(chunk[Number(ok.Id)]!.key, ok.MessageId!);
            if ((out.Failed ?? []).length > 0) throw new Error(`${out.Failed!.length} sends failed: ${out.Failed!.map((f) => `${f.Code} ${f.Message}`).join("; ")}`);
            break;
          } catch (error) {
            if (attempt >= 5) throw error;
            await sleep(100 * attempt);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, sender));
    const sentMs = performance.now() - started;
    log(`sqs ${options.budget}: ${bodies.length.toLocaleString('en')} messages sent in ${(sentMs / 1000).toFixed(1)} s`);

    const drained = await waitUntilDrained(sqs, queue.name, meter, started + options.maxWallMs, (c) =>
      log(
        `sqs ${options.budget}: ${((performance.now() - started) / 1000).toFixed(0)} s · applied ${emulator.ledger().applied.toLocaleString('en')} · ` +
          `queue ${c.visible} visible, ${c.inFlight} in flight · invocations ${meter.invocations.toLocaleString('en')}`,
      ),
    );
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
    const deadLetters = await readDeadLetters(sqs, queue, keyOfBody, lastFailure);
    const left = await sqs.counts(queue.name);

    const expected: Expected[] = [];
    for (const b of bodies) {
      if (b.poison) continue;
      const tx = b.tx ?? (messageIdOf.has(b.key) ? `sqs:${messageIdOf.get(b.key)}` : undefined);
      if (tx) expected.push({ key: b.key, tx });
    }
    const poison = bodies.filter((b) => b.poison);
    const verdict = checkLedger(
      emulator,
      expected,
      deadLetters,
      poison.flatMap((p) => (p.poison?.tx ? [p.poison.tx] : [])),
    );
    const problems = poisonDlqProblems(poison, deadLetters, 'messages');
    if (!drained) problems.push(`not drained within ${Math.round(options.maxWallMs / 1000)} s: ${left.visible + left.inFlight + left.delayed} messages left`);
    if (messageIdOf.size !== bodies.length) problems.push(`${bodies.length - messageIdOf.size} messages could not be sent`);
    if (deadLetters.some((d) => d.key.startsWith('unknown:'))) problems.push('the DLQ holds a message that was never sent');

    return summarize({
      variant: 'sqs',
      options,
      emulator,
      sent: bodies.length,
      verdict,
      poison: poison.length,
      deadLetters,
      retried: q.redeliveries,
      meter,
      started,
      statuses,
      settings: {
        functionTimeoutMs: budget.functionTimeoutMs,
        reserveMs: budget.reserveMs,
        visibilityTimeoutSeconds,
        maxReceiveCount,
        concurrency: options.concurrency ?? 8,
        producerRepeats: repeats.length,
      },
      problems,
    });
  } finally {
    await Promise.all(pollers.map((p) => p.stop()));
    q.untap();
    await sqs.close();
    await emulator.close();
  }
}

/**
 * fauxqs 1.9 refuses characters above U+FFFF (real SQS accepts #x10000–#x10FFFF); a producer can
 * send them as JSON escapes instead, which parse to the same string.
 */
function sqsSafe(json: string): string {
  return json.replace(/[\u{10000}-\u{10FFFF}]/gu, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

/** Waits until the queue is drained (nothing visible, in flight or delayed twice in a row, no invocation running) or `cap`; progress every 5 s. */
async function waitUntilDrained(
  sqs: LocalSqs,
  queueName: string,
  meter: InvocationMeter,
  cap: number,
  progress: (counts: { visible: number; inFlight: number; delayed: number }) => void,
): Promise<boolean> {
  let quiet = 0;
  let lastProgress = performance.now();
  while (performance.now() < cap) {
    const c = await sqs.counts(queueName);
    const empty = c.visible + c.inFlight + c.delayed === 0 && meter.inFlight === 0;
    quiet = empty ? quiet + 1 : 0;
    if (quiet >= 2) return true;
    if (performance.now() - lastProgress > 5_000) {
      lastProgress = performance.now();
      progress(c);
    }
    await sleep(250);
  }
  return false;
}

/** Reads every message of the DLQ, each with its key (by body) and the last failure the function logged for it. */
async function readDeadLetters(
  sqs: LocalSqs,
  queue: QueueInfo,
  keyOfBody: Map<string, string>,
  lastFailure: Map<string, string>,
): Promise<DeadLetter[]> {
  const deadLetters: DeadLetter[] = [];
  const seen = new Set<string>();
  for (let empty = 0; empty < 2; ) {
    const out = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      empty++;
      continue;
    }
    for (const m of messages) {
      if (seen.has(m.MessageId!)) continue;
      seen.add(m.MessageId!);
      const key = keyOfBody.get(m.Body ?? '') ?? `unknown:${m.MessageId}`;
      const reason = lastFailure.get(m.MessageId!) ?? 'no failure logged';
      deadLetters.push({ key, poison: key.startsWith('p'), reason, attempts: Number(m.Attributes?.ApproximateReceiveCount ?? 0) });
    }
  }
  return deadLetters;
}
