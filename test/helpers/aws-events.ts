import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { harnessAccountId, harnessRegion, lambdaContext as awsLambdaContext, sqsQueueArn, sqsRecord, type SqsRecord } from '../../dev/harness/aws-events.ts';

/** A Lambda context whose getRemainingTimeInMillis() really counts down from `timeoutMs`. */
export function lambdaContext(timeoutMs = 10_000, functionName = 'perkamo-test'): Context {
  return awsLambdaContext({ functionName, timeoutMs, memoryMb: 512, logStreamSuffix: 'abc', callbackWaitsForEmptyEventLoop: false });
}

/** API Gateway HTTP API (payload 2.0) event. */
export function httpApiEvent(
  route: string,
  body: unknown,
  headers: Record<string, string> = {},
  options: { base64?: boolean; rawBody?: string; claims?: Record<string, unknown> } = {},
) {
  const [method, path] = route.split(' ') as [string, string];
  const text = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  return {
    version: '2.0',
    routeKey: route,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: {
      accountId: harnessAccountId,
      apiId: 'api123',
      domainName: `api123.execute-api.${harnessRegion}.amazonaws.com`,
      domainPrefix: 'api123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: route,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      ...(options.claims && { authorizer: { jwt: { claims: options.claims, scopes: null } } }),
    },
    body: text === undefined ? undefined : options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: Boolean(options.base64),
  };
}

/** API Gateway REST API (payload 1.0) event. */
export function restApiEvent(route: string, body: unknown, headers: Record<string, string> = {}) {
  const [method, path] = route.split(' ') as [string, string];
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { accountId: harnessAccountId, apiId: 'rest123', httpMethod: method, path: `/prod${path}`, stage: 'prod', requestId: randomUUID(), resourcePath: path },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export interface SqsMessage {
  body: unknown;
  messageId?: string;
  group?: string;
  attributes?: Record<string, { stringValue: string; dataType: string }>;
}

/** An SQS event; a message with a `group` is a FIFO queue's record (MessageGroupId and the rest). */
export function sqsEvent(messages: SqsMessage[], queue = 'perkamo-events'): { Records: SqsRecord[] } {
  const queueArn = sqsQueueArn(queue);
  return {
    Records: messages.map((m) =>
      sqsRecord({
        queueArn,
        messageId: m.messageId,
        body: typeof m.body === 'string' ? m.body : JSON.stringify(m.body),
        sentTimestamp: Date.UTC(2026, 10, 25, 12, 0, 0),
        ...(m.group !== undefined && { messageGroupId: m.group, messageDeduplicationId: randomUUID(), sequenceNumber: '1' }),
        messageAttributes: m.attributes,
      }),
    ),
  };
}

export function eventBridgeEvent(detail: unknown, detailType = 'purchase.completed', id: string = randomUUID()) {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'com.example.shop',
    account: harnessAccountId,
    time: '2026-11-25T12:00:00Z',
    region: harnessRegion,
    resources: [],
    detail,
  };
}
