import { SpanKind, SpanStatusCode, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { attr, cloudFromArn } from './attributes.ts';
import { extractFromHeaders, messageSpanContext } from './propagation.ts';
import { tracer } from './tracer.ts';

/** Links beyond this are dropped: a 10,000-record batch must not cost 10,000 link objects. */
export const maxLinks = 128;

export interface LambdaInfo {
  functionName?: string;
  invokedFunctionArn?: string;
  awsRequestId?: string;
  coldStart: boolean;
}

export type InvocationSource =
  | { trigger: 'http'; method: string; route: string; headers: Record<string, string | undefined> }
  | { trigger: 'sqs'; queue: string; messages: { id: string; carrier: Record<string, string | undefined>; xray?: string }[] }
  | { trigger: 'eventbridge'; detailType: string; source: string; id: string; carrier: Record<string, string | undefined> }
  | { trigger: 'direct' };

/** No carrier: SQS (each message's context is a link, not the parent) and direct invokes. */
const noCarrier: Record<string, string | undefined> = Object.freeze({});

/**
 * Starts the span of one invocation — SERVER for HTTP and direct invokes, CONSUMER for SQS and
 * EventBridge — and returns it with the context in which the invocation's work must run. The parent
 * is whatever the global propagator extracts from the trigger's carrier (HTTP headers, EventBridge
 * `detail` fields, nothing for SQS and direct invokes): `traceparent` by default; Lambda's own X-Ray
 * header only when OTEL_PROPAGATORS names `xray-lambda`. SQS messages' contexts are links.
 */
export function startInvocationSpan(source: InvocationSource, lambda: LambdaInfo): { span: Span; context: Context } {
  const cloud = cloudFromArn(lambda.invokedFunctionArn);
  const attributes: Record<string, string | number | boolean> = {
    [attr.faasColdstart]: lambda.coldStart,
    [attr.cloudProvider]: 'aws',
  };
  if (lambda.awsRequestId) attributes[attr.faasInvocationId] = lambda.awsRequestId;
  if (lambda.functionName) attributes[attr.faasName] = lambda.functionName;
  if (cloud.region) attributes[attr.cloudRegion] = cloud.region;
  if (cloud.account) attributes[attr.cloudAccountId] = cloud.account;

  let name: string;
  let kind: SpanKind;
  let parent: Context;
  let links: Link[] = [];
  switch (source.trigger) {
    case 'http': {
      name = `${source.method} ${source.route}`;
      kind = SpanKind.SERVER;
      parent = extractFromHeaders(source.headers);
      attributes[attr.faasTrigger] = 'http';
      attributes[attr.httpRequestMethod] = source.method;
      attributes[attr.httpRoute] = source.route;
      break;
    }
    case 'sqs': {
      name = `process ${source.queue}`;
      kind = SpanKind.CONSUMER;
      parent = extractFromHeaders(noCarrier);
      attributes[attr.faasTrigger] = 'pubsub';
      attributes[attr.messagingSystem] = 'aws_sqs';
      attributes[attr.messagingOperationType] = 'process';
      attributes[attr.messagingOperationName] = 'process';
      attributes[attr.messagingDestinationName] = source.queue;
      attributes[attr.messagingBatchCount] = source.messages.length;
      for (const message of source.messages) {
        if (links.length >= maxLinks) break;
        const spanContext = messageSpanContext(message.carrier, message.xray);
        if (spanContext) links.push({ context: spanContext, attributes: { [attr.messagingMessageId]: message.id } });
      }
      break;
    }
    case 'eventbridge': {
      name = `process ${source.detailType}`;
      kind = SpanKind.CONSUMER;
      parent = extractFromHeaders(source.carrier);
      attributes[attr.faasTrigger] = 'pubsub';
      attributes[attr.messagingSystem] = 'aws_eventbridge';
      attributes[attr.messagingOperationType] = 'process';
      attributes[attr.messagingDestinationName] = source.source;
      attributes[attr.messagingMessageId] = source.id;
      break;
    }
    case 'direct':
      name = `invoke ${lambda.functionName ?? 'function'}`;
      kind = SpanKind.SERVER;
      parent = extractFromHeaders(noCarrier);
      attributes[attr.faasTrigger] = 'other';
      break;
  }
  const span = tracer.startSpan(name, { kind, attributes, links }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends the invocation span with what the trigger was answered. */
export function endInvocationSpan(span: Span, end: { status?: number; failed?: number; total?: number; error?: unknown }): void {
  if (end.status !== undefined) {
    span.setAttribute(attr.httpResponseStatusCode, end.status);
    if (end.status >= 500) {
      span.setAttribute(attr.errorType, String(end.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  if (end.failed !== undefined) {
    span.setAttribute(attr.perkamoFailed, end.failed);
    if (end.failed > 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `${end.failed} of ${end.total} records failed` });
  }
  if (end.error !== undefined) {
    const error = end.error as Error;
    const timeout = error?.name === 'BudgetExhaustedError' || error?.name === 'TimeoutError';
    span.setAttribute(attr.errorType, timeout ? 'timeout' : error?.name || 'Error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
  }
  span.end();
}

