// AWS-shaped trigger events — for the benchmark's workers, with a Lambda context whose remaining
// time counts down, and for the first invocations under the loopback Lambda harness — the same
// shapes as test/helpers/aws-events.ts, in plain JS so that Node 20 runs them without a TypeScript step.
// SQS records come from the one builder in dev/harness/aws-events.ts, built on its own (not the
// whole harness: the workers measure peak RSS).
import { randomUUID } from 'node:crypto';
import { harnessAccountId as ACCOUNT, harnessRegion as REGION, lambdaContext as buildLambdaContext, sqsQueueArn, sqsRecord as buildSqsRecord } from '../../dist/harness/aws-events.mjs';

const EVENTS = ['purchase.completed', 'lesson.finished', 'page.viewed', 'referral.completed'];

/** A context as Lambda's Node runtime passes it; getRemainingTimeInMillis() really counts down. */
export function lambdaContext(functionName, timeoutMs = 30_000) {
  return buildLambdaContext({ functionName, timeoutMs, logStreamSuffix: 'bench' });
}

/** The n-th payload of a run: varied users and events, a unique transaction id. */
export function eventPayload(run, n) {
  const event = EVENTS[n % EVENTS.length];
  return {
    user_id: `bench_user_${n % 997}`,
    event,
    context: event === 'purchase.completed' ? { order_id: `o_${run}_${n}`, amount: 1000 + (n % 50) * 100, currency: 'EUR' } : { n },
    transaction_id: `bench:${run}:${n}`,
  };
}

/**
 * API Gateway HTTP API (payload 2.0) event. By default it carries the claims of API Gateway's JWT
 * authorizer (the workers run with AUTH_TRUST_API_GATEWAY=true, so no variant spends time verifying
 * a JWT); `{ authorizer: false, headers }` is a request as the deployed functions take it, the
 * bearer token in its `authorization` header.
 */
export function httpApiEvent(route, body, { authorizer = true, headers = {} } = {}) {
  const [method, path] = route.split(' ');
  return {
    version: '2.0',
    routeKey: route,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'bench', ...headers },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'bench',
      domainName: `bench.execute-api.${REGION}.amazonaws.com`,
      domainPrefix: 'bench',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: route,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      ...(authorizer && { authorizer: { jwt: { claims: { sub: 'bench_backend', scope: 'perkamo:emit perkamo:identify' }, scopes: null } } }),
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** An EventBridge event as a rule delivers it to the function: `detail` is the POST /events body. */
function eventBridgeEvent(detail, detailType = detail.event) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'com.example.shop',
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail,
  };
}

/**
 * The n-th SQS record of a run: its body is the n-th event payload, without a transaction id for
 * odd n (the function then derives sqs:<messageId>), so that a run mixes both kinds whichever way
 * its events are built.
 */
function sqsRecord(run, n, sent) {
  const payload = eventPayload(run, n);
  if (n % 2 === 1) delete payload.transaction_id;
  return sqsMessage(payload, sent, 'perkamo-events', `rh-${run}-${n}`);
}

/** An SQS record as the event source mapping delivers it, `body` as JSON. */
function sqsMessage(body, sent, queue, receiptHandle = `rh-${randomUUID()}`) {
  return buildSqsRecord({
    queueArn: sqsQueueArn(queue),
    receiptHandle,
    body: JSON.stringify(body),
    sentTimestamp: sent,
    firstReceiveTimestamp: sent,
  });
}

/** An SQS event of the records first … first + count - 1 of a run. */
export function sqsEvent(run, first, count) {
  const sent = String(Date.now());
  return { Records: Array.from({ length: count }, (_, i) => sqsRecord(run, first + i, sent)) };
}

/**
 * The first invocation of a cold start under the harness, for the functions a queue or a bus
 * triggers in the benchmark: what it is (for the report) and the event, as the trigger delivers it.
 */
const queuedFirst = {
  emit: {
    text: 'an EventBridge event',
    event: (run) => {
      const { transaction_id: _, ...detail } = eventPayload(run, 0);
      return eventBridgeEvent(detail);
    },
  },
  batch: { text: 'an SQS batch of 10 records', event: (run) => sqsEvent(run, 0, 10) },
  identify: {
    text: 'an SQS batch of 3 records from the identify queue',
    event: (run) => {
      const sent = String(Date.now());
      const traits = [{ plan: 'pro' }, { country: 'DE', locale: 'de-DE' }, { tier: 'gold' }];
      return { Records: traits.map((t, i) => sqsMessage({ user_id: `bench_user_${run}_${i}`, traits: t }, sent, 'perkamo-identify')) };
    },
  },
};

/** Whether `fn` (a function of the function list) takes its first invocation over HTTP, with a bearer token. */
export const coldStartsOverHttp = (fn) => !(fn.name in queuedFirst);

/**
 * The first invocation of `fn` (a function of the function list): its trigger's event, or a request
 * to its own route with `bearer` (an RS256 token of its scope, which the function verifies against
 * the JWKS it is deployed with); a POST carries an empty JSON object.
 */
export function coldEvent(fn, run, bearer) {
  if (!coldStartsOverHttp(fn)) return queuedFirst[fn.name].event(run);
  return httpApiEvent(fn.route, fn.route.startsWith('POST ') ? {} : undefined, { authorizer: false, headers: { authorization: `Bearer ${bearer}` } });
}

/** coldEvent's invocation in words, for the report. */
export function coldEventText(fn) {
  if (!coldStartsOverHttp(fn)) return queuedFirst[fn.name].text;
  return `\`${fn.route}\` with an RS256 bearer token${fn.scope ? ` of scope \`${fn.scope}\`` : ''}, verified against the loopback JWKS (fetched on this first use), from a caller Perkamo knows`;
}

/**
 * The same SQS event as sqsEvent's, as JSON text built record by record, the form in which the
 * runtime receives an invoke payload: the memory benchmark parses it, so that building the event
 * leaves no large garbage behind to inflate the peak it measures.
 */
export function sqsEventJson(run, first, count) {
  const sent = String(Date.now());
  const parts = new Array(count);
  for (let i = 0; i < count; i++) parts[i] = JSON.stringify(sqsRecord(run, first + i, sent));
  return `{"Records":[${parts.join(',')}]}`;
}
