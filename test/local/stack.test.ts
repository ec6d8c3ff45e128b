// The local stack in-process on ephemeral ports: the HTTP API round trip and the SQS round trip
// (good messages applied exactly once, a poison message in the DLQ after maxReceiveCount).
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devAudience, devIssuer, devJwtSecret, mintDevToken } from '../../dev/stack/dev-config.ts';
import { startLocalStack, type LocalStack } from '../../dev/stack/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ ports: { api: 0, emulator: 0, sqs: 0 }, visibilityTimeoutSeconds: 1, env: { LOG_LEVEL: 'error' } });
});
afterAll(() => stack?.close());


const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${stack.urls.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { res, body: (await res.json()) as any };
};

describe('local HTTP API', () => {
  it('emit round trip: 200 with the result, and the emulator ledger has the event', async () => {
    const auth = { authorization: `Bearer ${await mintDevToken('backend')}` };
    const { res, body } = await post('/events', { user_id: 'http-alice', event: 'purchase.completed', context: { amount: 12900 }, transaction_id: 'http-order-1' }, auth);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ applied: true, duplicate: false, delta: [{ wallet: 'points', amount: 129 }] });
    expect(res.headers.get('apigw-requestid')).toBeTruthy();
    const entry = stack.emulator.ledger().events.find((e) => e.transaction_id === 'http-order-1');
    expect(entry).toMatchObject({ user_id: 'http-alice', event: 'purchase.completed', request_id: res.headers.get('x-perkamo-request-id') });

    // Headers reach the function lowercased: Idempotency-Key becomes the transaction id.
    const keyed = await post('/events', { user_id: 'http-alice', event: 'page.viewed' }, { ...auth, 'Idempotency-Key': 'http-key-7' });
    expect(keyed.res.status).toBe(200);
    expect(stack.emulator.ledger().events.some((e) => e.transaction_id === 'http-key-7')).toBe(true);
    const again = await post('/events', { user_id: 'http-alice', event: 'page.viewed' }, { ...auth, 'Idempotency-Key': 'http-key-7' });
    expect(again.body).toMatchObject({ applied: false, duplicate: true });
  });

  it('batch, identify and stream-token answer on their routes', async () => {
    const auth = { authorization: `Bearer ${await mintDevToken('http-bob')}` };
    const batch = await post('/events/batch', { events: [{ user_id: 'http-bob', event: 'lesson.finished', transaction_id: 'hb-1' }, { user_id: 'http-bob', event: 'page.viewed', transaction_id: 'hb-2' }] }, auth);
    expect(batch.res.status).toBe(200);
    expect(batch.body.results).toHaveLength(2);
    const identify = await post('/identify', { user_id: 'http-bob', traits: { plan: 'pro' } }, auth);
    expect(identify.res.status).toBe(200);
    expect(stack.emulator.customer('http-bob')?.traits).toMatchObject({ plan: 'pro' });
    const stream = await post('/stream-token', {}, auth);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('cache-control')).toBe('no-store');
    expect(stream.body).toMatchObject({ token_type: 'Bearer', token: expect.any(String) });
    expect((await post('/stream-token', { user_id: 'someone-else' }, auth)).res.status).toBe(403);
  });

  it('passes errors, preflights and CORS through; unknown routes get API Gateway\'s 404', async () => {
    const anonymous = await post('/events', { user_id: 'x', event: 'page.viewed', transaction_id: 't' });
    expect(anonymous.res.status).toBe(401);
    expect(anonymous.res.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const origin = stack.urls.api;
    const preflight = await fetch(`${stack.urls.api}/stream-token`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    const foreign = await fetch(`${stack.urls.api}/stream-token`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const missing = await fetch(`${stack.urls.api}/nope`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
    expect((await fetch(`${stack.urls.api}/events`)).status).toBe(404);
  });

  it('serves the demo page and the local-only dev routes', async () => {
    const page = await fetch(stack.urls.page);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/demo.js">');
    expect((await fetch(`${stack.urls.api}/demo.js`)).status).toBe(200);
    const config = (await (await fetch(`${stack.urls.api}/dev/config`)).json()) as any;
    expect(config).toMatchObject({ emulator_url: stack.urls.emulator, api_url: stack.urls.api });
    const dev = await post('/dev/token', { user_id: 'page-user' });
    expect(dev.res.status).toBe(200);
    const { payload } = await jwtVerify(dev.body.token, new TextEncoder().encode(devJwtSecret), { issuer: devIssuer, audience: devAudience });
    expect(payload).toMatchObject({ sub: 'page-user', scope: 'perkamo:emit perkamo:identify perkamo:read' });
    expect((await post('/dev/token', { user_id: '' })).res.status).toBe(400);
  });
});

describe('local SQS', () => {
  it('applies good messages exactly once and moves a poison message to the DLQ after maxReceiveCount', async () => {
    const queue = stack.queues['perkamo-events']!;
    const good = Array.from({ length: 25 }, (_, i) => ({
      user_id: `sqs-user-${i % 5}`,
      event: i % 2 ? 'lesson.finished' : 'purchase.completed',
      context: { amount: 1000 + i },
      transaction_id: `sqs-rt-${i}`,
    }));
    const poison = '{"user_id":"sqs-poison","event":"purchase.completed","context":{"amount":';
    const bodies = [...good.map((g) => JSON.stringify(g)), poison];
    const started = Date.now();
    for (let i = 0; i < bodies.length; i += 10) {
      const out = await stack.sqs.client.send(
        new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })) }),
      );
      expect(out.Failed ?? []).toEqual([]);
    }

    const ids = new Set(good.map((g) => g.transaction_id));
    await waitFor('the good messages', () => stack.emulator.ledger().events.filter((e) => ids.has(e.transaction_id)).length === 25 || undefined);
    await waitFor('the poison message in the DLQ', async () => {
      const { visible } = await stack.sqs.counts(queue.dlqName);
      return visible === 1 || undefined;
    });
    const elapsed = Date.now() - started;

    const ledger = stack.emulator.ledger();
    for (const id of ids) expect(ledger.events.filter((e) => e.transaction_id === id), id).toHaveLength(1);
    expect(Object.keys(ledger.duplicates.by_transaction_id).filter((id) => ids.has(id))).toEqual([]);
    expect(ledger.events.some((e) => e.user_id === 'sqs-poison')).toBe(false);
    // Three receives a visibility timeout (1 s) apart, then the redrive on the fourth.
    expect(elapsed).toBeGreaterThanOrEqual(1900);

    expect(await stack.sqs.counts(queue.name)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const { Messages = [] } = await stack.sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    expect(Messages.map((m) => m.Body)).toEqual([poison]);
    expect(stack.pollers['perkamo-events']!.stats.failed).toBeGreaterThanOrEqual(3);
  });

  it('feeds the identify queue to the identify function', async () => {
    const queue = stack.queues['perkamo-identify']!;
    await stack.sqs.client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify({ user_id: 'sqs-ident', traits: { plan: 'team' } }) }));
    await waitFor('the identify', () => stack.emulator.customer('sqs-ident'));
    expect(stack.emulator.customer('sqs-ident')?.traits).toEqual({ plan: 'team' });
  });
});
