import type { APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { isTimeoutError } from '../../core/index.ts';
import { Budget } from '../budget.ts';
import { endInvocationSpan, startInvocationSpan } from '../../telemetry/invocation-span.ts';
import { telemetryHooks } from '../../telemetry/hooks.ts';
import type { PerkamoRequest } from '../request.ts';
import type { PerkamoFunction } from '../function.ts';
import { sourceOf } from '../sources/index.ts';
import { tenantIdOf } from '../tenant.ts';

export interface TracingOptions {
  function: PerkamoFunction;
  /** The invocation's time: the flush gets what is left of it, less the budget's flush margin. */
  budget: Budget;
}

/**
 * The invocation span. Use it first: its `before` opens the span before anything else runs, and
 * its `after` / `onError` end it last — with the trigger's answer (status, failed records) or the
 * error (`error.type = timeout` when the budget ran out) — then flush the layer's spans within what
 * is left of the invocation's time. A middleware that answers early (`respondEarly`, cleanup.ts)
 * runs the same ending through `request.internal.tracingCleanup`; it happens once per invocation.
 * API only: without the layer this costs next to nothing.
 */
export function tracing(options: Pick<TracingOptions, 'function'> & Partial<TracingOptions>) {
  const { function: fn } = options;
  const budget = options.budget ?? new Budget();
  let coldStart = true;

  const tracingBefore = (request: PerkamoRequest) => {
    // First: should opening the span throw, the end still calls the layer's hook, which under Lambda
    // waits for it once per invocation (after-response.ts).
    request.internal.tracingCleanup = finish;
    const context = request.context as Context | undefined;
    telemetryHooks()?.started?.(Date.now() + budget.remainingMs(context));
    const start = sourceOf(request).span(request.event, { function: fn, functionName: context?.functionName });
    const { span, context: traceContext } = startInvocationSpan(start, {
      functionName: context?.functionName,
      invokedFunctionArn: context?.invokedFunctionArn,
      awsRequestId: context?.awsRequestId,
      tenantId: tenantIdOf(context),
      coldStart,
    });
    coldStart = false;
    request.internal.span = span;
    request.internal.traceContext = traceContext;
  };

  const finish = async (request: PerkamoRequest): Promise<void> => {
    // Once: after an early return's cleanup, an error thrown later must not end the span again.
    if (request.internal.tracingCleanup === undefined) return;
    request.internal.tracingCleanup = undefined;
    const span = request.internal.span;
    try {
      if (span) {
        const response = request.response as Partial<APIGatewayProxyResult & SQSBatchResponse> | undefined;
        const failures = response?.batchItemFailures;
        const total = (request.internal.rawEvent as SQSEvent | undefined)?.Records?.length;
        endInvocationSpan(span, {
          status: typeof response?.statusCode === 'number' ? response.statusCode : undefined,
          failed: Array.isArray(failures) ? failures.length : undefined,
          total,
          // An error the trigger turned into an answer (HTTP, SQS) is told by that answer — except
          // running out of time, which the span says as error.type = timeout.
          error: request.error && (response === undefined || isTimeoutError(request.error)) ? request.error : undefined,
        });
      }
    } finally {
      // Whatever happened to the span: under Lambda the layer's extension waits for this call.
      const hooks = telemetryHooks();
      if (hooks) await hooks.flush(Math.max(0, budget.remainingMs(request.context) - budget.flushMarginMs));
    }
  };

  return { before: tracingBefore, after: finish, onError: finish };
}

