// A Perkamo that echoes secrets and sends huge text (issue 13, defect 6), against the built
// functions: its error text is bounded, the key and the request's own values are taken out of it
// before it reaches a log line, a span or an answer, and a body over the client's limit (1 MiB) is
// not read to the end — an oversized success is a failure that comes back, not a 6 MB+ answer.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, loadFunction, type Handler } from '../helpers/functions.ts';
import { json, startLoopbackServer, type RecordedRequest } from '../helpers/loopback-server.ts';
import { setupTestTracing } from '../helpers/tracing.ts';

const serverKey = 'sk_test_echoed_by_a_bad_upstream_1234';
const traitValue = 'private.person@example.test';
const contextValue = 'card-4242-4242-4242-4242';

let perkamo: Awaited<ReturnType<typeof startLoopbackServer>>;
let tracing: ReturnType<typeof setupTestTracing>;
const fn: Record<string, Handler> = {};
let logs: string[] = [];

beforeAll(async () => {
  tracing = setupTestTracing();
  perkamo = await startLoopbackServer();
  const env = functionEnv({ url: perkamo.url, keys: { server: [serverKey], browser: ['pk_test_unused'] } }, { LOG_LEVEL: 'debug', PERKAMO_TRACE_USER_IDS: 'keep' });
  for (const name of ['emit', 'batch', 'identify']) fn[name] = await loadFunction(name, env);
});
afterAll(async () => {
  await perkamo.close();
  await tracing.shutdown();
});
beforeEach(() => {
  perkamo.reset();
  tracing.reset();
  logs = [];
});

/** Runs `work` with stdout captured: the functions' log lines. */
async function captured<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    logs.push(String(chunk));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

/** Everything the run left behind that someone could read: log lines and span text. */
function leftBehind(): string {
  const spans = tracing.spans().map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }));
  return [...logs, ...spans].join('\n');
}

/** Streams `bytes` of a JSON string body without a content-length, stopping when the client goes away. */
async function streamHuge(res: ServerResponse, status: number, bytes: number): Promise<number> {
  res.writeHead(status, { 'content-type': 'application/json' });
  const chunk = 'x'.repeat(1024 * 1024);
  let sent = 0;
  res.write('{"message":"');
  while (sent < bytes && !res.destroyed) {
    if (!res.write(chunk)) await new Promise((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    sent += chunk.length;
  }
  if (!res.destroyed) res.end('"}');
  return sent;
}

const event = { user_id: 'u1', event: 'purchase.completed', transaction_id: 'tx-h1', context: { card: contextValue } };

describe('a Perkamo whose text cannot be trusted', () => {
  it('a 401 that echoes the server key: the key is in no answer, log line or span', async () => {
    perkamo.enqueue((req, res) => json(res, 401, { message: `key ${req.headers['x-perkamo-api-key']} is not valid`, code: 'invalid_key', key: req.headers['x-perkamo-api-key'] }));
    const res = await captured(async () => fn.emit!(httpApiEvent('POST /events', event, await bearer('backend')), lambdaContext()));
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(res.body).error.code).toBe('perkamo_rejected_key');
    expect(perkamo.requests).toHaveLength(1);
    expect(`${res.body}\n${leftBehind()}`).not.toContain(serverKey);
    expect(leftBehind()).toContain('[redacted]');
  });

  it('a 422 that quotes a trait value: the caller gets our shape with the value taken out, and so do logs and spans', async () => {
    perkamo.enqueue((req: RecordedRequest, res) => {
      const email = req.json().traits.email;
      json(res, 422, { message: `trait email ${email} is not allowed\n\u0000 here`, code: 'trait_refused', field: `traits.email=${email}` });
    });
    const res = await captured(async () =>
      fn.identify!(httpApiEvent('POST /identify', { user_id: 'u1', traits: { email: traitValue } }, await bearer('backend', ['perkamo:identify'])), lambdaContext()),
    );
    expect(res.statusCode).toBe(422);
    const body = JSON.parse(res.body);
    expect(body.error).toMatchObject({ code: 'trait_refused', message: 'Perkamo API error: trait email [redacted] is not allowed here' });
    expect(body.error).not.toHaveProperty('field'); // not a field name: not repeated
    expect(`${res.body}\n${leftBehind()}`).not.toContain(traitValue);
  });

  it('a 422 with a 50 MB message: the body is dropped at 1 MiB; the answer and every log line stay small', async () => {
    let sent = 0;
    perkamo.enqueue(async (_req, res) => {
      sent = await streamHuge(res, 422, 50 * 1024 * 1024);
    });
    const res = await captured(async () => fn.emit!(httpApiEvent('POST /events', event, await bearer('backend')), lambdaContext()));
    expect(res.statusCode).toBe(422);
    expect(JSON.parse(res.body).error.code).toBe('perkamo_rejected');
    expect(res.body.length).toBeLessThan(1_000);
    expect(Math.max(...logs.map((l) => l.length))).toBeLessThan(4_000);
    expect(sent).toBeLessThan(50 * 1024 * 1024);
  });

  it('a 422 with a 100 KB message is cut to 300 characters on one line', async () => {
    perkamo.enqueue((_req, res) => json(res, 422, { message: `bad\r\n${'y'.repeat(100_000)}`, code: 'too_much' }));
    const res = await captured(async () => fn.emit!(httpApiEvent('POST /events', event, await bearer('backend')), lambdaContext()));
    const message: string = JSON.parse(res.body).error.message;
    expect(message.startsWith('Perkamo API error: bad y')).toBe(true);
    expect(message.length).toBeLessThanOrEqual('Perkamo API error: '.length + 300);
    expect(message.endsWith('…')).toBe(true);
  });

  it.each([
    ['streamed without a length', async (res: ServerResponse) => void (await streamHuge(res, 200, 50 * 1024 * 1024))],
    ['with a declared content-length', async (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{"applied":true,');
    }],
  ])('a 200 with a 50 MB body (%s) fails as unexpected (502), so it is retried, not passed on', async (_what, answer) => {
    perkamo.enqueue((_req, res) => answer(res));
    const res = await captured(async () => fn.emit!(httpApiEvent('POST /events', event, await bearer('backend')), lambdaContext()));
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(res.body).error.code).toBe('perkamo_unavailable');
    expect(res.body.length).toBeLessThan(1_000);
    expect(logs.join('')).toContain('over 1048576 bytes');
  });

  it('a per-item refusal in a batch that quotes the event: logged bounded, without the value', async () => {
    perkamo.enqueue((req, res) =>
      json(res, 200, {
        results: req.json().events.map((e: { context: { card: string } }) => ({
          applied: false,
          duplicate: false,
          error: { code: 'context refused!', message: `card ${e.context.card} refused ${'z'.repeat(5_000)}` },
        })),
      }),
    );
    const records = sqsEvent([{ body: event }, { body: { ...event, transaction_id: 'tx-h2' } }]);
    const answer = await captured(() => fn.batch!(records, lambdaContext()));
    expect(answer.batchItemFailures).toHaveLength(2);
    const text = leftBehind();
    expect(text).not.toContain(contextValue);
    expect(text).toContain('Perkamo refused the event: card [redacted] refused zzz');
    expect(Math.max(...logs.map((l) => l.length))).toBeLessThan(4_000);
    expect(text).not.toContain('context refused!'); // not a code: not repeated as one
  });
});
