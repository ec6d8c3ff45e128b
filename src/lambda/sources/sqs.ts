import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { PerkamoValidationError } from '../../core/index.ts';
import type { Command, Item, Origin, Outcome } from '../invocation.ts';
import { attr } from '../../telemetry/attributes.ts';
import { reportedFailed } from '../fifo.ts';
import { recordParser } from '../function.ts';
import type { Defaults } from '../payload.ts';
import type { Source } from './source.ts';

export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.length > 0 && (records[0] as SQSRecord)?.eventSource === 'aws:sqs';
}

/**
 * One item per record. A body that is not JSON, or not a valid payload, becomes a failed item: it
 * is reported in batchItemFailures, comes back until maxReceiveCount, then rests in the DLQ.
 */
export function sqsItems(
  event: SQSEvent,
  parseRecord: (payload: unknown, defaults: Defaults, origin: Origin) => Command,
): Item[] {
  return event.Records.map((record, i) => {
    const origin: Origin = { id: record.messageId, group: record.attributes?.MessageGroupId };
    try {
      if (typeof record.messageId !== 'string' || record.messageId === '') {
        // Without it the record can be neither deduplicated (sqs:<messageId>) nor reported alone.
        throw new PerkamoValidationError('messageId', 'required', `SQS record ${i} has no messageId, so it is not sent; this event did not come from SQS as sent`);
      }
      let payload: unknown;
      try {
        payload = JSON.parse(record.body);
      } catch {
        throw new PerkamoValidationError('', 'invalid_json', `SQS message ${record.messageId} body is not JSON`);
      }
      const sent = Number(record.attributes?.SentTimestamp);
      return {
        command: parseRecord(
          payload,
          {
            transactionId: `sqs:${record.messageId}`,
            occurredAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
          },
          origin,
        ),
      };
    } catch (error) {
      return { origin, error: error as Error };
    }
  });
}

/**
 * Only failed records are reported. In a FIFO queue, once a record of a message group fails, the
 * later records of that group are reported too, so the group is redelivered in order.
 */
export function sqsAnswer(event: SQSEvent, outcomes: Outcome[]): SQSBatchResponse {
  const failed = reportedFailed(event.Records.map((record, i) => ({ group: record.attributes?.MessageGroupId, ok: outcomes[i]?.ok === true })));
  // A record without a messageId is reported with an empty identifier, which makes Lambda fail the whole batch: it still comes back.
  return { batchItemFailures: event.Records.filter((_, i) => failed[i]).map((record) => ({ itemIdentifier: record.messageId ?? '' })) };
}

/** When the whole invocation fails (budget gone, crash), every record comes back. */
export function sqsAllFailed(event: SQSEvent): SQSBatchResponse {
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId ?? '' })) };
}

/** SQS (standard and FIFO, `ReportBatchItemFailures`): each record an item; only failed records answered. */
export const sqsSource: Source<SQSEvent> = {
  trigger: 'sqs',
  matches: isSqsEvent,
  span(event) {
    const queue = event.Records[0]?.eventSourceARN?.split(':').pop() ?? 'sqs';
    return {
      name: `process ${queue}`,
      kind: 'consumer',
      links: event.Records.map((record) => ({
        id: record.messageId,
        carrier: { traceparent: record.messageAttributes?.traceparent?.stringValue, tracestate: record.messageAttributes?.tracestate?.stringValue },
        xray: (record.attributes as { AWSTraceHeader?: string } | undefined)?.AWSTraceHeader,
      })),
      attributes: {
        [attr.faasTrigger]: 'pubsub',
        [attr.messagingSystem]: 'aws_sqs',
        [attr.messagingOperationType]: 'process',
        [attr.messagingOperationName]: 'process',
        [attr.messagingDestinationName]: queue,
        [attr.messagingBatchCount]: event.Records.length,
      },
    };
  },
  items: (request, { function: fn }) => sqsItems(request.event, recordParser(fn)),
  answer: (event, outcomes) => sqsAnswer(event, outcomes),
  failed: (event) => sqsAllFailed(event),
};
