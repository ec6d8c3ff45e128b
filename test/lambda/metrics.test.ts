// The metrics middleware on its own, with the real middy pipeline: it makes the invocation's report
// when no logging middleware did, and its EMF line's outcome follows the one rule of report.ts.
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { metrics } from '../../src/lambda/middleware/metrics.ts';
import { emitFunction } from '../../src/lambda/functions/emit.ts';
import type { PerkamoRequest } from '../../src/lambda/request.ts';
import { emfProblems } from '../helpers/log-lines.ts';
import { emfLine, metricUnits, type MetricDimensions } from '../../src/lambda/emf.ts';
import type { Tally } from '../../src/lambda/report.ts';

describe('metrics used without logging', () => {
  it('makes the report itself and writes one valid EMF line with the records counted', async () => {
    let seen: PerkamoRequest | undefined;
    const lines: string[] = [];
    const handler = middy()
      .use(metrics({ function: emitFunction, write: (line) => lines.push(line) }))
      .use({
        before: (request: PerkamoRequest) => {
          seen = request;
          request.internal.source = { trigger: 'direct' };
          request.internal.report!.record([], [{ ok: true, value: { applied: true } }, { ok: true, value: { duplicate: true } }]);
        },
      })
      .handler(async () => ({ ok: true }));
    await handler({}, {} as never);
    expect(seen?.internal.report).toBeDefined();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(emfProblems(line)).toEqual([]);
    expect(line).toMatchObject({ function: 'emit', trigger: 'direct', outcome: 'success', Records: 2, Applied: 1, Duplicates: 1 });
  });

  it('an error thrown back to Lambda: outcome failure', async () => {
    const lines: string[] = [];
    const handler = middy()
      .use(metrics({ function: emitFunction, write: (line) => lines.push(line) }))
      .handler(async () => {
        throw new Error('boom');
      });
    await expect(handler({}, {} as never)).rejects.toThrow('boom');
    expect(JSON.parse(lines[0]!)).toMatchObject({ outcome: 'failure', Records: 0 });
  });
});

describe('the EMF line', () => {
  it('declares exactly the metrics it writes, in metricUnits order, with and without per-call values', () => {
    const tally = { records: 2, applied: 1, duplicate: 0, refused: 1, failed: 0, budgetExhausted: false, calls: [{ ms: 12.345, attempts: 2 }] } as unknown as Tally;
    for (const calls of [tally.calls, []]) {
      const line = JSON.parse(emfLine('perkamo-lambda', { function: 'emit', trigger: 'http', outcome: 'success' } as unknown as MetricDimensions, { ...tally, calls } as Tally, { request_id: 'r1' }, 0));
      const declared = line._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
      const written = Object.keys(line).filter((key) => key in metricUnits);
      expect(written).toEqual(declared);
      expect(declared).toEqual(Object.keys(metricUnits).filter((name) => calls.length > 0 || !['PerkamoLatency', 'PerkamoAttempts'].includes(name)));
    }
  });
});
