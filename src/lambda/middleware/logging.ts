import { isSpanContextValid } from '@opentelemetry/api';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaTraceHeader, xrayTraceId } from '../../telemetry/lambda-trace-header.ts';
import type { Logger, LogLevel } from '../logger.ts';
import { InvocationReport, type PerkamoCall, type Tally } from '../report.ts';
import { toHttpError } from '../errors.ts';
import type { PerkamoRequest } from '../request.ts';
import { sourceOf } from '../sources/index.ts';
import { tenantIdOf } from '../tenant.ts';

/** Debug lines for an invocation's Perkamo calls (a 10,000-record batch makes 100): the rest are counted. */
const maxCallLines = 50;

export interface LoggingOptions {
  logger: Logger;
}

/**
 * The invocation's logger and its summary line. `before` (after tracing's, so the invocation span
 * exists) puts on `request.internal.logger` a logger whose every line carries `aws_request_id`,
 * `cold_start`, `tenant_id` under Lambda's tenant isolation, the invocation span's `trace_id` /
 * `span_id` when tracing is on and Lambda's `xray_trace_id` when there is one; and on `request.internal.report` the report the handler fills.
 * The end (after / onError / cleanup, once) writes one summary line: counts by result, the error
 * codes of refused records, the Perkamo request ids, the calls and the budget used; at debug, a
 * line per Perkamo call before it (operation, status, request id, attempts, duration, bytes).
 */
export function logging({ logger }: LoggingOptions) {
  let coldStart = true;

  const loggingBefore = (request: PerkamoRequest) => {
    const context = request.context as Context | undefined;
    const fields: Record<string, unknown> = { aws_request_id: context?.awsRequestId, cold_start: coldStart };
    coldStart = false;
    // On every line and, through logFields, on the EMF line as a property (never a dimension: one per tenant would be unbounded).
    const tenantId = tenantIdOf(context);
    if (tenantId !== undefined) fields.tenant_id = tenantId;
    const span = request.internal.span;
    const spanContext = span?.isRecording() ? span.spanContext() : undefined;
    if (spanContext && isSpanContextValid(spanContext)) {
      fields.trace_id = spanContext.traceId;
      fields.span_id = spanContext.spanId;
    }
    const xray = xrayTraceId(lambdaTraceHeader());
    if (xray) fields.xray_trace_id = xray;
    request.internal.logFields = fields;
    request.internal.logger = logger.child(fields);
    request.internal.report ??= new InvocationReport();
    request.internal.loggingCleanup = loggingCleanup;
  };

  // Synchronous for middy's after / onError (no promise to await per invocation); the cleanup
  // (an early return's) is the same work.
  const loggingEnd = (request: PerkamoRequest): void => {
    const { report, logger: invocationLogger } = request.internal;
    // Once: after an early return's cleanup, middy's own after/onError must not log again.
    if (!report || !invocationLogger || request.internal.loggingCleanup === undefined) return;
    request.internal.loggingCleanup = undefined;
    const tally = tallyOf(request)!;
    // Refused as a whole or some records not done: the caller's or the records' to fix (warn);
    // failed as a whole (a 5xx, an error thrown back to Lambda): ours (error).
    const [level, message]: [LogLevel, string] = tally.failedWhole
      ? ['error', 'invocation failed']
      : tally.outcome !== 'success'
        ? ['warn', 'invocation done with failures']
        : ['info', 'invocation done'];
    // The fields are built only for a line that is written.
    const summary = invocationLogger.enabled(level) ? invocationLogger.format(level, message, summaryFields(tally, request, report.startedAt)) : undefined;
    // At debug, a line per Perkamo call before the summary: the first 50, then how many more.
    const lines = invocationLogger.enabled('debug') ? tally.calls.slice(0, maxCallLines).map((call) => invocationLogger.format('debug', 'perkamo call', callFields(call))!) : [];
    if (lines.length > 0 && tally.calls.length > maxCallLines) lines.push(invocationLogger.format('debug', 'perkamo calls not shown', { count: tally.calls.length - maxCallLines })!);
    if (summary !== undefined) lines.push(summary);
    // One write for the invocation's lines: the summary and what the metrics middleware left (its EMF line).
    const pending = request.internal.pendingLines;
    request.internal.pendingLines = undefined;
    if (pending !== undefined) for (const line of pending) lines.push(line);
    invocationLogger.writeLines(lines);
  };
  const loggingCleanup = async (request: PerkamoRequest): Promise<void> => loggingEnd(request);

  return { before: loggingBefore, after: loggingEnd, onError: loggingEnd };
}

/** The invocation's counts, from its report and what the trigger was answered; undefined without a report. */
export function tallyOf(request: PerkamoRequest): Tally | undefined {
  const status = (request.response as Partial<APIGatewayProxyResult> | undefined)?.statusCode;
  return request.internal.report?.tally({ trigger: sourceOf(request).trigger, status: typeof status === 'number' ? status : undefined, error: request.error });
}

function summaryFields(tally: Tally, request: PerkamoRequest, startedAt: number): Record<string, unknown> {
  const now = Date.now();
  const fields: Record<string, unknown> = {
    trigger: tally.trigger,
    records: tally.records,
    applied: tally.applied,
    duplicates: tally.duplicate,
    refused: tally.refused,
    failed: tally.failed,
    perkamo_calls: tally.calls.length,
    perkamo_attempts: tally.calls.reduce((sum, call) => sum + call.attempts, 0),
    duration_ms: now - startedAt,
    budget_exhausted: tally.budgetExhausted,
  };
  const deadline = request.internal.deadline;
  if (deadline !== undefined) fields.budget_ms = Math.max(0, deadline - startedAt);
  if (Object.keys(tally.errorCodes).length > 0) fields.error_codes = tally.errorCodes;
  if (tally.requestIds.length > 0) fields.perkamo_request_ids = tally.requestIds;
  if (tally.status !== undefined) {
    fields.status = tally.status;
    // What the caller was told, when the invocation as a whole was refused (auth, a bad body) or failed.
    if (tally.status >= 400 && tally.records === 0) fields.error_code = errorCodeOf(request.response as Partial<APIGatewayProxyResult>, request.error);
  }
  if (request.error != null) {
    fields.error = request.error.name;
    fields.error_message = request.error.message;
  }
  if (tally.failures.length > 0) fields.failures = tally.failures;
  return fields;
}

/** A Perkamo call's debug line: what was asked, what came back, how long and how big. */
function callFields(call: PerkamoCall): Record<string, unknown> {
  return {
    operation: call.operation,
    ok: call.ok,
    status: call.status,
    perkamo_request_id: call.requestId,
    attempts: call.attempts,
    duration_ms: Math.round(call.ms * 10) / 10,
    request_bytes: call.requestBytes,
    response_bytes: call.responseBytes,
  };
}

function errorCodeOf(response: Partial<APIGatewayProxyResult>, error: Error | null | undefined): string | undefined {
  try {
    const code = (JSON.parse(response.body ?? '') as { error?: { code?: unknown } })?.error?.code;
    if (typeof code === 'string') return code;
  } catch {
    // Not our JSON answer (a CORS preflight, say): fall back to the error.
  }
  return error ? toHttpError(error).code : undefined;
}
