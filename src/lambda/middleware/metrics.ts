import type { APIGatewayProxyResult } from 'aws-lambda';
import { emfLine, invocationOutcome } from '../emf.ts';
import type { Operation } from '../operations.ts';
import type { PerkamoRequest } from '../request.ts';

export interface MetricsOptions {
  operation: Operation;
  /** CloudWatch namespace (PERKAMO_METRICS_NAMESPACE). */
  namespace: string;
  /** Where the EMF line goes: stdout, which Lambda sends to CloudWatch Logs. */
  write: (line: string) => void;
}

const defaults = { namespace: 'PerkamoLambda', write: (line: string) => void process.stdout.write(`${line}\n`) };

/**
 * One EMF line per invocation (emf.ts), dimensions function × trigger × outcome. Use it right after
 * `logging`, which puts the invocation's report on `request.internal`. The end runs once (after,
 * onError, or an early return's cleanup).
 */
export function metrics(options: Pick<MetricsOptions, 'operation'> & Partial<MetricsOptions>) {
  const { operation, namespace, write } = { ...defaults, ...options };

  const metricsBefore = (request: PerkamoRequest) => {
    request.internal.metricsCleanup = metricsEnd;
  };

  const metricsEnd = async (request: PerkamoRequest): Promise<void> => {
    const report = request.internal.report;
    if (!report || request.internal.metricsCleanup === undefined) return;
    request.internal.metricsCleanup = undefined;
    const tally = report.tally(request.internal.trigger, request.error);
    const status = (request.response as Partial<APIGatewayProxyResult> | undefined)?.statusCode;
    // Refused as a whole (a 4xx before any record), a 5xx, or an error thrown back to Lambda.
    const failedAsAWhole = typeof status === 'number' ? (status >= 400 && tally.records === 0) || status >= 500 : request.error != null;
    const dimensions = { function: operation.name, trigger: tally.trigger ?? 'unknown', outcome: invocationOutcome(tally, failedAsAWhole) };
    write(emfLine(namespace, dimensions, tally, request.internal.logFields ?? {}));
  };

  return { before: metricsBefore, after: metricsEnd, onError: metricsEnd };
}
