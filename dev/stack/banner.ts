/** The ready banner of `npm start`: URLs, dev keys and example commands that work as printed. */
import { routes } from './http-api.ts';
import { devAudience, devBrowserKey, devIssuer, devJwtSecret, devSecretKey, localQueues } from './dev-config.ts';
import type { QueueInfo } from './sqs.ts';
import type { LocalStack } from './stack.ts';

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

type StackQueues = Pick<LocalStack, 'queues' | 'settings'>;
/** The events and identify queues of the stack, standard or FIFO. */
const queuesOf = (stack: StackQueues): { events: QueueInfo; identify: QueueInfo } => {
  const names = localQueues(stack.settings.fifo);
  return { events: stack.queues[names.events.name]!, identify: stack.queues[names.identify.name]! };
};

/** The example commands, one per line, as `npm start` prints them (run from the project directory). */
export function exampleCommands(stack: Pick<LocalStack, 'urls' | 'queues' | 'settings'>): { title: string; command: string }[] {
  const api = stack.urls.api;
  const { events, identify } = queuesOf(stack);
  // A FIFO queue refuses a message without a group: the user id, so each user's messages keep their order.
  const group = (userId: string) => (stack.settings.fifo ? { MessageGroupId: userId } : {});
  const json = "-H 'content-type: application/json'";
  const sqsJson = (target: string) => `-H 'content-type: application/x-amz-json-1.0' -H 'x-amz-target: AmazonSQS.${target}'`;
  // The README's Quickstart sends the same body.
  const emitBody = { user_id: 'alice', event: 'purchase.completed', context: { amount: 12900, currency: 'EUR' }, transaction_id: 'order_1001' };
  const batchBody = {
    events: [
      { user_id: 'alice', event: 'lesson.finished', context: { lesson_id: 'intro' }, transaction_id: 'lesson:intro:alice' },
      { user_id: 'bob', event: 'page.viewed', context: { path: '/perks' }, transaction_id: 'view:perks:bob:1' },
    ],
  };
  const sqsMessage = { user_id: 'alice', event: 'referral.completed', context: { referred_user_id: 'carol' }, transaction_id: 'referral:carol' };
  return [
    {
      title: 'emit an event (POST /events; a second run answers duplicate: true)',
      command: `curl -s -X POST ${api}/events -H "authorization: Bearer $(npm run -s token -- backend)" ${json} -d ${quote(JSON.stringify(emitBody))}`,
    },
    {
      title: 'emit a batch (POST /events/batch)',
      command: `curl -s -X POST ${api}/events/batch -H "authorization: Bearer $(npm run -s token -- backend)" ${json} -d ${quote(JSON.stringify(batchBody))}`,
    },
    {
      title: 'identify (POST /identify)',
      command: `curl -s -X POST ${api}/identify -H "authorization: Bearer $(npm run -s token -- backend)" ${json} -d ${quote(JSON.stringify({ user_id: 'alice', traits: { name: 'Alice Example', plan: 'pro' } }))}`,
    },
    {
      title: "mint alice's stream token (POST /stream-token, as alice)",
      command: `curl -s -X POST ${api}/stream-token -H "authorization: Bearer $(npm run -s token -- alice)" ${json} -d '{}'`,
    },
    {
      title: "alice's own state through the customer function (GET /customer, as alice)",
      command: `curl -s ${api}/customer -H "authorization: Bearer $(npm run -s token -- alice)"`,
    },
    {
      title: "alice's customer and every applied event, on the emulator",
      command: `curl -s ${stack.urls.emulator}/v1/customer/alice -H 'x-perkamo-api-key: ${devSecretKey}'`,
    },
    {
      title: 'the emulator ledger',
      command: `curl -s ${stack.urls.emulator}/__emulator/ledger`,
    },
    {
      title: `send one event to the ${events.name} queue (the batch function picks it up)`,
      command: `curl -s ${stack.urls.sqs}/ ${sqsJson('SendMessage')} -d ${quote(JSON.stringify({ QueueUrl: events.url, MessageBody: JSON.stringify(sqsMessage), ...group('alice') }))}`,
    },
    {
      title: `send an identify payload to the ${identify.name} queue`,
      command: `curl -s ${stack.urls.sqs}/ ${sqsJson('SendMessage')} -d ${quote(JSON.stringify({ QueueUrl: identify.url, MessageBody: JSON.stringify({ user_id: 'bob', traits: { plan: 'free' } }), ...group('bob') }))}`,
    },
    {
      title: `what is in ${events.dlqName}`,
      command: `curl -s ${stack.urls.sqs}/_fauxqs/queues/${events.dlqName}`,
    },
  ];
}

