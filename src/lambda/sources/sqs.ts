import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { PerkamoValidationError } from '../../core/index.ts';
import type { Command, Item, Origin, Outcome } from '../invocation.ts';
import { attr } from '../../telemetry/attributes.ts';
import { reportedFailed } from '../fifo.ts';
import { recordParser } from '../function.ts';
import { isoFormatter } from '../iso-time.ts';
import type { Defaults } from '../payload.ts';
import type { InvocationSpanLink } from '../../telemetry/invocation-span.ts';
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
  const records = event.Records;
  const items = new Array<Item>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as SQSRecord;
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
      const defaults: Defaults = { transactionId: `sqs:${record.messageId}`, occurredAt: sentAt(record), ownPayload: true };
      items[i] = { command: parseRecord(payload, defaults, origin) };
    } catch (error) {
      items[i] = { origin, error: error as Error };
    }
  }
  return items;
}

let lastSentText: string | undefined;
let lastSentIso: string | undefined;
const sentIso = isoFormatter();

/**
 * The record's SentTimestamp as Date#toISOString writes it. The records of a batch come close
 * together: one with the same text as the last takes its answer, one in the same second has only
 * its milliseconds written (isoFormatter).
 */
function sentAt(record: SQSRecord): string | undefined {
  const text = record.attributes?.SentTimestamp;
  // The same text as the last valid one (a batch's records share it): the same time, not parsed again.
  if (text === lastSentText && typeof text === 'string') return lastSentIso;
  const sent = Number(text);
  if (!(Number.isFinite(sent) && sent > 0)) return undefined;
  // Whole milliseconds, as a Date keeps them. Past the year 275760 this throws: the record fails, as an invalid one.
  lastSentIso = sentIso(Math.trunc(sent));
  lastSentText = typeof text === 'string' ? text : undefined;
  return lastSentIso;
}

/**
 * Only failed records are reported. In a FIFO queue, once a record of a message group fails, the
 * later records of that group are reported too, so the group is redelivered in order.
 */
export function sqsAnswer(event: SQSEvent, outcomes: Outcome[]): SQSBatchResponse {
  const records = event.Records;
  // Nothing failed, nothing to report (a group stops only at a failure): the records need not be read again.
  let allOk = true;
  for (let i = 0; i < records.length && allOk; i++) allOk = outcomes[i]?.ok === true;
  if (allOk) return { batchItemFailures: [] };
  const failed = reportedFailed(records.length, (i) => records[i]?.attributes?.MessageGroupId, (i) => outcomes[i]?.ok === true);
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  // A record without a messageId is reported with an empty identifier, which makes Lambda fail the whole batch: it still comes back.
  for (let i = 0; i < records.length; i++) if (failed[i]) batchItemFailures.push({ itemIdentifier: (records[i] as SQSRecord).messageId ?? '' });
  return { batchItemFailures };
}

/** When the whole invocation fails (budget gone, crash), every record comes back. */
export function sqsAllFailed(event: SQSEvent): SQSBatchResponse {
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId ?? '' })) };
}

/**
 * The producers' contexts to link: a record that carries none (no traceparent, tracestate or X-Ray
 * header) makes no link. Read as the span takes them: once it has its `maxLinks`, the other records
 * of a large batch are not looked at.
 */
function* links(records: SQSRecord[]): Generator<InvocationSpanLink> {
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as SQSRecord;
    const traceparent = record.messageAttributes?.traceparent?.stringValue;
    const tracestate = record.messageAttributes?.tracestate?.stringValue;
    const xray = (record.attributes as { AWSTraceHeader?: string } | undefined)?.AWSTraceHeader;
    if (traceparent === undefined && tracestate === undefined && xray === undefined) continue;
    yield { id: record.messageId, carrier: { traceparent, tracestate }, xray };
  }
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
      links: links(event.Records),
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
