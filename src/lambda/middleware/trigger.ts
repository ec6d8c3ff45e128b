import type { Context } from 'aws-lambda';
import type { Outcome } from '../invocation.ts';
import type { PerkamoRequest, Trigger } from '../request.ts';
import type { PerkamoFunction } from '../function.ts';
import { detectSource, sourceOf, type SourceScope } from '../sources/index.ts';

export interface TriggerOptions {
  function: PerkamoFunction;
}

/** The trigger an event comes from, by its shape. */
export function detectTrigger(event: unknown): Trigger {
  return detectSource(event).trigger;
}

const scopeOf = (request: PerkamoRequest, fn: PerkamoFunction): SourceScope => ({
  function: fn,
  functionName: (request.context as Context | undefined)?.functionName,
});

/**
 * Finds the trigger's source and answers it: an HTTP response (errors as JSON), `batchItemFailures`
 * for SQS, and for EventBridge and direct invokes the value or a thrown error (so that Lambda's
 * retries and DLQs apply). The handler's result is the list of outcomes; each source owns its answer.
 */
export function trigger({ function: fn }: TriggerOptions) {
  const triggerBefore = (request: PerkamoRequest) => {
    const source = sourceOf(request);
    if (!fn.triggers.includes(source.trigger)) {
      throw new TypeError(`the ${fn.name} function does not take ${source.trigger} events (it takes: ${fn.triggers.join(', ')})`);
    }
    request.internal.rawEvent = request.event;
    source.prepare?.(request, scopeOf(request, fn));
  };

  const triggerAfter = (request: PerkamoRequest) => {
    request.response = sourceOf(request).answer(request.internal.rawEvent, request.response as Outcome[], scopeOf(request, fn));
  };

  const triggerOnError = (request: PerkamoRequest) => {
    // A refused trigger (this function does not take it) is thrown as is: there is no answer to give.
    if (!('rawEvent' in request.internal)) return;
    const answer = sourceOf(request).failed(request.internal.rawEvent, request.error as Error, scopeOf(request, fn));
    if (answer !== undefined) request.response = answer;
  };

  return { before: triggerBefore, after: triggerAfter, onError: triggerOnError };
}