function tracing(stack: LocalStack): string {
  const layer = stack.otel.path.replace(/.*[\\/]dist[\\/]/, 'dist/');
  if (stack.otel.loaded) {
    const exporter = process.env.OTEL_TRACES_EXPORTER ?? 'otlp';
    const waterfall = exporter.split(',').includes('console') ? ', and one waterfall per trace below' : '';
    if (stack.urls.traces) return `OpenTelemetry layer loaded: traces at ${stack.urls.traces}${waterfall}`;
    return `OpenTelemetry layer loaded (OTEL_TRACES_EXPORTER=${exporter}, exporting to ${stack.otel.endpoint ?? 'the layer default'}${waterfall})`;
  }
  return stack.otel.requested ? `off: ${layer} is not built yet (npm run build)` : 'off (--no-otel)';
}

export function bannerText(stack: LocalStack): string {
  const { urls, settings } = stack;
  const { events, identify } = queuesOf(stack);
  const queueLine = (queue: QueueInfo, fn: string) => `               ${queue.name.padEnd(identify.name.length)} → ${fn.padEnd(8)}  DLQ ${queue.dlqName}`;
  const lines = [
    '',
    `perkamo-lambda local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s`,
    '',
    `  Demo page    ${urls.page}`,
    `  HTTP API     ${urls.api}   ${Object.entries(routes).map(([route, name]) => `${route} → ${name}`).join(' · ')}`,
    `               (API Gateway HTTP API 2.0 events; Lambda timeout ${settings.functionTimeoutMs / 1000} s)`,
    `  Emulator     ${urls.emulator}   ledger ${urls.emulator}/__emulator/ledger`,
    `  SQS          ${urls.sqs}   (fauxqs; region us-east-1, any credentials)`,
    queueLine(events, 'batch'),
    queueLine(identify, 'identify'),
    `               visibility timeout ${settings.visibilityTimeoutSeconds} s · maxReceiveCount ${settings.maxReceiveCount} · batch size ${settings.batchSize}`,
    settings.fifo
      ? '               FIFO (--fifo): send a MessageGroupId (the user id; npm run enqueue does); content-based deduplication'
      : '               standard queues (npm start -- --fifo for FIFO ones)',
    `  Tracing      ${tracing(stack)}`,
    '',
    `  Dev keys     PERKAMO_SECRET_KEY=${devSecretKey}  PERKAMO_BROWSER_KEY=${devBrowserKey}`,
    `  Dev JWTs     HS256  AUTH_JWT_SECRET=${devJwtSecret}`,
    `               AUTH_ISSUER=${devIssuer}  AUTH_AUDIENCE=${devAudience}`,
    `               npm run -s token -- <user> [scopes…]   (default scopes perkamo:emit perkamo:identify perkamo:read, 1 h)`,
    `               curl -s -X POST ${urls.api}/dev/token -d '{"user_id":"alice"}'   (local only; the demo page uses it)`,
    '',
    '  Try it (from the project directory):',
  ];
  for (const { title, command } of exampleCommands(stack)) lines.push(`    # ${title}`, `    ${command}`);
  lines.push(
    `    # 100 sample events through the queue, 2 of them poison (they reach the DLQ after ${settings.maxReceiveCount} receives)${settings.fifo ? '; each user a message group' : ''}`,
    `    npm run enqueue -- 100 --poison 2${urls.sqs.endsWith(':4566') ? '' : ` --endpoint ${urls.sqs}`}`,
    '',
    '  Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}
