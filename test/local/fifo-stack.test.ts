// `npm start -- --fifo`: the local queues and DLQs are FIFO queues (fauxqs), the pollers hand each
// record's MessageGroupId to the functions, `npm run enqueue` finds the .fifo queue and sends each
// user's messages as one group, and a user's messages are applied in the order they were sent.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCommands } from '../../dev/stack/banner.ts';
import { projectRoot } from '../../dev/stack/lambda.ts';
import { startLocalStack, type LocalStack } from '../../dev/stack/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);
const root = projectRoot();
const haveCurl = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((p) => existsSync(p));
if (!existsSync(join(root, 'dist/bin/enqueue.mjs'))) throw new Error('dist/bin/enqueue.mjs missing: run `npm run build` first (npm test does)');

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ ports: { api: 0, emulator: 0, sqs: 0 }, visibilityTimeoutSeconds: 1, fifo: true, env: { LOG_LEVEL: 'error' } });
});
afterAll(() => stack?.close());


describe('npm start -- --fifo', () => {
  it('creates the queues and their DLQs as FIFO queues, with content-based deduplication, and says so in the banner', async () => {
    expect(Object.keys(stack.queues).sort()).toEqual(['perkamo-events.fifo', 'perkamo-identify.fifo']);
    for (const queue of Object.values(stack.queues)) {
      expect(queue.fifo).toBe(true);
      const { Attributes: main = {} } = await stack.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
      expect(main).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
      expect(JSON.parse(main.RedrivePolicy!)).toMatchObject({ deadLetterTargetArn: queue.dlqArn });
      const { Attributes: dlq = {} } = await stack.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['FifoQueue'] }));
      expect(queue.dlqName).toMatch(/-dlq\.fifo$/);
      expect(dlq.FifoQueue).toBe('true');
    }
    const banner = stack.banner();
    expect(banner).toContain('perkamo-events.fifo   → batch     DLQ perkamo-events-dlq.fifo');
    expect(banner).toContain('FIFO (--fifo): send a MessageGroupId');
  });

  it.skipIf(!haveCurl)("the banner's SendMessage commands carry a MessageGroupId, and their messages reach the functions", async () => {
    const sends = exampleCommands(stack).filter(({ command }) => command.includes('AmazonSQS.SendMessage'));
    expect(sends).toHaveLength(2);
    for (const { title, command } of sends) {
      expect(command, title).toContain('"MessageGroupId":');
      const { stdout } = await run('bash', ['-c', command], { cwd: root, timeout: 15_000 });
      expect(JSON.parse(stdout), `${title}: ${stdout}`).toMatchObject({ MessageId: expect.any(String) });
    }
    await waitFor('the referral and the identify', () => stack.emulator.ledger().events.some((e) => e.transaction_id === 'referral:carol') && stack.emulator.customer('bob')?.traits.plan === 'free');
  });

  it('npm run enqueue finds the .fifo queue, sends each message in its user\'s group, and the batch function applies them', async () => {
    const before = stack.emulator.ledger().applied;
    const { stdout } = await run('npm', ['run', '-s', 'enqueue', '--', '24', '--endpoint', stack.urls.sqs], { cwd: root, timeout: 20_000 });
    expect(stdout).toMatch(/^perkamo-events\.fifo: sent 24 of 24 \(0 poison\), 0 failed sends/m);
    await waitFor('24 events applied', () => stack.emulator.ledger().applied >= before + 24 || undefined);
    expect(stack.emulator.ledger().applied).toBe(before + 24);
  });

  it("keeps a user's order: a poison message holds its group until it rests in the DLQ; the user's later messages follow it, in order", async () => {
    const queue = stack.queues['perkamo-identify.fifo']!;
    const identify = (user: string, traits: unknown) => JSON.stringify({ user_id: user, traits });
    const entries = [
      { group: 'fifo-ann', body: identify('fifo-ann', { plan: 'v1' }) },
      { group: 'fifo-ann', body: identify('fifo-ann', 'not an object') }, // poison: refused at every receive
      { group: 'fifo-ann', body: identify('fifo-ann', { plan: 'v2' }) },
      { group: 'fifo-ann', body: identify('fifo-ann', { plan: 'v3' }) },
      { group: 'fifo-ben', body: identify('fifo-ben', { plan: 'w1' }) },
      { group: 'fifo-ben', body: identify('fifo-ben', { plan: 'w2' }) },
    ];
    const out = await stack.sqs.client.send(
      new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries.map((e, i) => ({ Id: String(i), MessageBody: e.body, MessageGroupId: e.group })) }),
    );
    expect(out.Failed ?? []).toEqual([]);
    const plans = (user: string) => stack.emulator.identifyLog().filter((e) => e.user_id === user).map((e) => e.traits.plan);

    await waitFor("ben's two identifies", () => plans('fifo-ben').length === 2 || undefined);
    expect(plans('fifo-ben')).toEqual(['w1', 'w2']);
    // ann's v2 waits behind the poison message: not applied while it is retried.
    expect(plans('fifo-ann')).toEqual(['v1']);
    await waitFor("ann's v2", () => plans('fifo-ann').includes('v2') || undefined);
    expect((await stack.sqs.counts(queue.dlqName)).visible).toBe(1);
    await waitFor("ann's v3", () => plans('fifo-ann').length === 3 || undefined);
    expect(plans('fifo-ann')).toEqual(['v1', 'v2', 'v3']);
  });
});
