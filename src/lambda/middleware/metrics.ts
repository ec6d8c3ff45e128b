import { emfLine } from '../emf.ts';
import type { PerkamoFunction } from '../function.ts';
import { InvocationReport } from '../report.ts';
import { tallyOf } from './logging.ts';
import type { PerkamoRequest } from '../request.ts';

export interface MetricsOptions {
  function: PerkamoFunction;
  /** CloudWatch namespace (PERKAMO_METRICS_NAMESPACE). */
  namespace: string;
  /** Where the EMF line goes: stdout, which Lambda sends to CloudWatch Logs. */
  write: (line: string) => void;
}

const defaults = { namespace: 'PerkamoLambda', write: (line: string) => void process.stdout.write(`${line}\n`) };

/**
 * One EMF line per invocation (emf.ts), dimensions function × trigger × outcome. Use it right after
 * `logging` (whose ids it repeats as properties); it shares the invocation's report on
 * `request.internal`, and makes one when used alone. The end runs once (after, onError, or an
 * early return's cleanup).
 */
export function metrics(options: Pick<MetricsOptions, 'function'> & Partial<MetricsOptions>) {
  const { function: fn, namespace, write } = { ...defaults, ...options };

  const metricsBefore = (request: PerkamoRequest) => {
    request.internal.report ??= new InvocationReport();
    request.internal.metricsCleanup = metricsCleanup;
  };

  // Synchronous for middy's after / onError (no promise to await per invocation); the cleanup
  // (an early return's) is the same work.
  const metricsEnd = (request: PerkamoRequest): void => {
    if (request.internal.metricsCleanup === undefined) return;
    request.internal.metricsCleanup = undefined;
    const tally = tallyOf(request);
    if (!tally) return;
    const dimensions = { function: fn.name, trigger: tally.trigger ?? 'unknown', outcome: tally.outcome };
    const line = emfLine(namespace, dimensions, tally, request.internal.logFields ?? {});
    // With the logging middleware still to end, it writes this line with its summary: one write per invocation.
    if (request.internal.loggingCleanup !== undefined && options.write === undefined) (request.internal.pendingLines ??= []).push(line);
    else write(line);
  };
  const metricsCleanup = async (request: PerkamoRequest): Promise<void> => metricsEnd(request);

  return { before: metricsBefore, after: metricsEnd, onError: metricsEnd };
}
