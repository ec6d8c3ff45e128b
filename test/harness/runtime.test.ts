// The harness runs the real Lambda Node runtime client (aws-lambda-ric) on Node 22 and 24 through
// its loopback Runtime and Extensions APIs: answers, errors, timeouts, init errors, and the
// durations Lambda reports (init, response, post-runtime).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { lambdaNodeMajors, lambdaTraceHeaderPattern } from '../../dev/harness/index.ts';
import { alive, fixture, lambdaNodeSuite } from './support.ts';

describe.each(lambdaNodeMajors)('the Lambda harness on Node %i', (major) => {
  const suite = lambdaNodeSuite(major);

  suite.test('runs a handler through the real runtime client, with Lambda’s default X-Ray header', async () => {
    const seen: string[] = [];
    const env = await suite.start({
      taskRoot: fixture('basic'),
      functionName: 'harness-basic',
      memoryMb: 256,
      env: { PERKAMO_FIXTURE: 'given' },
      onLog: (line, source) => seen.push(`${source.process}:${line}`),
    });
    const first = await env.invoke({ hello: 'world' });
    expect(first.error).toBeUndefined();
    expect(first.ok).toBe(true);
    const answer = first.payload as Record<string, any>;
    expect(answer.event).toEqual({ hello: 'world' });
    expect(answer.requestId).toBe(first.requestId);
    expect(first.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(answer.node).toMatch(new RegExp(`^v${major}\\.`));
    // The trace header reaches the handler (single concurrency: process.env._X_AMZN_TRACE_ID), unsampled.
    expect(first.traceHeader).toMatch(lambdaTraceHeaderPattern);
    expect(first.traceHeader).toMatch(/;Sampled=0$/);
    expect(answer.traceEnv).toBe(first.traceHeader);
    expect(answer.xRayTraceId).toBe(first.traceHeader);
    // Lambda's environment and context, and the bootstrap's node arguments.
    expect(answer.env).toMatchObject({
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${major}.x`,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: fixture('basic'),
      PERKAMO_FIXTURE: 'given',
      AWS_REGION: 'eu-central-1',
    });
    expect(answer.cwd).toBe(fixture('basic'));
    expect(answer.execArgv).toEqual(['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=4', '--max-old-space-size=231']);
    expect(answer).toMatchObject({ functionName: 'harness-basic', memoryLimitInMB: '256', invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:harness-basic' });
    expect(answer.remainingMs).toBeGreaterThan(2000);
    expect(answer.remainingMs).toBeLessThanOrEqual(3000);
    // The cold start reports its init; the runtime client's log lines carry the request id.
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(first.logs.some((line) => line.includes(first.requestId) && line.includes('fixture handling echo'))).toBe(true);

    // Warm: same process, no init, a fresh request id and trace header — or the caller's, or none.
    const own = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const second = await env.invoke({ n: 2 }, { traceHeader: own, clientContext: { client: { app_title: 'harness' } } });
    expect(second.initDurationMs).toBeUndefined();
    expect(second.requestId).not.toBe(first.requestId);
    expect((second.payload as any).pid).toBe(answer.pid);
    expect((second.payload as any).traceEnv).toBe(own);
    expect((second.payload as any).clientContext).toEqual({ client: { app_title: 'harness' } });
    const third = await env.invoke({ n: 3 }, { traceHeader: null });
    expect(third.traceHeader).toBeNull();
    expect((third.payload as any).traceEnv).toBeNull();
    expect(env.logs.filter((line) => line.includes('fixture handling echo'))).toHaveLength(3);
    expect(seen).toEqual(env.logs.map((line) => `runtime:${line}`));
  });

  suite.test('measures init, response and post-runtime durations as Lambda reports them', async () => {
    // A module that spends ~200 ms at top level: the cold start's init duration.
    const slowInit = await suite.start({ taskRoot: fixture('slow-init') });
    const cold = await slowInit.invoke({});
    expect(cold.payload).toEqual({ initialised: true });
    expect(cold.initDurationMs).toBeGreaterThanOrEqual(200);
    expect(slowInit.initDurationMs).toBe(cold.initDurationMs);

    // A handler taking ~100 ms; an internal extension (NODE_OPTIONS=--import) that, after each
    // INVOKE event, keeps working until 200 ms after the handler returned before it calls next again
    // (the runtime client posts the response a moment after the handler returns: ≥ 150 ms are left).
    const markers = suite.folder();
    const env = await suite.start({
      taskRoot: fixture('basic'),
      env: { NODE_OPTIONS: `--import ${fixture('internal-extension.mjs')}`, HARNESS_EXTENSION_POST_MS: '200', HARNESS_MARKER_DIR: markers },
    });
    const slow = await env.invoke({ action: 'sleep', ms: 100 });
    expect(slow.ok).toBe(true);
    expect(slow.responseMs).toBeGreaterThanOrEqual(100);
    expect(slow.postRuntimeMs).toBeGreaterThanOrEqual(150);
    expect(slow.durationMs).toBeGreaterThanOrEqual(300);

    const quick = await env.invoke({});
    const answer = quick.payload as Record<string, any>;
    expect(quick.postRuntimeMs).toBeGreaterThanOrEqual(150);
    expect(quick.durationMs).toBeGreaterThanOrEqual(quick.responseMs! + quick.postRuntimeMs!);
    // The handler had returned (and the caller had its answer) ≥ 200 ms before the extension was done.
    const extensionDone = Number(readFileSync(join(markers, `post-invoke-${quick.requestId}`), 'utf8'));
    expect(extensionDone - answer.returnedAt).toBeGreaterThanOrEqual(200);
    // The extension got Lambda's INVOKE event, and SHUTDOWN was refused to it (an internal extension).
    const invokeEvent = answer.extension.events.find((event: any) => event.requestId === quick.requestId);
    expect(invokeEvent).toMatchObject({
      eventType: 'INVOKE',
      requestId: quick.requestId,
      invokedFunctionArn: expect.stringMatching(/:function:basic$/),
      tracing: { type: 'X-Amzn-Trace-Id', value: quick.traceHeader },
    });
    expect(invokeEvent.deadlineMs).toBeGreaterThan(Date.now());
    expect(answer.extension.shutdownRefusal).toEqual({
      status: 403,
      body: { errorType: 'Extension.InvalidEventType', errorMessage: 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension' },
    });
    expect(answer.extension.registration).toEqual({ functionName: 'basic', functionVersion: '$LATEST', handler: 'index.handler' });
    // Registration is over once init is.
    const late = await env.invoke({ action: 'register' });
    expect(late.payload).toMatchObject({ status: 403, body: { errorType: 'Extension.RegistrationClosed' } });
    expect(late.timedOut).toBe(false);
  });

  suite.test('reports a thrown error, a timeout (then initialises again) and an init error', async () => {
    const env = await suite.start({ taskRoot: fixture('basic'), timeoutSeconds: 1 });
    const failed = await env.invoke({ action: 'throw', message: 'no luck' });
    expect(failed.ok).toBe(false);
    expect(failed.timedOut).toBe(false);
    expect(failed.error).toMatchObject({ errorType: 'HarnessFixtureError', errorMessage: 'no luck' });
    expect(failed.error?.stackTrace?.[0]).toContain('HarnessFixtureError: no luck');
    expect(failed.responseMs).toBeGreaterThanOrEqual(0);

    const before = env.pid;
    const hung = await env.invoke({ action: 'hang' });
    expect(hung).toMatchObject({ ok: false, timedOut: true, error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' } });
    expect(hung.durationMs).toBeGreaterThanOrEqual(1000);
    expect(hung.responseMs).toBeUndefined();
    expect(env.pid).toBeUndefined();
    expect(alive(before!)).toBe(false);
    const again = await env.invoke({});
    expect(again.ok).toBe(true);
    expect(again.initDurationMs).toBeGreaterThan(0);
    expect((again.payload as any).pid).not.toBe(before);

    // Lambda's payload limits: 6 MB each way.
    const big = await env.invoke({ action: 'big', bytes: 6_400_000 });
    expect(big).toMatchObject({ ok: false, timedOut: false, error: { errorType: 'Function.ResponseSizeTooLarge' } });
    expect(big.error?.errorMessage).toContain('6291556 bytes');
    expect((await env.invoke({ action: 'big', bytes: 6_000_000 })).ok).toBe(true);
    await expect(env.invoke({ big: 'x'.repeat(6_300_000) })).rejects.toThrow(RangeError);

    const exited = await env.invoke({ action: 'exit', code: 7 });
    expect(exited.error).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${exited.requestId} Error: Runtime exited with error: exit status 7` });
    expect((await env.invoke({})).initDurationMs).toBeGreaterThan(0);

    const broken = await suite.start({ taskRoot: fixture('broken-init') });
    const result = await broken.invoke({});
    expect(result.ok).toBe(false);
    expect(result.initDurationMs).toBeGreaterThan(0);
    expect(result.error).toMatchObject({ errorType: 'Error', errorMessage: 'the fixture failed at load on purpose' });
    expect(broken.initError).toEqual(result.error);
    expect(broken.logs.some((line) => line.includes('Init Error') && line.includes('the fixture failed at load on purpose'))).toBe(true);
    expect(broken.pid).toBeUndefined();
  });

  suite.test('gives @aws-sdk/* to a task root below the project, as Lambda’s runtime does', async () => {
    const env = await suite.start({ taskRoot: fixture('basic') });
    const result = await env.invoke({ action: 'sdk' });
    expect(result.payload).toEqual({ ssmClient: 'function' });
  });

  suite.test('starts the runtime through AWS_LAMBDA_EXEC_WRAPPER, whose `node` is the chosen Node', async () => {
    const env = await suite.start({ taskRoot: fixture('basic'), env: { AWS_LAMBDA_EXEC_WRAPPER: fixture('wrapper') } });
    const result = await env.invoke({});
    const answer = result.payload as Record<string, any>;
    expect(answer.env.PERKAMO_FIXTURE).toBe(`wrapped by wrapper, node ${answer.node.slice(1)}`);
    expect(answer.execArgv).toEqual(['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=2', '--max-old-space-size=116']);
    // The wrapper exec'd node: the runtime is the process the harness started.
    expect(answer.pid).toBe(env.pid);

    const missing = await suite.start({ taskRoot: fixture('basic'), env: { AWS_LAMBDA_EXEC_WRAPPER: '/nonexistent/wrapper' } });
    const init = await missing.init();
    expect(init.error).toEqual({ errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited with error: exit status 127' });
    expect(missing.logs).toContain('/nonexistent/wrapper: does not exist');
    expect(existsSync('/nonexistent/wrapper')).toBe(false);
  });
});
