// CloudWatch Embedded Metric Format: one JSON line on stdout per invocation, which CloudWatch Logs
// turns into metrics — no API call, no dependency, nothing to flush. Spec:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import { jsonMembers } from './logger.ts';
import type { InvocationOutcome, Tally } from './report.ts';

/** Low-cardinality only: the operation (emit, batch, …), the trigger, and how the invocation went. */
export interface MetricDimensions {
  function: string;
  trigger: string;
  outcome: InvocationOutcome;
}


/** EMF's limit on values per metric; past it a line is rejected. */
const maxValues = 100;

export const metricUnits = {
  Records: 'Count',
  Applied: 'Count',
  Duplicates: 'Count',
  Refused: 'Count',
  Failed: 'Count',
  BudgetExhausted: 'Count',
  PerkamoCalls: 'Count',
  PerkamoRetries: 'Count',
  PerkamoLatency: 'Milliseconds',
  PerkamoAttempts: 'Count',
} as const;

export type MetricName = keyof typeof metricUnits;

/**
 * The EMF line of one invocation. Per-call metrics (latency, attempts) are value arrays, one value
 * per Perkamo call (at most 100), and are left out when no call was made. `properties` are searchable
 * fields that are not dimensions (the request and trace ids).
 */
export function emfLine(namespace: string, dimensions: MetricDimensions, tally: Tally, properties: Record<string, unknown>, timestamp = Date.now()): string {
  const calls = tally.calls.slice(0, maxValues);
  const values: Partial<Record<MetricName, number | number[]>> = {
    Records: tally.records,
    Applied: tally.applied,
    Duplicates: tally.duplicate,
    Refused: tally.refused,
    Failed: tally.failed,
    BudgetExhausted: tally.budgetExhausted ? 1 : 0,
    PerkamoCalls: tally.calls.length,
    PerkamoRetries: tally.calls.reduce((sum, call) => sum + call.attempts - 1, 0),
  };
  if (calls.length > 0) {
    values.PerkamoLatency = calls.map((call) => Math.round(call.ms * 100) / 100);
    values.PerkamoAttempts = calls.map((call) => call.attempts);
  }
  const directives = directivesJson(namespace, Object.keys(dimensions), Object.keys(values) as MetricName[]);
  const aws = `"_aws":{"Timestamp":${timestamp},"CloudWatchMetrics":${directives}}`;
  const members = jsonMembers(properties, dimensions, values);
  return members === '{}' ? `{${aws}}` : `{${aws},${members.slice(1)}`;
}

/**
 * The `CloudWatchMetrics` array as JSON. It is the same for every invocation of a function (two
 * variants: with and without the per-call metrics), so it is serialised once: building it each time
 * was most of the line's cost.
 */
const directivesCache = new Map<string, string>();
function directivesJson(namespace: string, dimensions: string[], names: MetricName[]): string {
  const key = `${namespace}\n${dimensions.join(',')}\n${names.join(',')}`;
  let json = directivesCache.get(key);
  if (json === undefined) {
    json = JSON.stringify([{ Namespace: namespace, Dimensions: [dimensions], Metrics: names.map((Name) => ({ Name, Unit: metricUnits[Name] })) }]);
    directivesCache.set(key, json);
  }
  return json;
}
