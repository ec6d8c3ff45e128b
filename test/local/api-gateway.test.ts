// The local API Gateway and SQS event source mapping: the events they build and how they read answers.
import { SendMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFunctionResult, isTextContentType, toHttpApiEvent } from '../../dev/stack/api-gateway.ts';
import { failedMessageIds, startLocalSqs, toSqsEvent, type LocalSqs } from '../../dev/stack/sqs.ts';
import { lambdaContext } from '../../dev/stack/lambda.ts';

const request = (over: Partial<Parameters<typeof toHttpApiEvent>[0]> = {}) => ({
  method: 'POST',
  url: '/events?a=1&a=2&b=x',
  headers: { host: '127.0.0.1:3000', 'content-type': 'application/json', cookie: 'sid=1; theme=dark', 'x-custom': 'v' },
  body: Buffer.from('{"ok":true}'),
  sourceIp: '127.0.0.1',
  ...over,
});

describe('API Gateway HTTP API 2.0 events', () => {
  it('has the fields of a real payload 2.0 event', () => {
    const event = toHttpApiEvent(request(), 'POST /events', 'abc=');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /events',
      rawPath: '/events',
      rawQueryString: 'a=1&a=2&b=x',
      cookies: ['sid=1', 'theme=dark'],
      queryStringParameters: { a: '1,2', b: 'x' },
      body: '{"ok":true}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        http: { method: 'POST', path: '/events', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        requestId: 'abc=',
        routeKey: 'POST /events',
        stage: '$default',
      },
    });
    expect(event.headers).toMatchObject({ 'content-type': 'application/json', 'x-custom': 'v', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-port': '3000' });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(event.requestContext.timeEpoch).toBeGreaterThan(Date.now() - 5000);
  });

  it('base64-encodes bodies that are not text, and leaves out an empty body', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const binary = toHttpApiEvent(request({ headers: { 'content-type': 'application/octet-stream' }, body: bytes }), 'POST /events');
    expect(binary).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
    const untyped = toHttpApiEvent(request({ headers: {}, body: Buffer.from('{}') }), 'POST /events');
    expect(untyped.isBase64Encoded).toBe(true);
    const empty = toHttpApiEvent(request({ method: 'OPTIONS', body: Buffer.alloc(0) }), 'OPTIONS /events');
    expect(empty.body).toBeUndefined();
    expect(empty.isBase64Encoded).toBe(false);
    for (const type of ['application/json', 'application/problem+json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded']) {
      expect(isTextContentType(type), type).toBe(true);
    }
  });

  it('writes answers as API Gateway does: structured results as given, anything else as a JSON 200', () => {
    const structured = fromFunctionResult({ statusCode: 201, headers: { 'X-A': 'b' }, cookies: ['c=1'], body: 'aGk=', isBase64Encoded: true });
    expect(structured).toMatchObject({ status: 201, headers: { 'x-a': 'b', 'set-cookie': ['c=1'] } });
    expect(structured.body.toString()).toBe('hi');
    const plain = fromFunctionResult({ results: [] });
    expect(plain).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(plain.body.toString()).toBe('{"results":[]}');
    expect(fromFunctionResult({ statusCode: 'nope' }).status).toBe(500);
  });

  it('gives the functions a Lambda context that counts down', async () => {
    const context = lambdaContext('emit', 1000);
    expect(context.functionName).toBe('perkamo-lambda-local-emit');
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:perkamo-lambda-local-emit');
    const first = context.getRemainingTimeInMillis();
    await new Promise((r) => setTimeout(r, 30));
    expect(context.getRemainingTimeInMillis()).toBeLessThan(first);
    expect(first).toBeLessThanOrEqual(1000);
  });
});

describe('SQS events and batchItemFailures', () => {
  let sqs: LocalSqs;
  beforeAll(async () => {
    sqs = await startLocalSqs({ host: '127.0.0.1', port: 0, queues: [{ name: 'shape-q', dlq: 'shape-q-dlq', maxReceiveCount: 3, visibilityTimeoutSeconds: 30 }] });
  });
  afterAll(() => sqs?.close());

  it('builds records in Lambda\'s shape from received messages', async () => {
    const queue = sqs.queues['shape-q']!;
    expect(queue.url).toMatch(/\/000000000000\/shape-q$/);
    expect(queue.arn).toBe('arn:aws:sqs:us-east-1:000000000000:shape-q');
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"user_id":"u","event":"page.viewed"}',
        MessageAttributes: {
          traceparent: { DataType: 'String', StringValue: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      }),
    );
    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    const [record] = toSqsEvent(Messages, queue.arn).Records;
    expect(record).toMatchObject({
      messageId: Messages[0]!.MessageId,
      receiptHandle: Messages[0]!.ReceiptHandle,
      body: '{"user_id":"u","event":"page.viewed"}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d{13}$/), SenderId: expect.any(String) },
      messageAttributes: {
        traceparent: { stringValue: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: Buffer.from('hi').toString('base64'), dataType: 'Binary' },
      },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    });
  });

  it('reads ReportBatchItemFailures answers as Lambda does', () => {
    const event = { Records: [{ messageId: 'a' }, { messageId: 'b' }] } as Parameters<typeof failedMessageIds>[1];
    expect([...failedMessageIds({ batchItemFailures: [] }, event)]).toEqual([]);
    expect([...failedMessageIds(undefined, event)]).toEqual([]);
    expect([...failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'b' }] }, event)]).toEqual(['b']);
    // An unknown id or a malformed answer fails the whole batch.
    expect([...failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'zzz' }] }, event)].sort()).toEqual(['a', 'b']);
    expect([...failedMessageIds({ batchItemFailures: 'x' }, event)].sort()).toEqual(['a', 'b']);
    expect([...failedMessageIds('nonsense', event)].sort()).toEqual(['a', 'b']);
  });
});
