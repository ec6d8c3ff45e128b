/** The ready banner of `npm start`: URLs, dev keys and example commands that work as printed. */
import { routes } from './http-api.ts';
import { devAudience, devBrowserKey, devIssuer, devJwtSecret, devSecretKey, queues as queueDefs } from './dev-config.ts';
import type { LocalStack } from './stack.ts';

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The example commands, one per line, as `npm start` prints them (run from the project directory). */
export function exampleCommands(stack: Pick<LocalStack, 'urls' | 'queues'>): { title: string; command: string }[] {
  const api = stack.urls.api;
  const events = stack.queues[queueDefs.events.name]!;
  const identify = stack.queues[queueDefs.identify.name]!;
  const json = "-H 'content-type: application/json'";
  const sqsJson = (target: string) => `-H 'content-type: application/x-amz-json-1.0' -H 'x-amz-target: AmazonSQS.${target}'`;
  const emitBody = { user_id: 'alice', event: 'purchase.completed', context: { order_id: 'order_1001', amount: 12900, currency: 'EUR' }, transaction_id: 'order_1001' };
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
      command: `curl -s ${stack.urls.sqs}/ ${sqsJson('SendMessage')} -d ${quote(JSON.stringify({ QueueUrl: events.url, MessageBody: JSON.stringify(sqsMessage) }))}`,
    },
    {
      title: `send an identify payload to the ${identify.name} queue`,
      command: `curl -s ${stack.urls.sqs}/ ${sqsJson('SendMessage')} -d ${quote(JSON.stringify({ QueueUrl: identify.url, MessageBody: JSON.stringify({ user_id: 'bob', traits: { plan: 'free' } }) }))}`,
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
  const { urls, queues, settings } = stack;
  const events = queues[queueDefs.events.name]!;
  const identify = queues[queueDefs.identify.name]!;
  const lines = [
    '',
    `perkamo-lambda local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s`,
    '',
    `  Demo page    ${urls.page}`,
    `  HTTP API     ${urls.api}   ${Object.entries(routes).map(([route, name]) => `${route} → ${name}`).join(' · ')}`,
    `               (API Gateway HTTP API 2.0 events; Lambda timeout ${settings.functionTimeoutMs / 1000} s)`,
    `  Emulator     ${urls.emulator}   ledger ${urls.emulator}/__emulator/ledger`,
    `  SQS          ${urls.sqs}   (fauxqs; region us-east-1, any credentials)`,
    `               ${events.name} → batch     DLQ ${events.dlqName}`,
    `               ${identify.name} → identify  DLQ ${identify.dlqName}`,
    `               visibility timeout ${settings.visibilityTimeoutSeconds} s · maxReceiveCount ${settings.maxReceiveCount} · batch size ${settings.batchSize}`,
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
    `    # 100 sample events through the queue, 2 of them poison (they reach the DLQ after ${settings.maxReceiveCount} receives)`,
    `    npm run enqueue -- 100 --poison 2${urls.sqs.endsWith(':4566') ? '' : ` --endpoint ${urls.sqs}`}`,
    '',
    '  Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}
