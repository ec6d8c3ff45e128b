// Many invocations in one process, as Lambda Managed Instances run them, with the variables the
// packaged template gives a function on Managed Instances (managedInstances=emit,batch): Lambda's
// AWS_LAMBDA_MAX_CONCURRENCY=4 from the capacity-provider configuration, the template's worker count
// and libuv pool; no freeze between invocations, no _X_AMZN_TRACE_ID (the trace header lives in the
// runtime's invoke store). 16 overlapping invocations of emit and of batch each get their own
// answer, deadline, log line and trace.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InvokeResult, LambdaEnvironment, LambdaNodeMajor } from '../../dev/harness/index.ts';
import { httpApiEvent, sqsEvent } from '../helpers/aws-events.ts';
import { managedInstancesParams, useDeployedStack } from './deployed-stack.ts';

/** Seconds: room for 16 overlapping invocations on a loaded 2-core CI machine, short enough to wait out a hang. */
const timeoutSeconds = 6;
const overlapping = 16;

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: AWS_LAMBDA_MAX_CONCURRENCY=4 under the real runtime client', (major) => {
  const envs: Record<string, LambdaEnvironment> = {};
  const stack = useDeployedStack(major, { timeout: String(timeoutSeconds), ...managedInstancesParams(['emit', 'batch'], 4) }, async (stack) => {
    envs.emit = await stack.start('emit');
    envs.batch = await stack.start('batch');
    await Promise.all([envs.emit.init(), envs.batch.init()]);
  });

  const summaries = (env: LambdaEnvironment) =>
    env.logs.flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { message?: string; aws_request_id?: string };
        return entry.message?.startsWith('invocation done') ? [entry] : [];
      } catch {
        return [];
      }
    });

  it(`${overlapping} overlapping invocations each of emit and batch: own answer, log line and trace`, async () => {
    const auth = await stack.bearer('backend', ['perkamo:emit']);
    const calls = Array.from({ length: overlapping }, (_, i) => ({
      i,
      user: `mc-${major}-${i}-${randomUUID()}`,
      traceId: randomBytes(16).toString('hex'),
      parentId: randomBytes(8).toString('hex'),
      batchParentId: randomBytes(8).toString('hex'),
    }));
    // emit and batch continue traces of their own: the same trace id, a different parent each.
    const traced = (c: (typeof calls)[number], fn: 'emit' | 'batch') => ({ ...auth, traceparent: `00-${c.traceId}-${fn === 'emit' ? c.parentId : c.batchParentId}-01` });
    const [emits, batches] = await Promise.all([
      Promise.all(calls.map(async (c) => envs.emit!.invoke(httpApiEvent('POST /events', { user_id: c.user, event: 'purchase.completed', context: { amount: 100 * (c.i + 1) }, transaction_id: `e-${c.user}` }, traced(c, 'emit'))))),
      Promise.all(calls.map(async (c) => envs.batch!.invoke(httpApiEvent('POST /events/batch', { events: [{ user_id: c.user, event: 'lesson.finished', transaction_id: `b-${c.user}` }] }, traced(c, 'batch'))))),
    ]);

    for (const [name, results] of [['emit', emits], ['batch', batches]] as const) {
      expect(new Set(results.map((r) => r.requestId)).size).toBe(overlapping);
      for (const [i, r] of results.entries()) {
        expect(r.ok, `${name} #${i}: ${JSON.stringify(r.error)}`).toBe(true);
        expect((r.payload as { statusCode: number }).statusCode, `${name} #${i}: ${(r.payload as { body?: string }).body}`).toBe(200);
      }
      // Each invocation's own answer: emit's points follow its own amount.
      if (name === 'emit') {
        for (const [i, r] of results.entries()) {
          expect(JSON.parse((r.payload as { body: string }).body).delta).toEqual([{ wallet: 'points', amount: i + 1 }]);
        }
      }
      // One summary line per invocation, carrying that invocation's request id. A worker thread's
      // stdout reaches the process asynchronously: the last lines may land just after the answer.
      await expect
        .poll(() => summaries(envs[name]!).map((l) => l.aws_request_id).filter((id) => results.some((r) => r.requestId === id)).sort(), { timeout: 3_000 })
        .toEqual(results.map((r) => r.requestId).sort());
    }
    // Invocations really overlapped (the harness ran up to 4 at once).
    const emitEnv = envs.emit!;
    expect(emitEnv.maxConcurrency).toBe(4);

    const ledger = stack.emulator.ledger().events;
    for (const c of calls) {
      expect(ledger.filter((e) => e.user_id === c.user).map((e) => e.transaction_id).sort()).toEqual([`b-${c.user}`, `e-${c.user}`]);
    }

    // Each SERVER span continues its own traceparent and carries its own invocation id.
    for (const [fn, results] of [['emit', emits], ['batch', batches]] as const) {
      for (const [i, r] of results.entries()) {
        const spans = await stack.traceOf(r.requestId);
        const root = spans.find((s) => s.attributes['faas.invocation_id'] === r.requestId)!;
        expect(root.traceId).toBe(calls[i]!.traceId);
        expect(root.parentSpanId).toBe(fn === 'emit' ? calls[i]!.parentId : calls[i]!.batchParentId);
        // Under it, this invocation's Perkamo operation and nothing of another invocation.
        const own = spans.filter((s) => s.parentSpanId === root.spanId);
        expect(own.map((s) => s.name)).toEqual([expect.stringMatching(/^perkamo (emit|batch)$/)]);
      }
    }
  }, 60_000);

  it('each invocation keeps its own deadline: the one whose Perkamo call hangs answers 504 in its budget, the others at once', async () => {
    stack.emulator.setFaults([{ kind: 'hang', routes: ['/v1/events', '/v1/events:batch'], times: 1 }]);
    const auth = await stack.bearer('backend', ['perkamo:emit']);
    const results: InvokeResult[] = await Promise.all(
      Array.from({ length: 8 }, (_, i) => envs.emit!.invoke(httpApiEvent('POST /events', { user_id: `dl-${major}-${i}`, event: 'page.viewed', transaction_id: `dl-${major}-${i}-${randomUUID()}` }, auth))),
    );
    const status = (r: InvokeResult) => (r.payload as { statusCode: number }).statusCode;
    const late = results.filter((r) => status(r) === 504);
    expect(late).toHaveLength(1);
    expect(late[0]!.timedOut).toBe(false);
    // It ran to its own budget (the timeout less the reserve) and answered before Lambda's timeout.
    expect(late[0]!.durationMs).toBeGreaterThan(timeoutSeconds * 1000 - 1_500);
    expect(late[0]!.durationMs).toBeLessThan(timeoutSeconds * 1000);
    const prompt = results.filter((r) => r !== late[0]);
    expect(prompt.map(status)).toEqual(prompt.map(() => 200));
    expect(Math.max(...prompt.map((r) => r.durationMs))).toBeLessThan(late[0]!.durationMs);
  }, 30_000);

  it('with xray-lambda, each overlapping invocation continues its own X-Ray header, read from the invoke store', async () => {
    const xray = await stack.start('batch', { OTEL_PROPAGATORS: 'tracecontext,baggage,xray-lambda' });
    try {
      const headers = Array.from({ length: 8 }, () => ({
        root: `${Math.floor(Date.now() / 1000).toString(16)}${randomBytes(12).toString('hex')}`,
        parent: randomBytes(8).toString('hex'),
      }));
      const results = await Promise.all(
        headers.map((h, i) =>
          xray.invoke(sqsEvent([{ body: { user_id: `xr-${major}-${i}`, event: 'page.viewed' } }]), {
            traceHeader: `Root=1-${h.root.slice(0, 8)}-${h.root.slice(8)};Parent=${h.parent};Sampled=1`,
          }),
        ),
      );
      for (const [i, r] of results.entries()) {
        expect(r.payload).toEqual({ batchItemFailures: [] });
        const spans = await stack.traceOf(r.requestId);
        const root = spans.find((s) => s.attributes['faas.invocation_id'] === r.requestId)!;
        expect(root.traceId).toBe(headers[i]!.root);
        expect(root.parentSpanId).toBe(headers[i]!.parent);
      }
    } finally {
      await xray.shutdown();
    }
  }, 30_000);

  it("the template sizes libuv's pool: left at 4 threads under the runtime client's default 16 workers, the parked polls starve the key read", async () => {
    // The runtime client's defaults on a 2-vCPU environment (8 workers per CPU) with libuv's default pool.
    const starved = await stack.start('emit', { UV_THREADPOOL_SIZE: '4', AWS_LAMBDA_NODEJS_WORKER_COUNT: '16' });
    try {
      const event = httpApiEvent('POST /events', { user_id: `starved-${major}`, event: 'page.viewed', transaction_id: `starved-${major}-${randomUUID()}` }, await stack.bearer('backend', ['perkamo:emit']));
      const result = await starved.invoke(event);
      // The token is checked on the main thread (node:crypto), but the AWS SDK's file reads queue
      // behind the parked polls: the key read gives up after its 2 s, and the invocation answers 500
      // in time rather than letting Lambda kill it. Perkamo is never called.
      expect(result.timedOut).toBe(false);
      expect(result.durationMs).toBeGreaterThan(2_000);
      const answer = result.payload as { statusCode: number; body: string };
      expect(answer.statusCode).toBe(500);
      expect(starved.logs.some((line) => line.includes('"error":"SecretLoadError"'))).toBe(true);
      expect(stack.emulator.ledger().requests.total).toBe(0);
      // The same request where the template sized the pool (one worker, five threads): answered at once.
      const sized = await envs.emit!.invoke(event);
      expect((sized.payload as { statusCode: number }).statusCode).toBe(200);
      expect(sized.durationMs).toBeLessThan(2_000);
    } finally {
      await starved.shutdown();
    }
  }, 30_000);
});
