// CloudWatch Embedded Metric Format: one JSON line on stdout per invocation, which CloudWatch Logs
// turns into metrics — no API call, no dependency, nothing to flush. Spec:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import { jsonMembers } from './logger.ts';
import type { InvocationOutcome, PerkamoCall, Tally } from './report.ts';

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
  const calls = tally.calls;
  let retries = 0;
  for (const call of calls) retries += call.attempts - 1;
  // The values are numbers only, written out in the order of `metricUnits`: no object to build and
  // serialise (with the directives' lookup, that was most of the line's cost).
  let values = `"Records":${number(tally.records)},"Applied":${number(tally.applied)},"Duplicates":${number(tally.duplicate)},"Refused":${number(tally.refused)},"Failed":${number(tally.failed)},"BudgetExhausted":${tally.budgetExhausted ? 1 : 0},"PerkamoCalls":${calls.length},"PerkamoRetries":${number(retries)}`;
  const perCall = Math.min(calls.length, maxValues);
  if (perCall > 0) {
    let latency = '';
    let attempts = '';
    for (let i = 0; i < perCall; i++) {
      const call = calls[i] as PerkamoCall;
      const comma = i === 0 ? '' : ',';
      latency += `${comma}${number(Math.round(call.ms * 100) / 100)}`;
      attempts += `${comma}${number(call.attempts)}`;
    }
    values += `,"PerkamoLatency":[${latency}],"PerkamoAttempts":[${attempts}]`;
  }
  const directives = directivesJson(namespace, dimensions, perCall > 0);
  const members = jsonMembers(properties, dimensions);
  return `{"_aws":{"Timestamp":${timestamp},"CloudWatchMetrics":${directives}},${members === '{}' ? '' : `${members.slice(1, -1)},`}${values}}`;
}

/** A number as JSON.stringify writes it (NaN and ±Infinity as null). */
const number = (value: number): string => (Number.isFinite(value) ? `${value}` : 'null');

/**
 * The `CloudWatchMetrics` array as JSON. It is the same for every invocation of a function (two
 * variants: with and without the per-call metrics; the dimensions' names are MetricDimensions'
 * three), so it is made once per namespace.
 */
const directivesCache = new Map<string, { withCalls: string; withoutCalls: string }>();
function directivesJson(namespace: string, dimensions: MetricDimensions, withCalls: boolean): string {
  let cached = directivesCache.get(namespace);
  if (cached === undefined) {
    const names = Object.keys(dimensions);
    const directives = (metrics: MetricName[]) =>
      JSON.stringify([{ Namespace: namespace, Dimensions: [names], Metrics: metrics.map((Name) => ({ Name, Unit: metricUnits[Name] })) }]);
    const all = Object.keys(metricUnits) as MetricName[];
    // The per-call metrics are the last two.
    cached = { withCalls: directives(all), withoutCalls: directives(all.slice(0, -2)) };
    directivesCache.set(namespace, cached);
  }
  return withCalls ? cached.withCalls : cached.withoutCalls;
}
