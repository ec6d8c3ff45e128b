// PERKAMO_OTEL_FLUSH=after-response (issue 15, first step; opt-in): the layer registers an internal
// extension and exports each invocation's spans after the runtime posted the response — under the
// real runtime client, as deployed, with an OTLP receiver that answers after 1 s (a remote backend).
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LambdaEnvironment, LambdaNodeMajor } from '../../src/local/harness/index.ts';
import { httpApiEvent } from '../helpers/aws-events.ts';
import { useDeployedStack, type DeployedStack } from './deployed-stack.ts';

/** A backend far away: its round trip dwarfs what an invocation costs on a loaded CI machine. */
const backendMs = 1_000;

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: spans exported after the response', (major) => {
  const envs: Record<string, LambdaEnvironment> = {};
  const deployed = useDeployedStack(major, {}, async (stack) => {
    envs.after = await stack.start('emit', { PERKAMO_OTEL_FLUSH: 'after-response' });
    envs.during = await stack.start('emit');
  });
  let stack: DeployedStack;
  beforeEach(() => {
    stack = deployed();
  });

  const emit = async (env: LambdaEnvironment) => {
    const user = `ar-${major}-${randomUUID()}`;
    return env.invoke(
      httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, await stack.bearer('backend', ['perkamo:emit'])),
    );
  };

  it(`the response reaches the Runtime API before the ${backendMs} ms export; every span arrives before the freeze`, async () => {
    expect((await emit(envs.after!)).ok).toBe(true); // the cold start, with an instant backend
    stack.receiver.delayMs = backendMs;
    for (let i = 0; i < 3; i++) {
      const result = await emit(envs.after!);
      expect(result.ok, JSON.stringify(result.error)).toBe(true);
      expect((result.payload as { statusCode: number }).statusCode).toBe(200);
      // The export is not the caller's: it runs in the post-runtime phase, before the next freeze.
      expect(result.responseMs!).toBeLessThan(backendMs);
      expect(result.postRuntimeMs!).toBeGreaterThanOrEqual(backendMs - 50);
      const spans = stack.receiver.spans.filter((s) => s.attributes['faas.invocation_id'] === result.requestId);
      expect(spans, `invocation ${i}: its server span arrived before the invoke completed`).toHaveLength(1);
      expect(result.timedOut).toBe(false);
    }
  });

  it('a collector that hangs: the post-response part ends before the deadline, the answer was never held', async () => {
    stack.receiver.delayMs = 60_000;
    const result = await emit(envs.after!);
    expect(result.ok).toBe(true);
    expect(result.responseMs!).toBeLessThan(backendMs);
    // Lambda's timeout is 3 s: the extension gives up on the export in time and is back on `next`.
    expect(result.timedOut).toBe(false);
    stack.receiver.delayMs = 0;
    const after = await emit(envs.after!);
    expect(after.ok).toBe(true);
    expect(after.timedOut).toBe(false);
  });

  it('the default (in the invocation) still makes the caller wait for the export', async () => {
    stack.receiver.delayMs = backendMs;
    const result = await emit(envs.during!);
    expect(result.ok).toBe(true);
    expect(result.responseMs!).toBeGreaterThanOrEqual(backendMs - 50);
    expect(stack.receiver.spans.some((s) => s.attributes['faas.invocation_id'] === result.requestId)).toBe(true);
  });
});
