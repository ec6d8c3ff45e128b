// Every function × trigger end to end as deployed: serverless.yml's template for nodejs22.x and
// nodejs24.x, the real runtime client (aws-lambda-ric) under the loopback Runtime API, the layer's
// init in NODE_OPTIONS, Lambda's default X-Ray header (Sampled=0) on every invoke, frozen between invokes.
// Checked: the answers, Perkamo's effects (the emulator's ledger), the spans at an OTLP receiver
// (http/protobuf, the deployed default), a function that throws, an invocation that runs out of
// time, a configuration that cannot start, and the X-Ray opt-in.
import { functionNames } from '../../src/lambda/functions/index.ts';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LambdaEnvironment, LambdaNodeMajor } from '../../dev/harness/index.ts';
import type { ReceivedSpan } from '../../dev/harness/otlp-receiver.ts';
import { eventBridgeEvent, httpApiEvent, sqsEvent } from '../helpers/aws-events.ts';
import { corsOrigin, useDeployedStack } from './deployed-stack.ts';
import { emfProblems, expectInvocationLine, expectLoggerLine, parseLines } from '../helpers/log-lines.ts';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;
const xrayRoot = (header: string | null) => /Root=1-([0-9a-f]{8})-([0-9a-f]{24})/.exec(header ?? '')!.slice(1).join('');

