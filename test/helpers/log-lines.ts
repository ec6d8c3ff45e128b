// What every line the functions print must look like: the checks the log and metrics tests share.
// EMF structure per the CloudWatch Embedded Metric Format specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import { expect } from 'vitest';

/** The units the EMF specification allows. */
const emfUnits = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits',
  'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second',
  'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second',
  'Terabits/Second', 'Count/Second', 'None',
]);

/** The problems of an EMF object, [] when it follows the specification's structure. */
export function emfProblems(line: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = line._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof aws !== 'object' || aws === null) return ['no _aws object'];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) < 1e12) problems.push('_aws.Timestamp: not epoch milliseconds');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0) return [...problems, '_aws.CloudWatchMetrics: not a non-empty array'];
  for (const [i, directive] of (aws.CloudWatchMetrics as Record<string, unknown>[]).entries()) {
    const at = `CloudWatchMetrics[${i}]`;
    const ns = directive.Namespace;
    if (typeof ns !== 'string' || ns.length < 1 || ns.length > 255 || /^AWS\//.test(ns)) problems.push(`${at}.Namespace: ${JSON.stringify(ns)}`);
    if (!Array.isArray(directive.Dimensions)) problems.push(`${at}.Dimensions: not an array`);
    else {
      for (const set of directive.Dimensions as unknown[]) {
        if (!Array.isArray(set) || set.length > 30) problems.push(`${at}.Dimensions: a set is not an array of at most 30`);
        else for (const key of set) if (typeof line[key as string] !== 'string') problems.push(`${at}: dimension ${key} is not a string member`);
      }
    }
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length > 100) problems.push(`${at}.Metrics: not an array of at most 100`);
    else {
      for (const metric of directive.Metrics as { Name?: unknown; Unit?: unknown }[]) {
        const name = metric.Name;
        if (typeof name !== 'string' || name.length < 1 || name.length > 1024) problems.push(`${at}: metric name ${JSON.stringify(name)}`);
        if (metric.Unit !== undefined && !emfUnits.has(metric.Unit as string)) problems.push(`${at}: ${String(name)} has unit ${JSON.stringify(metric.Unit)}`);
        const value = line[name as string];
        const values = Array.isArray(value) ? value : [value];
        if (values.length === 0 || values.length > 100 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
          problems.push(`${at}: ${String(name)} has no numeric value (or over 100) at the root: ${JSON.stringify(value)}`);
        }
      }
    }
  }
  return problems;
}

export const levels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** A line of the functions' own logger (not EMF, not the runtime client's). */
export function expectLoggerLine(line: Record<string, unknown>): void {
  expect(levels, JSON.stringify(line)).toContain(line.level);
  expect(line.message, JSON.stringify(line)).toBeTypeOf('string');
  expect(Number.isNaN(Date.parse(String(line.timestamp))), JSON.stringify(line)).toBe(false);
  expect(line.function_name, JSON.stringify(line)).toBeTypeOf('string');
}

/** A line written during an invocation: tied to it, and to its trace when tracing is on. */
export function expectInvocationLine(line: Record<string, unknown>, traced: boolean): void {
  expectLoggerLine(line);
  expect(line.aws_request_id, JSON.stringify(line)).toBeTypeOf('string');
  expect(line.cold_start, JSON.stringify(line)).toBeTypeOf('boolean');
  if (traced) {
    expect(line.trace_id, JSON.stringify(line)).toMatch(/^[0-9a-f]{32}$/);
    expect(line.span_id, JSON.stringify(line)).toMatch(/^[0-9a-f]{16}$/);
  }
}

/** Every line parsed; throws naming the first line that is not one JSON object. */
export function parseLines(text: string | readonly string[]): Record<string, unknown>[] {
  const lines = typeof text === 'string' ? text.split('\n') : text;
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`a log line is not JSON: ${line.slice(0, 300)}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`a log line is not a JSON object: ${line.slice(0, 300)}`);
      return parsed as Record<string, unknown>;
    });
}
