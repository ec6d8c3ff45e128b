import type { Context } from 'aws-lambda';
/** A Lambda context whose getRemainingTimeInMillis() really counts down from `timeoutMs`. */
export declare function lambdaContext(timeoutMs?: number, functionName?: string): Context;
/** API Gateway HTTP API (payload 2.0) event. */
export declare function httpApiEvent(route: string, body: unknown, headers?: Record<string, string>, options?: {
    base64?: boolean;
    rawBody?: string;
    claims?: Record<string, unknown>;
}): {
    version: string;
    routeKey: string;
    rawPath: string;
    rawQueryString: string;
    headers: {
        'content-type': string;
    };
    requestContext: {
        authorizer?: {
            jwt: {
                claims: Record<string, unknown>;
                scopes: null;
            };
        } | undefined;
        accountId: string;
        apiId: string;
        domainName: string;
        domainPrefix: string;
        http: {
            method: string;
            path: string;
            protocol: string;
            sourceIp: string;
            userAgent: string;
        };
        requestId: `${string}-${string}-${string}-${string}-${string}`;
        routeKey: string;
        stage: string;
        time: string;
        timeEpoch: number;
    };
    body: string | undefined;
    isBase64Encoded: boolean;
};
/** API Gateway REST API (payload 1.0) event. */
export declare function restApiEvent(route: string, body: unknown, headers?: Record<string, string>): {
    resource: string;
    path: string;
    httpMethod: string;
    headers: {
        'Content-Type': string;
    };
    multiValueHeaders: {};
    queryStringParameters: null;
    pathParameters: null;
    stageVariables: null;
    requestContext: {
        accountId: string;
        apiId: string;
        httpMethod: string;
        path: string;
        stage: string;
        requestId: `${string}-${string}-${string}-${string}-${string}`;
        resourcePath: string;
    };
    body: string | null;
    isBase64Encoded: boolean;
};
export interface SqsMessage {
    body: unknown;
    messageId?: string;
    group?: string;
    attributes?: Record<string, {
        stringValue: string;
        dataType: string;
    }>;
}
/** An SQS event; `fifo` makes a FIFO queue's records (with MessageGroupId). */
export declare function sqsEvent(messages: SqsMessage[], queue?: string): {
    Records: {
        messageId: string;
        receiptHandle: `${string}-${string}-${string}-${string}-${string}`;
        body: string;
        attributes: {
            MessageGroupId?: string | undefined;
            SequenceNumber?: string | undefined;
            MessageDeduplicationId?: `${string}-${string}-${string}-${string}-${string}` | undefined;
            ApproximateReceiveCount: string;
            SentTimestamp: string;
            SenderId: string;
            ApproximateFirstReceiveTimestamp: string;
        };
        messageAttributes: Record<string, {
            stringValue: string;
            dataType: string;
        }>;
        md5OfBody: string;
        eventSource: string;
        eventSourceARN: string;
        awsRegion: string;
    }[];
};
export declare function eventBridgeEvent(detail: unknown, detailType?: string, id?: string): {
    version: string;
    id: string;
    'detail-type': string;
    source: string;
    account: string;
    time: string;
    region: string;
    resources: never[];
    detail: unknown;
};
