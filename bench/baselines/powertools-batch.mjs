// Baseline for SQS throughput and memory: record-by-record processing as the Powertools docs show
// it ("Async processing"): BatchProcessor(EventType.SQS) + processPartialResponse, whose record
// handler calls the Perkamo client's `emit` once per record (the perkamo-lambda/sdk client, i.e.
// dist/lib/sdk.mjs, with the same key and emulator as our functions). The transaction id is the
// body's, else derived from the messageId as our batch function does. Built by
// bench/lib/build-baselines.mjs as our function bundles are, into
// <build>/functions/powertools-batch/index.mjs, and loaded by the same worker.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { createPerkamoClient } from '../../dist/lib/sdk.mjs';

const processor = new BatchProcessor(EventType.SQS);
const perkamo = createPerkamoClient({
  apiKey: process.env.PERKAMO_SECRET_KEY,
  baseUrl: process.env.PERKAMO_BASE_URL,
});

const recordHandler = async (record) => {
  const payload = JSON.parse(record.body);
  const sent = Number(record.attributes?.SentTimestamp);
  return perkamo.emit(payload.user_id, payload.event, payload.context, {
    txId: payload.transaction_id ?? `sqs:${record.messageId}`,
    occurredAt: payload.occurred_at ?? (sent > 0 ? new Date(sent) : undefined),
  });
};

export const handler = async (event, context) => processPartialResponse(event, recordHandler, processor, { context });
