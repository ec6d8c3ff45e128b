/**
 * AWS-shaped trigger events, one builder for every place that hands a function SQS records: the
 * unit and e2e tests, the benchmark, the local stack's poller and the chaos FIFO queue. The
 * benchmark loads this alone (dist/harness/aws-events.mjs), not through the harness entry: its
 * workers measure peak RSS, and the whole harness would add several MB to every one of them.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/**
 * The region and account of the tests' and the benchmark's events, the same as the harness's
 * function ARNs (so a record looks as if it came from a queue beside the function).
 */
export const harnessRegion = 'eu-central-1';
export const harnessAccountId = '123456789012';

export function sqsQueueArn(queue: string, region: string = harnessRegion, accountId: string = harnessAccountId): string {
  return `arn:aws:sqs:${region}:${accountId}:${queue}`;
}

export interface SqsRecordInit {
  /** eventSourceARN; awsRegion is the region in it. */
  queueArn: string;
  /** The message body as sent (text: SQS does not parse it). */
  body: string;
  /** Default: a random UUID. */
  messageId?: string;
  /** Default: a random UUID. */
  receiptHandle?: string;
  /** ApproximateReceiveCount; default 1. */
  receiveCount?: number | string;
  /** Epoch ms; default now. */
  sentTimestamp?: number | string;
  /** ApproximateFirstReceiveTimestamp, epoch ms; default now. */
  firstReceiveTimestamp?: number | string;
  /** Default 'AIDAEXAMPLE', an IAM user id as a producer's would be. */
  senderId?: string;
  /** FIFO queues only; each attribute is left out when not given, as on a standard queue. */
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  /** AWSTraceHeader, present when the producer's message carried an X-Ray trace header. */
  traceHeader?: string;
  messageAttributes?: SQSMessageAttributes;
  /** Default '': the functions never check it. */
  md5OfBody?: string;
  md5OfMessageAttributes?: string;
}

/** An SQS record whose attributes are what SQS sends: strings by name, any of which a test may set. */
export type SqsRecord = SQSRecord & { attributes: Record<string, string> };

/** One SQS record as Lambda's event source mapping delivers it, keys in AWS's order. */
export function sqsRecord(init: SqsRecordInit): SqsRecord {
  const region = init.queueArn.split(':')[3];
  if (!init.queueArn.startsWith('arn:') || !region) throw new TypeError(`not a queue ARN: ${init.queueArn}`);
  return {
    messageId: init.messageId ?? randomUUID(),
    receiptHandle: init.receiptHandle ?? randomUUID(),
    body: init.body,
    attributes: {
      ApproximateReceiveCount: String(init.receiveCount ?? 1),
      SentTimestamp: String(init.sentTimestamp ?? Date.now()),
      SenderId: init.senderId ?? 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(init.firstReceiveTimestamp ?? Date.now()),
      ...(init.messageGroupId !== undefined && { MessageGroupId: init.messageGroupId }),
      ...(init.messageDeduplicationId !== undefined && { MessageDeduplicationId: init.messageDeduplicationId }),
      ...(init.sequenceNumber !== undefined && { SequenceNumber: init.sequenceNumber }),
      ...(init.traceHeader !== undefined && { AWSTraceHeader: init.traceHeader }),
    },
    messageAttributes: init.messageAttributes ?? {},
    md5OfBody: init.md5OfBody ?? '',
    ...(init.md5OfMessageAttributes !== undefined && { md5OfMessageAttributes: init.md5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: init.queueArn,
    awsRegion: region,
  };
}

export interface LambdaContextInit {
  functionName: string;
  timeoutMs: number;
  /** The function ARN's region and account; default the harness's. */
  region?: string;
  accountId?: string;
  /** Default 1024. */
  memoryMb?: number;
  /** The log stream's `[$LATEST]<suffix>`; default `local`. */
  logStreamSuffix?: string;
  /** Lambda's own default is true; in-process runners that end the invocation themselves pass false. */
  callbackWaitsForEmptyEventLoop?: boolean;
}

/** A Lambda context as the Node runtime passes it, whose getRemainingTimeInMillis() really counts down. */
export function lambdaContext(init: LambdaContextInit): Context {
  const end = Date.now() + init.timeoutMs;
  const { functionName } = init;
  return {
    callbackWaitsForEmptyEventLoop: init.callbackWaitsForEmptyEventLoop ?? true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${init.region ?? harnessRegion}:${init.accountId ?? harnessAccountId}:function:${functionName}`,
    memoryLimitInMB: String(init.memoryMb ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${init.logStreamSuffix ?? 'local'}`,
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
