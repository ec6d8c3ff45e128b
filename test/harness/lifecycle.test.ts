// The execution environment's lifecycle under the harness, on Node 22 and 24: frozen between
// invocations, Lambda's SHUTDOWN phase, an external extension, and concurrent invocations
// (Lambda Managed Instances' AWS_LAMBDA_MAX_CONCURRENCY).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect } from 'vitest';
import { lambdaNodeMajors } from '../../dev/harness/index.ts';
import { alive, fixture, lambdaNodeSuite, sleep } from './support.ts';

describe.each(lambdaNodeMajors)('the Lambda harness on Node %i', (major) => {
  const suite = lambdaNodeSuite(major);

  suite.test('freezes the environment between invocations: work left running stops, and resumes on the next', async () => {
    const file = join(suite.folder(), 'ticks');
    const env = await suite.start({ taskRoot: fixture('basic') });
    // The handler starts an interval writing a counter every 10 ms, and returns 100 ms later, leaving it running.
    const started = await env.invoke({ action: 'ticker', file, ms: 100 });
    expect(started.ok).toBe(true);
    expect(env.state).toBe('frozen');
    const ticks = () => Number(readFileSync(file, 'utf8'));
    const atFreeze = ticks();
    expect(atFreeze).toBeGreaterThanOrEqual(3);
    await sleep(300);
    const later = ticks();
    // Frozen: not one tick in 300 ms (it would be ~30).
    expect(later).toBe(atFreeze);

    // Thawed for the next invocation (~200 ms), the interval runs again; frozen again after it.
    const next = await env.invoke({ action: 'sleep', ms: 200 });
    expect(next.ok).toBe(true);
    const afterNext = ticks();
    expect(afterNext).toBeGreaterThanOrEqual(later + 5);
    await sleep(200);
    expect(ticks()).toBe(afterNext);
  });

  suite.test('SHUTDOWN: an internal extension’s process gets SIGTERM before SIGKILL', async () => {
    const markers = suite.folder();
    const env = await suite.start({
      taskRoot: fixture('basic'),
      env: { NODE_OPTIONS: `--import ${fixture('internal-extension.mjs')}`, HARNESS_MARKER_DIR: markers },
    });
    expect((await env.invoke({})).ok).toBe(true);
    const pid = env.pid!;
    expect(alive(pid)).toBe(true);
    await env.shutdown();
    expect(existsSync(join(markers, 'sigterm-extension'))).toBe(true);
    expect(alive(pid)).toBe(false);
    expect(env.state).toBe('shut down');
    await expect(env.invoke({})).rejects.toThrow(/shut down/);
  });

  suite.test('SHUTDOWN: without extensions the process is killed at once (no SIGTERM)', async () => {
    const markers = suite.folder();
    const env = await suite.start({ taskRoot: fixture('basic'), env: { HARNESS_MARKER_DIR: markers } });
    expect((await env.invoke({})).ok).toBe(true);
    const pid = env.pid!;
    const started = performance.now();
    await env.shutdown();
    expect(performance.now() - started).toBeLessThan(400);
    expect(alive(pid)).toBe(false);
    // The handler's SIGTERM handler would have written this file.
    expect(existsSync(join(markers, 'sigterm-handler'))).toBe(false);
  });

  suite.test('starts an external extension before the runtime; it gets INVOKE events and SHUTDOWN', async () => {
    const markers = suite.folder();
    const env = await suite.start({ taskRoot: fixture('basic'), extensions: [fixture('extensions', 'harness-external')], env: { HARNESS_MARKER_DIR: markers } });
    const result = await env.invoke({});
    expect(result.ok).toBe(true);
    await env.shutdown();
    const lines = readFileSync(join(markers, 'external-events'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({
      registered: { functionName: 'basic', functionVersion: '$LATEST', handler: 'index.handler' },
      // Same environment as the function, minus what Lambda keeps from extensions.
      env: { handler: 'index.handler', xrayContextMissing: null },
    });
    expect(lines[1]).toMatchObject({ eventType: 'INVOKE', requestId: result.requestId, tracing: { value: result.traceHeader } });
    expect(lines[2]).toMatchObject({ eventType: 'SHUTDOWN', shutdownReason: 'spindown' });
    expect(lines[2].deadlineMs).toBeGreaterThan(lines[1].deadlineMs - 3000);
    expect(lines).toHaveLength(3);
  });

  suite.test('runs invocations concurrently with AWS_LAMBDA_MAX_CONCURRENCY, each with its own answer', async () => {
    const env = await suite.start({
      taskRoot: fixture('basic'),
      env: { AWS_LAMBDA_MAX_CONCURRENCY: '4', AWS_LAMBDA_NODEJS_WORKER_COUNT: '4' },
    });
    expect(env.maxConcurrency).toBe(4);
    expect((await env.init()).error).toBeUndefined();
    const started = performance.now();
    const results = await Promise.all([0, 1, 2, 3].map((n) => env.invoke({ action: 'sleep', ms: 300, n })));
    const wall = performance.now() - started;
    // One at a time would take ≥ 1200 ms.
    expect(wall).toBeLessThan(900);
    for (const [n, result] of results.entries()) {
      expect(result.ok).toBe(true);
      // About the handler's 300 ms: the two processes' clocks are read at slightly different
      // moments (delivery is stamped after the write, on a busy loop), so a few ms either way.
      expect(result.responseMs).toBeGreaterThanOrEqual(280);
      expect(result.payload).toMatchObject({ requestId: result.requestId, event: { n } });
      // Several invocations share a process: the trace header goes through the invoke store, not the environment.
      expect((result.payload as any).xRayTraceId).toBe(result.traceHeader);
    }
    expect(new Set(results.map((result) => result.requestId)).size).toBe(4);
    // Not frozen between invocations.
    expect(env.state).toBe('ready');
    // A fifth invocation queues behind four running ones.
    const five = await Promise.all([0, 1, 2, 3, 4].map((n) => env.invoke({ action: 'sleep', ms: 200, n })));
    expect(five.every((result) => result.ok)).toBe(true);
  });
});
