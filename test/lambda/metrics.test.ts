// The metrics middleware on its own, with the real middy pipeline: it makes the invocation's report
// when no logging middleware did, and its EMF line's outcome follows the one rule of report.ts.
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { metrics } from '../../src/lambda/middleware/metrics.ts';
import { emitFunction } from '../../src/lambda/functions/emit.ts';
import type { PerkamoRequest } from '../../src/lambda/request.ts';
import { emfProblems } from '../helpers/log-lines.ts';

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
