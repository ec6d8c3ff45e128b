/**
 * Loopback SQS: fauxqs (an in-process SQS emulator) on 127.0.0.1 with the stack's queues and
 * DLQs, and a poller per queue that does what Lambda's SQS event source mapping does — long-poll,
 * build the SQS event, invoke, delete the records not in batchItemFailures, leave the failed ones
 * to come back after the visibility timeout (fauxqs moves them to the DLQ after maxReceiveCount).
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes } from 'aws-lambda';
import { buildApp } from 'fauxqs';
import { sqsRecord } from '../harness/aws-events.ts';
import { sqsAccountId, sqsCredentials, sqsRegion } from './dev-config.ts';

export interface QueueSpec {
  name: string;
  dlq: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /**
   * A FIFO queue and DLQ (both names end in `.fifo`), with content-based deduplication as the
   * deployed FIFO variant has it: a producer sends a MessageGroupId, a deduplication id is optional.
   */
  fifo?: boolean;
}

export interface QueueInfo {
  name: string;
  fifo: boolean;
  url: string;
  arn: string;
  dlqName: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface LocalSqs {
  url: string;
  port: number;
  client: SQSClient;
  queues: Record<string, QueueInfo>;
  /** Messages waiting (visible), in flight and delayed, as fauxqs counts them. */
  counts(queueName: string): Promise<{ visible: number; inFlight: number; delayed: number }>;
  close(): Promise<void>;
}

export function sqsClient(endpoint: string): SQSClient {
  // The SDK warns once per process that its 2027 releases need Node 22; that is not news to a local run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new SQSClient({ endpoint, region: sqsRegion, credentials: { ...sqsCredentials }, maxAttempts: 2 });
}

/** Starts fauxqs on `host:port` (loopback only) and creates each queue with its DLQ and redrive policy. */
export async function startLocalSqs(options: { host: string; port: number; queues: QueueSpec[] }): Promise<LocalSqs> {
  const app = buildApp({ logger: false, defaultRegion: sqsRegion });
  const address = await app.listen({ host: options.host, port: options.port });
  const port = Number(new URL(address).port);
  const url = `http://${options.host}:${port}`;
  const client = sqsClient(url);
  const queues: Record<string, QueueInfo> = {};
  try {
    for (const spec of options.queues) {
      const fifo = spec.fifo === true;
      if (fifo && !(spec.name.endsWith('.fifo') && spec.dlq.endsWith('.fifo'))) {
        throw new Error(`FIFO queue ${spec.name} with DLQ ${spec.dlq}: both names must end in .fifo (an SQS rule)`);
      }
      // A FIFO queue's DLQ must be FIFO too (SQS refuses the redrive policy otherwise).
      const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
      const dlqUrl = (await client.send(new CreateQueueCommand({ QueueName: spec.dlq, Attributes: { MessageRetentionPeriod: '1209600', ...fifoAttributes } }))).QueueUrl!;
      const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      const queueUrl = (
        await client.send(
          new CreateQueueCommand({
            QueueName: spec.name,
            Attributes: {
              VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
              ...(fifo && { ...fifoAttributes, ContentBasedDeduplication: 'true' }),
            },
          }),
        )
      ).QueueUrl!;
      const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      queues[spec.name] = { name: spec.name, fifo, url: queueUrl, arn, dlqName: spec.dlq, dlqUrl, dlqArn };
    }
  } catch (error) {
    client.destroy();
    await app.close();
    throw error;
  }
  const urlOf = (name: string) => {
    for (const q of Object.values(queues)) {
      if (q.name === name) return q.url;
      if (q.dlqName === name) return q.dlqUrl;
    }
    throw new Error(`no local queue ${name}`);
  };
  return {
    url,
    port,
    client,
    queues,
    async counts(name) {
      const { Attributes: a = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: urlOf(name),
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
    async close() {
      client.destroy();
      await app.close();
    },
  };
}

/** An SDK message attribute in the shape Lambda gives it to a function. */
function lambdaMessageAttribute(value: MessageAttributeValue): SQSMessageAttributes[string] {
  return {
    ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
    ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    dataType: value.DataType ?? 'String',
  };
}

/** The SQS event Lambda's event source mapping would build for these messages. */
export function toSqsEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => {
      const attributes = (m.Attributes ?? {}) as Record<string, string | undefined>;
      const messageAttributes: SQSMessageAttributes = {};
      for (const [name, value] of Object.entries(m.MessageAttributes ?? {})) messageAttributes[name] = lambdaMessageAttribute(value);
      return sqsRecord({
        queueArn,
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        receiveCount: attributes.ApproximateReceiveCount,
        sentTimestamp: attributes.SentTimestamp,
        // fauxqs's messages are all sent by its one account.
        senderId: attributes.SenderId ?? sqsAccountId,
        firstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp,
        messageGroupId: attributes.MessageGroupId,
        messageDeduplicationId: attributes.MessageDeduplicationId,
        sequenceNumber: attributes.SequenceNumber,
        traceHeader: attributes.AWSTraceHeader,
        messageAttributes,
        md5OfBody: m.MD5OfBody ?? '',
        md5OfMessageAttributes: m.MD5OfMessageAttributes,
      });
    }),
  };
}