// The layer's default exports after the response (an internal extension); PERKAMO_OTEL_FLUSH=in-invocation
// is the fallback it uses where it cannot register: every check holds in both.
describe.each([
  [24, 'after-response'],
  [22, 'after-response'],
  [24, 'in-invocation'],
] as [LambdaNodeMajor, string][])('Node %i, spans exported %s: the functions as deployed, under the real runtime client', (major, flush) => {
  const envs: Record<string, LambdaEnvironment> = {};
  const flushEnv: Record<string, string> = flush === 'after-response' ? {} : { PERKAMO_OTEL_FLUSH: flush };
  const stack = useDeployedStack(major, {}, async (stack) => {
    for (const name of functionNames) envs[name] = await stack.start(name, flushEnv);
  });

  /** The invocation span of `requestId` and the spans under it; checks the tree every invocation has. */
  async function trace(requestId: string, traceHeader: string | null, kind: number) {
    const spans = await stack.traceOf(requestId);
    const root = spans.find((s) => s.attributes['faas.invocation_id'] === requestId)!;
    expect(root.kind).toBe(kind);
    // Lambda's Sampled=0 header is not the parent by default: the trace is a new one, and exported.
    expect(root.parentSpanId).toBe('');
    expect(root.traceId).not.toBe(xrayRoot(traceHeader));
    expect(root.attributes['faas.coldstart']).toBeTypeOf('boolean');
    expect(root.resource['service.name']).toBe('perkamo-lambda');
    return { root, spans, child: (name: string) => spans.filter((s) => s.name === name) };
  }

  function expectPerkamoCall(spans: ReceivedSpan[], operation: string) {
    const op = spans.find((s) => s.name === `perkamo ${operation}`);
    expect(op, `perkamo ${operation} span`).toBeDefined();
    const calls = spans.filter((s) => s.kind === CLIENT && s.parentSpanId === op!.spanId);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => typeof c.attributes['perkamo.request_id'] === 'string')).toBe(true);
  }

  it('is packaged for nodejs' + major + '.x with the layer\'s init in NODE_OPTIONS (no exec wrapper) and without --enable-source-maps', () => {
    for (const fn of Object.values(stack.functions)) {
      expect(fn.runtime).toBe(`nodejs${major}.x`);
      expect(fn.environment.AWS_LAMBDA_EXEC_WRAPPER).toBeUndefined();
      expect(fn.environment.NODE_OPTIONS).toMatch(/^--import \S*dist\/layers\/otel\/otel-init\.mjs$/);
      expect(fn.environment.PERKAMO_SECRET_ARN).toBe('perkamo/dev/secret-key');
    }
    expect(envs.emit!.initDurationMs ?? 0).toBeGreaterThanOrEqual(0);
  });

  it('emit: HTTP, EventBridge and a direct invoke apply once each, traced', async () => {
    const user = `u-${major}-${randomUUID()}`;
    const http = await envs.emit!.invoke(
      httpApiEvent('POST /events', { user_id: user, event: 'purchase.completed', context: { amount: 2500 } }, { ...(await stack.bearer('backend', ['perkamo:emit'])), 'idempotency-key': `k-${user}` }),
    );
    expect(http.ok, JSON.stringify(http.error)).toBe(true);
    const httpBody = JSON.parse((http.payload as { body: string }).body);
    expect((http.payload as { statusCode: number }).statusCode).toBe(200);
    expect(httpBody).toMatchObject({ applied: true, delta: [{ wallet: 'points', amount: 25 }] });

    const eb = eventBridgeEvent({ user_id: user, event: 'lesson.finished' }, 'lesson.finished');
    const fromBus = await envs.emit!.invoke(eb);
    expect(fromBus.ok, JSON.stringify(fromBus.error)).toBe(true);

    const direct = await envs.emit!.invoke({ user_id: user, event: 'page.viewed', transaction_id: `d-${user}` });
    expect(direct.payload).toMatchObject({ applied: true });

    const ledger = stack.emulator.ledger().events.filter((e) => e.user_id === user).map((e) => e.transaction_id).sort();
    expect(ledger).toEqual([`d-${user}`, `eb:${eb.id}`, `k-${user}`].sort());

    const h = await trace(http.requestId, http.traceHeader, SERVER);
    expect(h.root.name).toBe('POST /events');
    expect(h.root.attributes['http.response.status_code']).toBe(200);
    expectPerkamoCall(h.spans, 'emit');
    expect((await trace(fromBus.requestId, fromBus.traceHeader, CONSUMER)).root.name).toBe('process lesson.finished');
    expectPerkamoCall((await trace(direct.requestId, direct.traceHeader, SERVER)).spans, 'emit');
  });

  it('batch: HTTP, an SQS batch and a direct invoke; SQS records answered one by one, messages as links', async () => {
    const user = `b-${major}-${randomUUID()}`;
    const http = await envs.batch!.invoke(
      httpApiEvent('POST /events/batch', { events: [{ user_id: user, event: 'lesson.finished', transaction_id: `h1-${user}` }] }, await stack.bearer('backend', ['perkamo:emit'])),
    );
    expect((http.payload as { statusCode: number }).statusCode).toBe(200);

    const producer = { traceId: randomUUID().replaceAll('-', ''), spanId: randomUUID().replaceAll('-', '').slice(0, 16) };
    const sqs = sqsEvent([
      { body: { user_id: user, event: 'lesson.finished' } },
      { body: { user_id: user, event: 'page.viewed' }, attributes: { traceparent: { stringValue: `00-${producer.traceId}-${producer.spanId}-01`, dataType: 'String' } } },
      { body: { user_id: user, event: 'purchase.completed', context: { amount: 1000 } } },
    ]);
    const fromQueue = await envs.batch!.invoke(sqs);
    expect(fromQueue.payload).toEqual({ batchItemFailures: [] });

    const direct = await envs.batch!.invoke({ events: [{ user_id: user, event: 'page.viewed', transaction_id: `d1-${user}` }] });
    expect(direct.ok, JSON.stringify(direct.error)).toBe(true);

    const applied = stack.emulator.ledger().events.filter((e) => e.user_id === user).map((e) => e.transaction_id);
    expect(applied.sort()).toEqual([`h1-${user}`, `d1-${user}`, ...sqs.Records.map((r) => `sqs:${r.messageId}`)].sort());

    const q = await trace(fromQueue.requestId, fromQueue.traceHeader, CONSUMER);
    expect(q.root.name).toBe('process perkamo-events');
    expect(q.root.links).toEqual([expect.objectContaining({ traceId: producer.traceId, spanId: producer.spanId })]);
    expectPerkamoCall(q.spans, 'batch');
  });

  it('identify: HTTP, an SQS batch and EventBridge; no trait value in any answer or span', async () => {
    const user = `i-${major}-${randomUUID()}`;
    const secretTrait = `plan-${randomUUID()}`;
    const http = await envs.identify!.invoke(httpApiEvent('POST /identify', { user_id: user, traits: { plan: secretTrait } }, await stack.bearer('backend', ['perkamo:identify'])));
    expect(JSON.parse((http.payload as { body: string }).body)).toMatchObject({ user_id: user, trait_names: ['plan'] });
    const fromQueue = await envs.identify!.invoke(sqsEvent([{ body: { user_id: user, traits: { tier: 'gold' } } }], 'perkamo-identify'));
    expect(fromQueue.payload).toEqual({ batchItemFailures: [] });
    const fromBus = await envs.identify!.invoke(eventBridgeEvent({ user_id: user, traits: { country: 'DE' } }, 'customer.updated'));
    expect(fromBus.ok, JSON.stringify(fromBus.error)).toBe(true);
    expect(stack.emulator.customer(user)?.traits).toMatchObject({ plan: secretTrait, tier: 'gold', country: 'DE' });

    for (const r of [http, fromQueue, fromBus]) {
      const { spans } = await trace(r.requestId, r.traceHeader, r === http ? SERVER : CONSUMER);
      expectPerkamoCall(spans, 'identify');
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(secretTrait);
      expect(r.logs.join('\n')).not.toContain(secretTrait);
    }
  });

  it("customer: HTTP answers the caller's own state, a direct invoke the named user's; trait names, not values; traced", async () => {
    const user = `c-${major}-${randomUUID()}`;
    const secretTrait = `mail-${randomUUID()}`;
    await envs.emit!.invoke({ user_id: user, event: 'user.registered', transaction_id: `reg-${user}` });
    await envs.identify!.invoke({ user_id: user, traits: { email: secretTrait } });
    const http = await envs.customer!.invoke(httpApiEvent('GET /customer', undefined, { ...(await stack.bearer(user, ['perkamo:read'])), origin: corsOrigin }));
    const answer = http.payload as { statusCode: number; headers: Record<string, string>; body: string };
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.headers['cache-control']).toBe('private, no-store');
    expect(JSON.parse(answer.body)).toMatchObject({ user_id: user, wallets: { points: 50 }, flags: { perks: { welcome_member: true } }, trait_names: ['email'] });
    const direct = await envs.customer!.invoke({ user_id: user });
    expect(direct.payload).toMatchObject({ user_id: user, flags: { perks: { welcome_member: true } } });
    for (const r of [http, direct]) {
      expect(JSON.stringify(r.payload)).not.toContain(secretTrait);
      const { root, spans } = await trace(r.requestId, r.traceHeader, SERVER);
      expectPerkamoCall(spans, 'customer');
      if (r === http) expect(root.name).toBe('GET /customer');
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(user);
    }
  });

  it('program: the browser-safe view over HTTP and a direct invoke, one Perkamo call for both (held 60 s), frozen between them', async () => {
    const http = await envs.program!.invoke(httpApiEvent('GET /program', undefined, { ...(await stack.bearer(`p-${major}`, [])), origin: corsOrigin }));
    const answer = http.payload as { statusCode: number; headers: Record<string, string>; body: string };
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.headers['cache-control']).toBe('private, max-age=60');
    const view = JSON.parse(answer.body);
    expect(view.perks).toContainEqual(expect.objectContaining({ key: 'loyal_customer', unlock: { wallet: 'points', at_least: 500 } }));
    expect(answer.body).not.toMatch(/"(formula|reward|blueprint)"/);
    const direct = await envs.program!.invoke({});
    expect(direct.payload).toEqual(view);
    expect(stack.emulator.ledger().requests.by_route['GET /v1/program']).toBe(1);
    const { root, spans } = await trace(http.requestId, http.traceHeader, SERVER);
    expect(root.name).toBe('GET /program');
    expectPerkamoCall(spans, 'program');
  });

  it('stream-token: a token for the caller, and the browser preflight answered, its span ended and exported', async () => {
    const minted = await envs['stream-token']!.invoke(httpApiEvent('POST /stream-token', {}, { ...(await stack.bearer('alice', [])), origin: corsOrigin }));
    const answer = minted.payload as { statusCode: number; headers: Record<string, string>; body: string };
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body)).toMatchObject({ token_type: 'Bearer', expires_in: 120 });

    const preflight = await envs['stream-token']!.invoke(
      httpApiEvent('OPTIONS /stream-token', undefined, { origin: corsOrigin, 'access-control-request-method': 'POST' }),
    );
    expect((preflight.payload as { statusCode: number }).statusCode).toBe(204);
    const { root } = await trace(preflight.requestId, preflight.traceHeader, SERVER);
    expect(root.name).toBe('OPTIONS /stream-token');
    expect(root.attributes['http.request.method']).toBe('OPTIONS');
    expect(root.attributes['http.response.status_code']).toBe(204);
    expect(root.endNs).toBeGreaterThan(root.startNs);
  });

  it('a function that throws: a direct invoke with a bad payload is an error naming the field, sent nowhere', async () => {
    const before = stack.emulator.ledger().requests.total;
    const result = await envs.emit!.invoke({ userId: 'camel', event: 'purchase.completed' });
    expect(result.ok).toBe(false);
    expect(result.timedOut).toBe(false);
    expect(result.error?.errorType).toMatch(/Error$/);
    expect(result.error?.errorMessage).toMatch(/user_id/);
    expect(stack.emulator.ledger().requests.total).toBe(before);
    const { root } = await trace(result.requestId, result.traceHeader, SERVER);
    expect(root.status.code).toBe(2);
    // The environment survives the error: the next invoke is warm.
    const next = await envs.emit!.invoke({ user_id: `after-${major}`, event: 'page.viewed' });
    expect(next.ok).toBe(true);
    expect(next.initDurationMs).toBeUndefined();
  });

  it('an invocation that runs out of time: Perkamo hangs, the batch fails its records before Lambda would kill it', async () => {
    stack.emulator.setFaults([{ kind: 'hang', routes: ['/v1/events:batch'] }]);
    const sqs = sqsEvent([{ body: { user_id: `late-${major}`, event: 'page.viewed' } }, { body: { user_id: `late-${major}`, event: 'lesson.finished' } }]);
    const result = await envs.batch!.invoke(sqs);
    expect(result.timedOut, 'killed by the 3 s Lambda timeout').toBe(false);
    expect(result.payload).toEqual({ batchItemFailures: sqs.Records.map((r) => ({ itemIdentifier: r.messageId })) });
    expect(result.durationMs).toBeLessThan(3_000);
    const { root } = await trace(result.requestId, result.traceHeader, CONSUMER);
    expect(root.status.code).toBe(2);
    expect(stack.emulator.ledger().applied).toBe(0);
  });

  it('a JWKS that never answers: 503 auth_unavailable inside the budget, not Lambda\'s timeout', async () => {
    const hanging = createServer(() => {});
    await new Promise<void>((ready) => hanging.listen(0, '127.0.0.1', ready));
    const fn = await stack.start('emit', { AUTH_JWKS_URL: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/jwks` });
    try {
      const result = await fn.invoke(
        httpApiEvent('POST /events', { user_id: `j-${major}`, event: 'page.viewed', transaction_id: `j-${major}-${randomUUID()}` }, await stack.bearer('backend', ['perkamo:emit'])),
      );
      expect(result.timedOut, 'killed by the 3 s Lambda timeout').toBe(false);
      const answer = result.payload as { statusCode: number; body: string };
      expect(answer.statusCode).toBe(503);
      expect(JSON.parse(answer.body).error.message).toMatch(/AUTH_JWKS_URL did not answer within this invocation's time budget/);
      expect(result.durationMs).toBeLessThan(3_000);
      expect(stack.emulator.ledger().requests.total).toBe(0);
    } finally {
      await fn.shutdown();
      hanging.closeAllConnections();
      hanging.close();
    }
  });

  it('a key refresh that hangs: after the TTL, invocations are served with the key in hand, not held by the read', async () => {
    const fn = await stack.start('emit', { PERKAMO_SECRET_CACHE_TTL_SECONDS: '2' });
    const payload = (n: number) => ({ user_id: `k-${major}`, event: 'page.viewed', transaction_id: `k-${major}-${n}-${randomUUID()}` });
    try {
      expect((await fn.invoke(payload(0))).ok).toBe(true);
      const reads = stack.secrets.requests.length;
      stack.secrets.hang(true);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      for (const n of [1, 2]) {
        const result = await fn.invoke(payload(n));
        expect(result.ok, JSON.stringify(result.error)).toBe(true);
        expect(result.payload).toMatchObject({ applied: true });
        // Held by the refresh, it would wait for the read's 2 s abort (and fail: the key is then too old).
        expect(result.durationMs).toBeLessThan(2_000);
      }
      // One refresh in flight, shared: not one per invocation.
      expect(stack.secrets.requests.length - reads).toBe(1);
    } finally {
      stack.secrets.hang(false);
      await fn.shutdown();
    }
  });

  it('a configuration that cannot start: init fails with the clear message, and no key or stack dump in it', async () => {
    const broken = await stack.start('emit', { AUTH_JWKS_URL: '' });
    const result = await broken.invoke({ user_id: 'x', event: 'page.viewed' });
    expect(result.ok).toBe(false);
    expect(broken.initError?.errorType).toBe('LambdaConfigurationError');
    expect(broken.initError?.errorMessage).toMatch(/AUTH_JWKS_URL: HTTP callers cannot be authenticated; set AUTH_JWKS_URL/);
    // The stack is the message alone: no frames of the minified bundle.
    expect((broken.initError?.stackTrace ?? []).join('\n')).toBe(`LambdaConfigurationError: ${broken.initError?.errorMessage}`);
    expect(result.error?.errorMessage).toMatch(/AUTH_JWKS_URL/);
    // Every line JSON: ours once, in the functions' format (FATAL, the message with its fixes), and
    // the runtime client's own Init Error line — no minified bundle, no frames, no Node preamble.
    const lines = parseLines(broken.logs);
    const ours = lines.filter((line) => 'function_name' in line);
    expect(ours).toEqual([
      { level: 'FATAL', message: expect.stringMatching(/^Invalid function configuration \(\d problems?\):\n- AUTH_JWKS_URL: /), timestamp: expect.any(String), function_name: 'perkamo-lambda-dev-emit', error: 'LambdaConfigurationError' },
    ]);
    const runtimeClient = lines.filter((line) => !('function_name' in line));
    expect(runtimeClient.map((line) => (line.message as { errorType?: string } | undefined)?.errorType)).toEqual(['LambdaConfigurationError']);
    expect(broken.logs.join('\n')).not.toMatch(/index\.mjs:\d+|triggerUncaughtException/);
    expect(broken.logs.join('\n')).not.toContain(stack.emulator.keys.server[0]!);
    await broken.shutdown();
  });

  it('X-Ray opt-in: with OTEL_PROPAGATORS=…,xray-lambda a Sampled=0 header exports nothing, Sampled=1 continues the X-Ray trace', async () => {
    const batch = await stack.start('batch', { ...flushEnv, OTEL_PROPAGATORS: 'tracecontext,baggage,xray-lambda' });
    try {
      const unsampled = await batch.invoke(sqsEvent([{ body: { user_id: `x-${major}`, event: 'page.viewed' } }]));
      expect(unsampled.payload).toEqual({ batchItemFailures: [] });
      expect(unsampled.traceHeader).toMatch(/;Sampled=0$/);
      const header = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Parent=53995c3f42cd8ad8;Sampled=1`;
      const sampled = await batch.invoke(sqsEvent([{ body: { user_id: `x-${major}`, event: 'lesson.finished' } }]), { traceHeader: header });
      const spans = await stack.traceOf(sampled.requestId);
      const root = spans.find((s) => s.attributes['faas.invocation_id'] === sampled.requestId)!;
      expect(root.traceId).toBe(xrayRoot(header));
      expect(root.parentSpanId).toBe('53995c3f42cd8ad8');
      // Both invocations flushed before they answered: the unsampled one sent nothing at all.
      expect(stack.receiver.spans.filter((s) => s.attributes['faas.invocation_id'] === unsampled.requestId)).toEqual([]);
      expect(stack.receiver.spans.every((s) => s.traceId === root.traceId)).toBe(true);
    } finally {
      await batch.shutdown();
    }
  });
  it('logs as deployed: every line of every function is JSON; each invocation has one summary and one EMF line, tied to its exported span and X-Ray id', async () => {
    const user = `log-${major}-${randomUUID()}`;
    const invocations = [
      await envs.emit!.invoke(httpApiEvent('POST /events', { user_id: user, event: 'page.viewed', transaction_id: `log-${user}` }, await stack.bearer(user, ['perkamo:emit']))),
      await envs.batch!.invoke(sqsEvent([{ body: { user_id: user, event: 'lesson.finished' } }, { messageId: 'invalid', body: { event: 'x' } }])),
      await envs.identify!.invoke(sqsEvent([{ body: { user_id: user, traits: { plan: 'pro' } } }], 'perkamo-identify')),
      await envs['stream-token']!.invoke(httpApiEvent('POST /stream-token', {}, { ...(await stack.bearer(user, ['perkamo:read'])), origin: corsOrigin })),
      await envs.customer!.invoke({ user_id: user }),
    ];
    for (const result of invocations) {
      expect(result.ok, JSON.stringify(result.error)).toBe(true);
      const { root } = await trace(result.requestId, result.traceHeader, result.payload && 'batchItemFailures' in (result.payload as object) ? CONSUMER : SERVER);
      const lines = parseLines(result.logs);
      const mine = lines.filter((line) => line.aws_request_id === result.requestId);
      const summaries = mine.filter((line) => typeof line.message === 'string' && /^invocation (done|failed)/.test(line.message));
      const emf = mine.filter((line) => '_aws' in line);
      expect(summaries, result.logs.join('\n')).toHaveLength(1);
      expect(emf, result.logs.join('\n')).toHaveLength(1);
      expect(emfProblems(emf[0]!)).toEqual([]);
      for (const line of mine.filter((l) => !('_aws' in l))) {
        expectInvocationLine(line, true);
        expect(line.trace_id).toBe(root.traceId);
        expect(line.span_id).toBe(root.spanId);
        expect(line.xray_trace_id).toBe(/Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(result.traceHeader!)![1]);
        expect(line.function_name).toMatch(/^perkamo-lambda-dev-/);
      }
    }
    expect(parseLines(invocations[1]!.logs).find((l) => l.message === 'invocation done with failures')).toMatchObject({ refused: 1, error_codes: { validation_failed: 1 } });
    // Everything printed since the environments started (this suite's earlier tests too): our
    // logger's lines, EMF lines, the layer's warnings, and the runtime client's own JSON lines.
    for (const env of Object.values(envs)) {
      for (const line of parseLines(env.logs)) {
        if ('_aws' in line) expect(emfProblems(line)).toEqual([]);
        else if ('function_name' in line) expectLoggerLine(line);
        else expect(line, 'a runtime client line (JSON log format)').toMatchObject({ timestamp: expect.any(String), level: expect.any(String) });
      }
    }
  });
});
