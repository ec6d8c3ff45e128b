import { SpanKind, SpanStatusCode, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { isTimeoutError } from '../core/errors.ts';
import { attr, cloudFromArn } from './attributes.ts';
import { extractFromHeaders, messageSpanContext } from './propagation.ts';
import { tracer } from './tracer.ts';

/** Links beyond this are dropped: a 10,000-record batch must not cost 10,000 link objects. */
export const maxLinks = 128;

export interface LambdaInfo {
  functionName?: string;
  invokedFunctionArn?: string;
  awsRequestId?: string;
  /** Lambda's tenant isolation: the invocation's tenant. */
  tenantId?: string;
  coldStart: boolean;
}

/** A message whose producer's context may become a link of the invocation span. */
export interface InvocationSpanLink {
  id: string;
  carrier: Record<string, string | undefined>;
  xray?: string;
}

/**
 * What one trigger says about its invocation span (each trigger's source builds it): the name, the
 * kind, where the parent context is read from, the producers to link, and its own attributes.
 */
export interface InvocationSpanStart {
  name: string;
  /** `server` for requests (HTTP, direct invokes), `consumer` for messages (SQS, EventBridge). */
  kind: 'server' | 'consumer';
  /** The parent's carrier: HTTP headers, EventBridge `detail` fields; none for SQS and direct invokes. */
  carrier?: Record<string, string | undefined>;
  /** Producers whose contexts become links (SQS messages), read until `maxLinks` are made. */
  links?: Iterable<InvocationSpanLink>;
  attributes: Record<string, string | number | boolean>;
}

/** No carrier: SQS (each message's context is a link, not the parent) and direct invokes. */
const noCarrier: Record<string, string | undefined> = Object.freeze({});

/**
 * Starts the span of one invocation and returns it with the context in which the invocation's work
 * must run. The parent is whatever the global propagator extracts from the trigger's carrier:
 * `traceparent` by default; Lambda's own X-Ray header only when OTEL_PROPAGATORS names
 * `xray-lambda`. Message producers' contexts are links.
 */
export function startInvocationSpan(start: InvocationSpanStart, lambda: LambdaInfo): { span: Span; context: Context } {
  const cloud = cloudFromArn(lambda.invokedFunctionArn);
  const attributes: Record<string, string | number | boolean> = {
    [attr.faasColdstart]: lambda.coldStart,
    [attr.cloudProvider]: 'aws',
    ...start.attributes,
  };
  if (lambda.awsRequestId) attributes[attr.faasInvocationId] = lambda.awsRequestId;
  if (lambda.functionName) attributes[attr.faasName] = lambda.functionName;
  if (lambda.tenantId) attributes[attr.faasTenantId] = lambda.tenantId;
  if (cloud.region) attributes[attr.cloudRegion] = cloud.region;
  if (cloud.account) attributes[attr.cloudAccountId] = cloud.account;
  const parent = extractFromHeaders(start.carrier ?? noCarrier);
  const links: Link[] = [];
  for (const message of start.links ?? []) {
    if (links.length >= maxLinks) break;
    const spanContext = messageSpanContext(message.carrier, message.xray);
    if (spanContext) links.push({ context: spanContext, attributes: { [attr.messagingMessageId]: message.id } });
  }
  const kind = start.kind === 'server' ? SpanKind.SERVER : SpanKind.CONSUMER;
  const span = tracer.startSpan(start.name, { kind, attributes, links }, parent);
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
    span.setAttribute(attr.errorType, isTimeoutError(error) ? 'timeout' : error?.name || 'Error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
  }
  span.end();
}

