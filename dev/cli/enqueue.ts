/**
 * `npm run enqueue -- <n> [--queue perkamo-events] [--poison k] [--endpoint http://127.0.0.1:4566]`
 * sends n sample messages to a local queue of `npm start` with SendMessageBatch (10 per call),
 * k of them poison (they end in the DLQ after maxReceiveCount), with a progress bar on stderr and a
 * summary: sent, failed sends, elapsed, rate. Under `npm start -- --fifo` the queue is
 * `perkamo-events.fifo` (found without being named), and each message goes to its user's group.
 */
import { parseArgs } from 'node:util';
import { GetQueueUrlCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { defaultHost, defaultPorts, localQueues, queues } from '../stack/dev-config.ts';
import { poisonBody, poisonUserId, runId, sampleEvent, sampleIdentify } from '../stack/samples.ts';
import { sqsClient } from '../stack/sqs.ts';

function fail(message: string): never {
  process.stderr.write(`enqueue: ${message}\n`);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      queue: { type: 'string', default: queues.events.name },
      poison: { type: 'string', default: '0' },
      endpoint: { type: 'string', default: process.env.PERKAMO_LOCAL_SQS_URL ?? `http://${defaultHost}:${defaultPorts.sqs}` },
      concurrency: { type: 'string', default: '8' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  fail((error as Error).message);
}
const { values, positionals } = parsed;
if (values.help || positionals.length === 0) {
  process.stderr.write(
    'usage: npm run enqueue -- <n> [--queue perkamo-events|perkamo-identify] [--poison k] [--endpoint http://127.0.0.1:4566] [--concurrency 8]\n' +
      '  sends n sample messages (k of them poison) to a queue of the running `npm start`;\n' +
      '  under `npm start -- --fifo` to its .fifo queue, each message with its user id as MessageGroupId\n',
  );
  process.exit(values.help ? 0 : 2);
}
const whole = (name: string, text: string | undefined) => {
  if (text === undefined || !/^\d+$/.test(text)) fail(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
};
const total = whole('<n>', positionals[0]);
const poison = whole('--poison', values.poison);
const concurrency = Math.max(1, whole('--concurrency', values.concurrency));
if (poison > total) fail(`--poison ${poison} is more than the ${total} messages to send`);

const client = sqsClient(values.endpoint!);
const missing = (error: unknown) => /QueueDoesNotExist|NonExistentQueue/.test((error as Error).name);
/** The queue's URL; `npm start -- --fifo` names its queues `<name>.fifo`, so that is tried second. */
async function queueUrlOf(name: string): Promise<{ name: string; url: string }> {
  try {
    return { name, url: (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl! };
  } catch (error) {
    if (!missing(error) || name.endsWith('.fifo')) throw error;
    return queueUrlOf(`${name}.fifo`);
  }
}
let queueName: string;
let queueUrl: string;
try {
  ({ name: queueName, url: queueUrl } = await queueUrlOf(values.queue!));
} catch (error) {
  fail(
    missing(error)
      ? `no queue ${values.queue} at ${values.endpoint} (local queues: ${queues.events.name}, ${queues.identify.name}; with .fifo under npm start -- --fifo)`
      : `cannot reach the local SQS at ${values.endpoint} (${(error as Error).message}). Is \`npm start\` running?`,
  );
}
// SQS: FIFO queue names end in .fifo, and only theirs.
const fifo = queueName.endsWith('.fifo');
const identify = queueName === localQueues(fifo).identify.name;

// Poison messages are spread evenly through the run.
const run = runId();
const poisonAt = new Set<number>();
for (let k = 0; k < poison; k++) poisonAt.add(Math.floor(((k + 0.5) * total) / poison));
/** A message and, for a FIFO queue, its group: the user it is about, so each user's messages keep their order. */
const messages: { body: string; group: string }[] = [];
let poisonCount = 0;
for (let i = 0; i < total; i++) {
  if (poisonAt.has(i)) {
    messages.push({ body: poisonBody(poisonCount, run), group: poisonUserId(poisonCount, run) });
    poisonCount++;
  } else {
    const payload = identify ? sampleIdentify(i, run) : sampleEvent(i, run);
    messages.push({ body: JSON.stringify(payload), group: String(payload.user_id) });
  }
}

const tty = process.stderr.isTTY === true;
const started = performance.now();
let sent = 0;
let failed = 0;
let lastDraw = 0;
function draw(final = false) {
  const now = performance.now();
  if (!final && now - lastDraw < (tty ? 50 : 1000)) return;
  lastDraw = now;
  const done = sent + failed;
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}`;
  const text = `${bar}  ${failed > 0 ? `${failed} failed  ` : ''}${((now - started) / 1000).toFixed(1)} s`;
  process.stderr.write(tty ? `\r${text}${final ? '\n' : ''}` : `${text}\n`);
}

const chunks: { body: string; group: string; seq: number }[][] = [];
for (let i = 0; i < messages.length; i += 10) chunks.push(messages.slice(i, i + 10).map((m, j) => ({ ...m, seq: i + j })));
let next = 0;
const errors = new Map<string, number>();
async function worker() {
  while (next < chunks.length) {
    const chunk = chunks[next++]!;
    const entries: SendMessageBatchRequestEntry[] = chunk.map((m, j) => ({
      Id: String(j),
      MessageBody: m.body,
      MessageAttributes: { source: { DataType: 'String', StringValue: `enqueue:${run}` } },
      // A deduplication id of its own: two equal sample bodies of a run are two messages, not one.
      ...(fifo && { MessageGroupId: m.group, MessageDeduplicationId: `${run}-${m.seq}` }),
    }));
    try {
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      sent += out.Successful?.length ?? 0;
      failed += out.Failed?.length ?? 0;
      for (const f of out.Failed ?? []) errors.set(f.Code ?? 'error', (errors.get(f.Code ?? 'error') ?? 0) + 1);
    } catch (error) {
      failed += chunk.length;
      const key = (error as Error).name || 'error';
      errors.set(key, (errors.get(key) ?? 0) + chunk.length);
    }
    draw();
  }
}
// A FIFO queue keeps a group's order as sent: batches in flight together could land out of order.
await Promise.all(Array.from({ length: Math.min(fifo ? 1 : concurrency, chunks.length) }, worker));
draw(true);
client.destroy();

const elapsed = (performance.now() - started) / 1000;
const rate = elapsed > 0 ? Math.round(sent / elapsed) : sent;
process.stdout.write(
  `${queueName}: sent ${sent} of ${total} (${poison} poison), ${failed} failed sends, ${elapsed.toFixed(2)} s, ${rate} msg/s` +
    (errors.size > 0 ? `  errors: ${[...errors].map(([k, v]) => `${k} ×${v}`).join(', ')}` : '') +
    '\n',
);
if (poison > 0) {
  process.stdout.write(`  ${poison === 1 ? 'the poison message fails every time and moves' : `the ${poison} poison messages fail every time and move`} to the DLQ after maxReceiveCount receives (watch the npm start log)\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
