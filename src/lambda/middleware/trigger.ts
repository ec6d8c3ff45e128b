import type { SQSEvent } from 'aws-lambda';
import { responseMeta } from '../../sdk/index.ts';
import type { Outcome } from '../commands.ts';
import type { PerkamoRequest, Trigger } from '../invocation.ts';
import type { Operation } from '../operations.ts';
import { assertRoute, errorResponse, isHttpEvent, jsonResponse, normalizeHttpEvent } from '../sources/http.ts';
import { isEventBridgeEvent } from '../sources/eventbridge.ts';
import { isSqsEvent, sqsAllFailed, sqsAnswer } from '../sources/sqs.ts';

export interface TriggerOptions {
  operation: Operation;
}

export function detectTrigger(event: unknown): Trigger {
  if (isHttpEvent(event)) return 'http';
  if (isSqsEvent(event)) return 'sqs';
  if (isEventBridgeEvent(event)) return 'eventbridge';
  return 'direct';
}

/**
 * Detects the trigger from the event's shape and answers it: an HTTP response (errors as JSON),
 * `batchItemFailures` for SQS, and for EventBridge and direct invokes the value or a thrown error
 * (so that Lambda's retries and DLQs apply). The handler's result is the list of outcomes.
 */
export function trigger({ operation }: TriggerOptions) {
  const triggerBefore = (request: PerkamoRequest) => {
    const event = request.event;
    const detected = detectTrigger(event);
    if (!operation.triggers.includes(detected)) {
      throw new TypeError(
        `the ${operation.name} function does not take ${detected} events (it takes: ${operation.triggers.join(', ')})`,
      );
    }
    request.internal.rawEvent = event;
    request.internal.trigger = detected;
    if (detected === 'http') {
      const http = normalizeHttpEvent(event as never);
      request.internal.http = http;
      assertRoute(http, operation.route);
    }
  };

  const triggerAfter = (request: PerkamoRequest) => {
    const outcomes = request.response as Outcome[];
    switch (request.internal.trigger) {
      case 'sqs':
        request.response = sqsAnswer(request.internal.rawEvent as SQSEvent, outcomes);
        return;
      case 'http': {
        const { status, value } = operation.toValue(outcomes);
        request.response = jsonResponse(status, value, { ...operation.httpHeaders, ...requestIdHeader(value) });
        return;
      }
      default:
        request.response = operation.toValue(outcomes).value;
    }
  };

  const triggerOnError = (request: PerkamoRequest) => {
    switch (request.internal.trigger) {
      case 'http':
        request.response = errorResponse(request.error, operation.httpHeaders);
        return;
      case 'sqs':
        request.response = sqsAllFailed(request.internal.rawEvent as SQSEvent);
        return;
      default:
        // EventBridge and direct invokes: leave the error thrown so Lambda retries / the caller sees it.
        return;
    }
  };

  return { before: triggerBefore, after: triggerAfter, onError: triggerOnError };
}

/** The Perkamo request id behind a single result, for support tickets. */
function requestIdHeader(value: unknown): Record<string, string> {
  const id = responseMeta(value)?.requestId;
  return id ? { 'x-perkamo-request-id': id } : {};
}
