import type { Context } from 'aws-lambda';
import type { Invocation } from '../invocation.ts';
import { required, type PerkamoRequest } from '../request.ts';
import type { PerkamoFunction } from '../function.ts';
import { sourceOf } from '../sources/index.ts';

export interface CommandsOptions {
  function: PerkamoFunction;
}

/**
 * Turns the trigger's payload into commands, validated, and hands the handler an `Invocation`
 * as its event. Runs after auth, so an unauthenticated caller learns nothing about its payload.
 * An invalid HTTP or direct payload throws (400 / a typed error); an invalid SQS or EventBridge
 * record becomes a failed item, so that only it is reported. The source knows which.
 */
export function commands({ function: fn }: CommandsOptions) {
  const commandsBefore = (request: PerkamoRequest) => {
    const items = sourceOf(request).items(request, { function: fn, functionName: (request.context as Context | undefined)?.functionName });
    const invocation: Invocation = {
      items,
      deadline: required(request, 'deadline'),
      traceContext: request.internal.traceContext,
      report: request.internal.report,
    };
    request.event = invocation;
  };

  return { before: commandsBefore };
}