/**
 * The message ids to keep (not delete), read from the function's answer as Lambda reads it with
 * ReportBatchItemFailures: `{ batchItemFailures: [{ itemIdentifier }] }` names the failed records;
 * an empty list or no list means all succeeded; an answer that names an id not in the batch, or is
 * malformed, fails the whole batch.
 */
export function failedMessageIds(result: unknown, event: SQSEvent): Set<string> {
  const all = new Set(event.Records.map((r) => r.messageId));
  if (result === undefined || result === null) return new Set();
  if (typeof result !== 'object') return all;
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

export interface PollerOptions {
  client: SQSClient;
  queue: Pick<QueueInfo, 'name' | 'url' | 'arn'>;
  /** Invokes the function with the SQS event; a rejection fails every record. */
  invoke(event: SQSEvent): Promise<unknown>;
  /** Messages per invocation, 1–10 (one ReceiveMessage). Default 10. */
  batchSize?: number;
  /** Long-poll wait, seconds (default 20; the poller stops at once on close anyway). */
  waitTimeSeconds?: number;
  log?: (line: string) => void;
}

export interface PollerStats {
  received: number;
  deleted: number;
  failed: number;
  invocations: number;
}

export interface Poller {
  stats: PollerStats;
  /** Resolves when the batch in flight (if any) is done. */
  stop(): Promise<void>;
}

export function startPoller(options: PollerOptions): Poller {
  const { client, queue, invoke } = options;
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const log = options.log ?? (() => {});
  const stats: PollerStats = { received: 0, deleted: 0, failed: 0, invocations: 0 };
  const abort = new AbortController();
  let stopped = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  async function once(): Promise<void> {
    let messages: Message[];
    try {
      const out = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: batchSize,
          WaitTimeSeconds: waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      );
      messages = out.Messages ?? [];
    } catch (error) {
      if (stopped) return;
      log(`SQS ${queue.name}: ReceiveMessage failed: ${(error as Error).message}; retrying in 1 s`);
      await sleep(1000);
      return;
    }
    if (messages.length === 0) return;
    stats.received += messages.length;
    stats.invocations++;
    const event = toSqsEvent(messages, queue.arn);
    const started = performance.now();
    let failed: Set<string>;
    let note = '';
    try {
      failed = failedMessageIds(await invoke(event), event);
    } catch (error) {
      failed = new Set(event.Records.map((r) => r.messageId));
      note = ` (invocation failed: ${(error as Error).message})`;
    }
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10);
      try {
        const out = await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
          }),
        );
        stats.deleted += out.Successful?.length ?? 0;
        if (out.Failed?.length) log(`SQS ${queue.name}: ${out.Failed.length} deletes failed; those messages come back`);
      } catch (error) {
        log(`SQS ${queue.name}: DeleteMessageBatch failed: ${(error as Error).message}; those messages come back`);
      }
    }
    stats.failed += failed.size;
    const receives = event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount));
    log(
      `SQS ${queue.name} → ${messages.length} record${messages.length === 1 ? '' : 's'}: ${done.length} done, ${failed.size} failed` +
        (failed.size > 0 ? ' (back after the visibility timeout)' : '') +
        `${note} ${Math.round(performance.now() - started)} ms` +
        (Math.max(...receives) > 1 ? ` [receive #${Math.max(...receives)}]` : ''),
    );
  }

  const loop = (async () => {
    while (!stopped) await once();
  })();

  return {
    stats,
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
  };
}
