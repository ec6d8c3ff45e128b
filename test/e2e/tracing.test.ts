import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { eventBridgeEvent, httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, loadFunction } from '../helpers/functions.ts';
import { parentOf, useTracedFunctions } from '../helpers/tracing.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const parentSpanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${parentSpanId}-01`;

const suite = useTracedFunctions(['emit', 'batch', 'identify', 'stream-token']);
const fn = suite.fn;

const purchase = (user: string, tx: string) => ({ user_id: user, event: 'purchase.completed', transaction_id: tx, context: { amount: 500 } });
const byName = (name: string) => suite.tracing.spans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = byName(name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
};
/** Every Perkamo request id the emulator handed out, per transaction id. */
const ledgerRequestIds = () => new Set(suite.emulator.ledger().events.map((e) => e.request_id));

describe('spans per function × trigger', () => {
  it('emit over HTTP: SERVER span continuing traceparent → perkamo emit → POST, with the Perkamo request id', async () => {
    const context = lambdaContext();
    const res = await fn.emit!(httpApiEvent('POST /events', purchase('customer_1', 'tx_http'), { ...(await bearer('backend')), traceparent }), context);
    expect(res.statusCode).toBe(200);
    const server = one('POST /events');
    const operation = one('perkamo emit');
    const client = one('POST');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(traceId);
    expect(parentOf(server)).toBe(parentSpanId);
    expect(server.attributes).toMatchObject({
      'faas.trigger': 'http',
      'faas.invocation_id': context.awsRequestId,
      'faas.name': 'perkamo-test',
      'cloud.region': 'eu-central-1',
      'cloud.account.id': '123456789012',
      'http.route': '/events',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(typeof server.attributes['faas.coldstart']).toBe('boolean');
    expect(operation.kind).toBe(SpanKind.INTERNAL);
    expect(parentOf(operation)).toBe(server.spanContext().spanId);
    expect(operation.attributes).toMatchObject({
      'perkamo.operation': 'emit',
      'perkamo.event': 'purchase.completed',
      'perkamo.transaction_id': 'tx_http',
      'perkamo.applied': true,
      'perkamo.duplicate': false,
      'perkamo.user_id': expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
    });
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(client)).toBe(operation.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.full': `${suite.emulator.url}/v1/events`,
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    expect(client.attributes['http.request.resend_count']).toBeUndefined();
    const requestId = res.headers['x-perkamo-request-id'];
    expect(ledgerRequestIds()).toEqual(new Set([requestId]));
    expect(client.attributes['perkamo.request_id']).toBe(requestId);
    expect(operation.attributes['perkamo.request_id']).toBe(requestId);
  });

  it('a retried attempt is a second CLIENT span with resend count 1 and the error of the first', async () => {
    suite.emulator.setFaults([{ kind: 'error_before', status: 503, times: 1 }]);
    await fn.emit!(purchase('u1', 'tx_retry'), lambdaContext());
    const clients = byName('POST');
    expect(clients).toHaveLength(2);
    expect(clients[0]!.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503', 'perkamo.request_id': expect.stringMatching(/^req_/) });
    expect(clients[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(clients[1]!.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 1 });
    expect(new Set(clients.map(parentOf))).toEqual(new Set([one('perkamo emit').spanContext().spanId]));
  });

  it('emit from EventBridge: CONSUMER span continuing the traceparent in detail (not sent on as a field)', async () => {
    const event = eventBridgeEvent({ ...purchase('u1', 'tx_eb'), traceparent }, 'purchase.completed', 'evt-9');
    expect(await fn.emit!(event, lambdaContext())).toMatchObject({ applied: true });
    const consumer = one('process purchase.completed');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.attributes).toMatchObject({ 'faas.trigger': 'pubsub', 'messaging.system': 'aws_eventbridge', 'messaging.message.id': 'evt-9', 'messaging.destination.name': 'com.example.shop' });
    expect(parentOf(one('perkamo emit'))).toBe(consumer.spanContext().spanId);
  });

  it('emit invoked directly: a SERVER span named after the function', async () => {
    await fn.emit!(purchase('u1', 'tx_direct'), lambdaContext());
    expect(one('invoke perkamo-test').attributes['faas.trigger']).toBe('other');
  });

  it('batch from SQS: CONSUMER span with links to each message (traceparent attribute or AWSTraceHeader), one perkamo batch span', async () => {
    const xrayTrace = '1-5759e988-bd862e3fe1be46a994272793';
    const event = sqsEvent([
      { messageId: 'm1', body: purchase('u1', 'sq1'), attributes: { traceparent: { stringValue: traceparent, dataType: 'String' } } },
      { messageId: 'm2', body: purchase('u2', 'sq2') },
      { messageId: 'm3', body: purchase('u3', 'sq3') },
    ]);
    (event.Records[1]!.attributes as Record<string, string>).AWSTraceHeader = `Root=${xrayTrace};Parent=53995c3f42cd8ad8;Sampled=1`;
    expect(await fn.batch!(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    const consumer = one('process perkamo-events');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.attributes).toMatchObject({
      'faas.trigger': 'pubsub',
      'messaging.system': 'aws_sqs',
      'messaging.destination.name': 'perkamo-events',
      'messaging.operation.type': 'process',
      'messaging.batch.message_count': 3,
      'perkamo.records.failed': 0,
    });
    expect(consumer.links.map((l) => [l.context.traceId, l.context.spanId, l.attributes?.['messaging.message.id']])).toEqual([
      [traceId, parentSpanId, 'm1'],
      ['5759e988bd862e3fe1be46a994272793', '53995c3f42cd8ad8', 'm2'],
    ]);
    const batch = one('perkamo batch');
    expect(batch.attributes).toMatchObject({ 'perkamo.operation': 'batch', 'perkamo.batch.size': 3 });
    expect(batch.attributes['perkamo.request_id']).toBe([...ledgerRequestIds()][0]);
    expect(parentOf(batch)).toBe(consumer.spanContext().spanId);
  });

  it('a failed record marks the SQS span in error with the count', async () => {
    await fn.batch!(sqsEvent([{ body: purchase('u1', 'ok') }, { body: '{nope' }]), lambdaContext());
    const consumer = one('process perkamo-events');
    expect(consumer.attributes['perkamo.records.failed']).toBe(1);
    expect(consumer.status).toMatchObject({ code: SpanStatusCode.ERROR, message: '1 of 2 records failed' });
  });

  it('identify from HTTP, SQS, EventBridge and direct each get their span and a perkamo identify span', async () => {
    await fn.identify!(httpApiEvent('POST /identify', { user_id: 'c1', traits: { plan: 'pro' } }, await bearer('b', ['perkamo:identify'])), lambdaContext());
    await fn.identify!(sqsEvent([{ body: { user_id: 'c2' } }], 'perkamo-identify'), lambdaContext());
    await fn.identify!(eventBridgeEvent({ user_id: 'c3' }, 'customer.updated'), lambdaContext());
    await fn.identify!({ user_id: 'c4' }, lambdaContext());
    for (const name of ['POST /identify', 'process perkamo-identify', 'process customer.updated', 'invoke perkamo-test']) one(name);
    expect(byName('perkamo identify')).toHaveLength(4);
  });

  it('stream-token over HTTP: perkamo browser_token span (the Perkamo operation the client names)', async () => {
    await fn['stream-token']!(httpApiEvent('POST /stream-token', {}, await bearer('customer_7', [])), lambdaContext());
    expect(one('POST /stream-token').attributes['http.response.status_code']).toBe(200);
    expect(one('perkamo browser_token').attributes['perkamo.operation']).toBe('browser_token');
  });

  it('stream-token CORS preflight, answered before the handler: the SERVER span still ends, as OPTIONS with the status', async () => {
    const origin = 'https://app.example.com';
    const streamToken = await loadFunction('stream-token', functionEnv(suite.emulator, { CORS_ALLOWED_ORIGINS: origin }));
    expect((await streamToken(httpApiEvent('OPTIONS /stream-token', undefined, { origin }), lambdaContext())).statusCode).toBe(204);
    expect((await streamToken(httpApiEvent('OPTIONS /stream-token', undefined, { origin: 'https://evil.example' }), lambdaContext())).statusCode).toBe(403);
    const spans = byName('OPTIONS /stream-token');
    expect(spans.map((s) => [s.kind, s.attributes['http.request.method'], s.attributes['http.route'], s.attributes['http.response.status_code']])).toEqual([
      [SpanKind.SERVER, 'OPTIONS', '/stream-token', 204],
      [SpanKind.SERVER, 'OPTIONS', '/stream-token', 403],
    ]);
    expect(suite.tracing.spans()).toHaveLength(2);
  });

  it('an HTTP error answer sets the status code; a 5xx marks the span in error', async () => {
    suite.emulator.setFaults([{ kind: 'error_before', status: 500 }]);
    const res = await fn.emit!(httpApiEvent('POST /events', purchase('u1', 'tx_500'), await bearer('backend')), lambdaContext(800));
    expect(res.statusCode).toBe(502);
    const server = one('POST /events');
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 502, 'error.type': '502' });
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(one('perkamo emit').attributes['perkamo.request_id']).toMatch(/^req_/);
  });

  it('out of budget: the invocation span ends with error.type = timeout', async () => {
    suite.emulator.setFaults([{ kind: 'hang' }]);
    const started = Date.now();
    const res = await fn.emit!(
      httpApiEvent('POST /events', purchase('u1', 'tx_hang'), await bearer('backend')),
      lambdaContext(700),
    );
    expect(Date.now() - started).toBeLessThan(700);
    expect(res.statusCode).toBe(504);
    const client = one('POST');
    expect(client.attributes['error.type']).toBe('timeout');
  });
});

describe('what spans never carry', () => {
  it('no server key, signature, bearer token or trait value in any attribute', async () => {
    const jwt = (await bearer('backend')).authorization.slice('Bearer '.length);
    await fn.identify!(httpApiEvent('POST /identify', { user_id: 'c9', traits: { email: 'secret.person@example.test' } }, await bearer('b', ['perkamo:identify'])), lambdaContext());
    await fn.emit!(httpApiEvent('POST /events', purchase('u1', 'tx_scan'), { authorization: `Bearer ${jwt}` }), lambdaContext());
    const everything = JSON.stringify(suite.tracing.spans().map((s) => [s.name, s.attributes, s.events, s.status, s.links]));
    expect(everything).not.toContain(suite.emulator.keys.server[0]);
    expect(everything).not.toContain(jwt);
    expect(everything).not.toContain('secret.person@example.test');
    expect(everything).not.toMatch(/v1=[0-9a-f]{64}/);
    expect(everything).not.toContain('c9"');
  });

  it('PERKAMO_TRACE_USER_IDS=keep shows the id, drop omits it', async () => {
    const keep = await loadFunction('emit', functionEnv(suite.emulator, { PERKAMO_TRACE_USER_IDS: 'keep' }));
    await keep(purchase('visible_user', 'tx_keep'), lambdaContext());
    expect(one('perkamo emit').attributes['perkamo.user_id']).toBe('visible_user');
    suite.tracing.reset();
    const drop = await loadFunction('emit', functionEnv(suite.emulator, { PERKAMO_TRACE_USER_IDS: 'drop' }));
    await drop(purchase('hidden_user', 'tx_drop'), lambdaContext());
    expect(one('perkamo emit').attributes['perkamo.user_id']).toBeUndefined();
  });
});
