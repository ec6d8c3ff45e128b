// Traces into CloudWatch as deployed with `traces=xray` (the default), under the real runtime client
// on Node 24 and 22: the packaged template's environment, with one addition — the traces endpoint is
// a loopback stand-in for CloudWatch's OTLP endpoint (PERKAMO_OTEL_SIGV4=xray, as for a VPC endpoint)
// that verifies every request's SigV4 signature with aws4 (the layer signs with @smithy/signature-v4)
// against the credentials, region and session token the harness gives the function, and refuses what
// AWS refuses. Lambda's X-Ray header with Sampled=1 (active tracing) is the invocation span's parent.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InvokeResult, LambdaEnvironment, LambdaNodeMajor } from '../../dev/harness/index.ts';
import { startOtlpReceiver } from '../../dev/harness/otlp-receiver.ts';
import { httpApiEvent, sqsEvent } from '../helpers/aws-events.ts';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';
import { expectHttpOk, managedInstancesParams, useDeployedStack } from './deployed-stack.ts';

/** CloudWatch seen from a function: a region away, say. */
const backendMs = 300;
const timeoutSeconds = 3;

/** Lambda's header with active tracing: a fresh root, the function segment's id, Lambda's sampling decision. */
function activeTracingHeader(sampled: 0 | 1) {
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  const parent = randomBytes(8).toString('hex');
  return { header: `Root=${root};Parent=${parent};Sampled=${sampled}`, traceId: root.slice(2).replace('-', ''), parent };
}

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: traces=xray, signed OTLP into CloudWatch', (major) => {
  const envs: Record<string, LambdaEnvironment> = {};
  const stack = useDeployedStack(major, { traces: 'xray', timeout: String(timeoutSeconds) }, async (stack) => {
    envs.emit = await stack.start('emit');
    envs.batch = await stack.start('batch');
    envs.json = await stack.start('emit', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  });

  const emit = async (env: LambdaEnvironment, sampled: 0 | 1 = 1, headers: Record<string, string> = {}) => {
    const user = `cw-${major}-${randomUUID()}`;
    const tracing = activeTracingHeader(sampled);
    const result = await env.invoke(
      httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, { ...(await stack.bearer('backend', ['perkamo:emit'])), ...headers }),
      { traceHeader: tracing.header },
    );
    return { result, tracing };
  };
  const warningsIn = (env: LambdaEnvironment) =>
    env.logs.filter((line) => line.includes('"level":"WARN"') && line.includes('[otel]')).map((line) => JSON.parse(line) as { message: string });

  it('the template points every function at its region\'s X-Ray endpoint, with xray-lambda among the propagators', () => {
    for (const fn of Object.values(stack.functions)) {
      expect(fn.environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe('https://xray.eu-central-1.amazonaws.com/v1/traces');
      expect(fn.environment.OTEL_PROPAGATORS?.split(',')).toContain('xray-lambda');
    }
  });

  it("every export is signed for xray in the function's region with its session token, gzip protobuf; Lambda's segment is the parent", async () => {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const run = await emit(envs.emit!);
      expectHttpOk(run.result);
      runs.push(run);
    }
    for (const { result, tracing } of runs) {
      const spans = stack.spansOf(result);
      expect(spans.length).toBeGreaterThanOrEqual(3);
      const server = spans.find((s) => s.attributes['faas.invocation_id'] === result.requestId)!;
      // One trace with Lambda's own segments: its Root, and the function segment as the parent.
      expect(server.traceId).toBe(tracing.traceId);
      expect(server.parentSpanId).toBe(tracing.parent);
    }
    expect(stack.receiver.requests.length).toBeGreaterThanOrEqual(3);
    for (const request of stack.receiver.requests) {
      expect(request).toMatchObject({ status: 200, signed: true, contentEncoding: 'gzip', contentType: 'application/x-protobuf' });
    }
    expect(warningsIn(envs.emit!)).toEqual([]);
  });

  it('http/json is signed and accepted too', async () => {
    const { result } = await emit(envs.json!);
    expectHttpOk(result);
    expect(stack.spansOf(result).length).toBeGreaterThanOrEqual(3);
    expect(stack.receiver.requests.every((r) => r.status === 200 && r.contentType === 'application/json' && r.contentEncoding === 'gzip')).toBe(true);
  });

  it("Lambda's Sampled=0 is followed: no span of that invocation is exported, not even part of it", async () => {
    const { result } = await emit(envs.emit!, 0);
    expectHttpOk(result);
    const sampled = await emit(envs.emit!, 1);
    expectHttpOk(sampled.result);
    expect(stack.spansOf(sampled.result).length).toBeGreaterThan(0);
    expect(stack.receiver.spans.filter((s) => s.traceId !== sampled.tracing.traceId)).toEqual([]);
  });

  it("a trigger's own trace context wins over Lambda's header: the caller's trace continues", async () => {
    const traceId = randomBytes(16).toString('hex');
    const { result } = await emit(envs.emit!, 1, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expectHttpOk(result);
    expect(stack.spansOf(result)[0]!.traceId).toBe(traceId);
  });

  it("an SQS batch (no trace context of its own) continues Lambda's segment", async () => {
    const tracing = activeTracingHeader(1);
    const user = `cw-sqs-${major}-${randomUUID()}`;
    const result = await envs.batch!.invoke(
      sqsEvent([{ body: { user_id: user, event: 'page.viewed' } }, { body: { user_id: user, event: 'lesson.finished' } }]),
      { traceHeader: tracing.header },
    );
    expect(result.ok, JSON.stringify(result.error)).toBe(true);
    expect(result.payload).toEqual({ batchItemFailures: [] });
    const consumer = (await stack.traceOf(result.requestId)).find((s) => s.attributes['faas.invocation_id'] === result.requestId)!;
    expect(consumer.traceId).toBe(tracing.traceId);
    expect(consumer.parentSpanId).toBe(tracing.parent);
  });

  it(`with the endpoint ${backendMs} ms away the response does not wait; every span arrives across frozen invokes and at SHUTDOWN`, async () => {
    const env = await stack.start('emit');
    const results: InvokeResult[] = [];
    expectHttpOk((await emit(env)).result); // the cold start
    stack.receiver.reset();
    stack.receiver.delayMs = backendMs;
    for (let i = 0; i < 5; i++) {
      const { result } = await emit(env);
      expectHttpOk(result);
      expect(result.responseMs!).toBeLessThan(backendMs);
      expect(result.postRuntimeMs!).toBeGreaterThanOrEqual(backendMs - 20);
      expect(env.state).toBe('frozen');
      results.push(result);
    }
    stack.receiver.delayMs = 0;
    const perInvocation = stack.spansOf(results[0]!).length;
    for (const result of results) expect(stack.spansOf(result)).toHaveLength(perInvocation);
    // The last invocation's export is refused for now (503): kept, and signed again at SHUTDOWN.
    stack.receiver.refuse = 1;
    const { result: last } = await emit(env);
    expectHttpOk(last);
    expect(stack.spansOf(last)).toEqual([]);
    await env.shutdown();
    expect(stack.spansOf(last)).toHaveLength(perInvocation);
    expect(stack.receiver.requests.filter((r) => r.status !== 503).every((r) => r.status === 200 && r.signed)).toBe(true);
  }, 60_000);

  it('refused with 403 (no permission, then Transaction Search off): normal answers, one warning each, naming the fix', async () => {
    const env = await stack.start('emit');
    stack.receiver.deny = 'access-denied';
    for (let i = 0; i < 3; i++) expectHttpOk((await emit(env)).result);
    stack.receiver.deny = 'transaction-search-off';
    for (let i = 0; i < 3; i++) expectHttpOk((await emit(env)).result);
    stack.receiver.deny = undefined;
    const { result } = await emit(env);
    expectHttpOk(result);
    expect(stack.spansOf(result).length).toBeGreaterThan(0);
    const warnings = warningsIn(env).map((w) => w.message);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/HTTP 403 \(AccessDeniedException: .*xray:PutTraceSegments/);
    expect(warnings[1]).toMatch(/Trace Segment Destination.*turn on CloudWatch Transaction Search/);
    for (const line of env.logs) expect(line).not.toContain(stack.credentials.sessionToken);
  });

  it('credentials from a container credentials endpoint (SnapStart, expected on Managed Instances) win over the variables, and sign', async () => {
    // Other credentials than the harness's variables: a stand-in that accepts only these proves they were used.
    const container = { accessKeyId: 'ASIACONTAINERCREDS01', secretAccessKey: 'container-secret-not-real', sessionToken: 'container-session-not-real' };
    const endpoint = await startLoopbackServer((req, res) =>
      req.headers.authorization === 'container-token'
        ? json(res, 200, { AccessKeyId: container.accessKeyId, SecretAccessKey: container.secretAccessKey, Token: container.sessionToken, Expiration: new Date(Date.now() + 3_600_000).toISOString() })
        : json(res, 403, { message: 'bad token' }),
    );
    const xray = await startOtlpReceiver({ sigv4: { region: 'eu-central-1', credentials: container }, limits: true });
    try {
      const env = await stack.start('emit', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${xray.url}/v1/traces`,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/2021-04-23/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token',
      });
      for (let i = 0; i < 2; i++) expectHttpOk((await emit(env)).result);
      expect(xray.requests.map((r) => r.status)).toEqual([200, 200]);
      expect(xray.spans.length).toBeGreaterThanOrEqual(6);
      // Asked once, kept until shortly before it expires; frozen between the invocations.
      expect(endpoint.requests).toHaveLength(1);
      expect(warningsIn(env)).toEqual([]);
    } finally {
      await Promise.all([xray.close(), endpoint.close()]);
    }
  });

  it('an unsigned export (PERKAMO_OTEL_SIGV4=off) is refused as AWS refuses it, with the fix in the one warning', async () => {
    const env = await stack.start('emit', { PERKAMO_OTEL_SIGV4: 'off' });
    for (let i = 0; i < 2; i++) expectHttpOk((await emit(env)).result);
    expect(stack.receiver.spans).toEqual([]);
    expect(stack.receiver.requests.every((r) => r.status === 403 && !r.signed)).toBe(true);
    const warnings = warningsIn(env).map((w) => w.message);
    expect(warnings).toEqual([expect.stringContaining('PERKAMO_OTEL_SIGV4=xray')]);
  });
});

describe.each([24, 22] as LambdaNodeMajor[])('Node %i: traces=xray on Lambda Managed Instances (managedInstances=emit, 4 at once)', (major) => {
  let env: LambdaEnvironment;
  const stack = useDeployedStack(major, { traces: 'xray', timeout: '6', ...managedInstancesParams(['emit'], 4) }, async (stack) => {
    env = await stack.start('emit');
    await env.init();
  });

  it('8 overlapping invocations: each continues its own X-Ray header, every export in the background signed and accepted', async () => {
    const auth = await stack.bearer('backend', ['perkamo:emit']);
    const runs = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const tracing = activeTracingHeader(1);
        const user = `mi-${major}-${i}-${randomUUID()}`;
        const result = await env.invoke(httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `tx-${user}` }, auth), { traceHeader: tracing.header });
        return { result, tracing };
      }),
    );
    for (const { result, tracing } of runs) {
      expectHttpOk(result);
      const spans = await stack.traceOf(result.requestId);
      const server = spans.find((s) => s.attributes['faas.invocation_id'] === result.requestId)!;
      expect(server.traceId).toBe(tracing.traceId);
      expect(server.parentSpanId).toBe(tracing.parent);
      // No cross-talk: every span of this trace is this invocation's.
      expect(spans.every((s) => s.traceId === tracing.traceId)).toBe(true);
    }
    expect(stack.receiver.requests.length).toBeGreaterThanOrEqual(1);
    for (const request of stack.receiver.requests) expect(request).toMatchObject({ status: 200, signed: true, contentEncoding: 'gzip' });
  }, 30_000);
});
