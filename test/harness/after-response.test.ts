// The layer's default: each invocation's spans are exported after its response, by an internal
// extension the layer registers — under the real runtime client, as deployed, frozen between
// invokes, with an OTLP receiver that answers late, refuses, hangs; and with the extension's own
// connection dropped. In multi-concurrency mode (no freeze) the export runs in the background.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InvokeResult, LambdaEnvironment, LambdaNodeMajor } from '../../dev/harness/index.ts';
import { httpApiEvent } from '../helpers/aws-events.ts';
import { expectHttpOk, managedInstancesParams, useDeployedStack } from './deployed-stack.ts';

/** A backend far away: its round trip dwarfs what an invocation costs on a loaded CI machine. */
const backendMs = 300;
/** serverless.yml's timeout as this suite deploys it (seconds). */
const timeoutSeconds = 3;

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: spans exported after the response', (major) => {
  const envs: Record<string, LambdaEnvironment> = {};
  const stack = useDeployedStack(major, { timeout: String(timeoutSeconds) }, async (stack) => {
    envs.after = await stack.start('emit');
    envs.during = await stack.start('emit', { PERKAMO_OTEL_FLUSH: 'in-invocation' });
    envs.gzip = await stack.start('emit', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
  });

  const emit = async (env: LambdaEnvironment) => {
    const user = `ar-${major}-${randomUUID()}`;
    return env.invoke(
      httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, await stack.bearer('backend', ['perkamo:emit'])),
    );
  };

  it(`the response reaches the Runtime API before the ${backendMs} ms export; every span arrives before the freeze`, async () => {
    const cold = await emit(envs.after!); // the cold start, with an instant backend
    expectHttpOk(cold);
    const perInvocation = stack.spansOf(cold).length;
    // The server span, `perkamo emit` and its HTTP call at least.
    expect(perInvocation).toBeGreaterThanOrEqual(3);
    stack.receiver.delayMs = backendMs;
    for (let i = 0; i < 3; i++) {
      const result = await emit(envs.after!);
      expectHttpOk(result);
      // The export is not the caller's: it runs in the post-runtime phase, before the next freeze.
      expect(result.responseMs!).toBeLessThan(backendMs);
      expect(result.postRuntimeMs!).toBeGreaterThanOrEqual(backendMs - 20);
      expect(stack.spansOf(result), `invocation ${i}: its spans arrived before the invoke completed`).toHaveLength(perInvocation);
    }
  });

  it('0 spans lost across 200 frozen invokes and at SHUTDOWN, none sent twice', async () => {
    const fresh = await stack.start('emit');
    const results: InvokeResult[] = [];
    for (let i = 0; i < 200; i++) {
      const result = await emit(fresh);
      expectHttpOk(result);
      expect(fresh.state).toBe('frozen');
      results.push(result);
    }
    const perInvocation = stack.spansOf(results[0]!).length;
    for (const result of results) expect(stack.spansOf(result)).toHaveLength(perInvocation);
    // The last invocation before the spindown: the collector refuses its export (503). Its spans are
    // kept, and the SIGTERM Lambda sends at SHUTDOWN (an extension is registered) exports them.
    stack.receiver.refuse = 1;
    const last = await emit(fresh);
    expectHttpOk(last);
    expect(stack.spansOf(last)).toEqual([]);
    await fresh.shutdown();
    expect(stack.spansOf(last)).toHaveLength(perInvocation);
    expect(fresh.logs.some((line) => line.includes('kept for the next export'))).toBe(true);
    const ids = stack.receiver.spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(201 * perInvocation);
  }, 120_000);

  it('a collector that hangs: the post-response part ends before the deadline, later invocations only probe it', async () => {
    stack.receiver.delayMs = 60_000;
    const hung = await emit(envs.after!);
    expectHttpOk(hung);
    expect(hung.responseMs!).toBeLessThan(backendMs);
    // Lambda's timeout is 3 s: the extension gives up on the export in time and is back on `next`.
    expect(hung.durationMs).toBeLessThan(timeoutSeconds * 1000);
    expect(hung.postRuntimeMs!).toBeGreaterThan(1_000);
    // Still hanging: the next invocations give the collector a short probe, not their whole budget.
    for (let i = 0; i < 2; i++) {
      const probed = await emit(envs.after!);
      expectHttpOk(probed);
      expect(probed.postRuntimeMs!).toBeLessThan(600);
    }
    stack.receiver.delayMs = 0;
    const after = await emit(envs.after!);
    expectHttpOk(after);
    expect(stack.spansOf(after).length).toBeGreaterThan(0);
  });

  it("the extension's event/next connection dropped: it polls again, no invocation is held to its timeout", async () => {
    expectHttpOk(await emit(envs.after!));
    envs.after!.dropExtensionPolls(3);
    const dropped = await emit(envs.after!);
    expectHttpOk(dropped);
    expect(dropped.durationMs).toBeLessThan(timeoutSeconds * 1000 - 500);
    expect(dropped.logs.filter((line) => line.includes('event/next failed'))).toHaveLength(1);
    expect(stack.spansOf(dropped).length).toBeGreaterThan(0);
    const next = await emit(envs.after!);
    expectHttpOk(next);
    expect(stack.spansOf(next).length).toBeGreaterThan(0);
  });

  it('PERKAMO_OTEL_FLUSH=in-invocation still makes the caller wait for the export', async () => {
    stack.receiver.delayMs = backendMs;
    const result = await emit(envs.during!);
    expectHttpOk(result);
    expect(result.responseMs!).toBeGreaterThanOrEqual(backendMs - 20);
    expect(stack.spansOf(result).length).toBeGreaterThan(0);
  });

  it('OTEL_EXPORTER_OTLP_COMPRESSION=gzip: the receiver reads gzip bodies, after the response', async () => {
    // The cold start first, with an instant backend: its JWKS and secret reads are not the export's.
    expectHttpOk(await emit(envs.gzip!));
    stack.receiver.reset();
    stack.receiver.delayMs = backendMs;
    const result = await emit(envs.gzip!);
    expectHttpOk(result);
    expect(result.responseMs!).toBeLessThan(backendMs);
    expect(stack.spansOf(result).length).toBeGreaterThanOrEqual(3);
    expect(stack.receiver.requests.map((r) => r.contentEncoding)).toEqual(['gzip']);
  });
});

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: AWS_LAMBDA_MAX_CONCURRENCY=4, spans exported in the background', (major) => {
  let env: LambdaEnvironment;
  const stack = useDeployedStack(major, { timeout: '6', ...managedInstancesParams(['emit'], 4) }, async (stack) => {
    env = await stack.start('emit');
    await env.init();
  });

  it(`8 overlapping invocations answer without waiting for a ${backendMs} ms backend; every span arrives`, async () => {
    const auth = await stack.bearer('backend', ['perkamo:emit']);
    const overlapping = () =>
      Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const user = `mc-${major}-${i}-${randomUUID()}`;
          return env.invoke(httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, auth));
        }),
      );
    // Every worker thread's first invocation (secret, JWKS, first connections) with an instant backend.
    for (const result of await overlapping()) expect(result.ok, JSON.stringify(result.error)).toBe(true);
    stack.receiver.reset();
    stack.receiver.delayMs = backendMs;
    const results = await overlapping();
    for (const result of results) {
      expect(result.ok, JSON.stringify(result.error)).toBe(true);
      expect(result.timedOut).toBe(false);
      // No freeze and no extension here: the invocation completes with its response.
      expect(result.responseMs!).toBeLessThan(backendMs);
    }
    for (const result of results) expect((await stack.traceOf(result.requestId, 5_000)).length).toBeGreaterThanOrEqual(3);
    const ids = stack.receiver.spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
