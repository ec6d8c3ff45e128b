// A Perkamo URL that answers with a redirect (issue 13, defect 1): the built functions never follow
// it — the other host gets neither the key nor the signed body — and nothing counts as applied:
// an HTTP caller gets 502 perkamo_redirected, SQS records are reported failed so they come back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { bearer, functionEnv, loadFunction, type Handler } from '../helpers/functions.ts';
import { json, startLoopbackServer } from '../helpers/loopback-server.ts';

let perkamo: Awaited<ReturnType<typeof startLoopbackServer>>;
let elsewhere: Awaited<ReturnType<typeof startLoopbackServer>>;
const fn: Record<string, Handler> = {};
const serverKey = 'sk_test_never_leaves';

beforeAll(async () => {
  elsewhere = await startLoopbackServer((_req, res) => json(res, 200, { applied: true, duplicate: false, delta: [], results: [] }));
  perkamo = await startLoopbackServer((req, res) => {
    res.writeHead(307, { location: `${elsewhere.url}${req.url}` }).end();
  });
  const env = functionEnv({ url: perkamo.url, keys: { server: [serverKey], browser: ['pk_test_unused'] } });
  fn.emit = await loadFunction('emit', env);
  fn.batch = await loadFunction('batch', env);
});
afterAll(async () => {
  await perkamo.close();
  await elsewhere.close();
});
beforeEach(() => {
  perkamo.reset();
  elsewhere.reset();
});

describe('a redirecting Perkamo URL', () => {
  it('HTTP emit answers 502 perkamo_redirected after one attempt; the other host sees nothing', async () => {
    const res = await fn.emit!(
      httpApiEvent('POST /events', { user_id: 'u1', event: 'page.viewed', transaction_id: 'tx-r1' }, await bearer('backend')),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(502);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('perkamo_redirected');
    expect(res.body).not.toContain(elsewhere.url);
    expect(perkamo.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('an SQS batch reports every record failed, so SQS delivers them again', async () => {
    const event = sqsEvent([{ body: { user_id: 'u1', event: 'page.viewed' } }, { body: { user_id: 'u2', event: 'lesson.finished' } }]);
    const res = await fn.batch!(event, lambdaContext());
    expect(res.batchItemFailures).toEqual(event.Records.map((r) => ({ itemIdentifier: r.messageId })));
    expect(elsewhere.requests).toHaveLength(0);
    expect(JSON.stringify(perkamo.requests.map((r) => r.headers))).toContain(serverKey);
  });
});
