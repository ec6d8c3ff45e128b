import type { Context, SQSEvent } from 'aws-lambda';
import type { Invocation, Item } from '../commands.ts';
import { required, type PerkamoRequest } from '../invocation.ts';
import { directDefaults, httpDefaults, type Operation } from '../operations.ts';
import { eventBridgeItems, type AnyEventBridgeEvent } from '../sources/eventbridge.ts';
import { parseJsonBody } from '../sources/http.ts';
import { sqsItems } from '../sources/sqs.ts';

export interface CommandsOptions {
  operation: Operation;
}

/**
 * Turns the trigger's payload into commands, validated, and hands the handler an `Invocation`
 * as its event. Runs after auth, so an unauthenticated caller learns nothing about its payload.
 * An invalid HTTP or direct payload throws (400 / a typed error); an invalid SQS or EventBridge
 * record becomes a failed item, so that only it is reported.
 */
export function commands({ operation }: CommandsOptions) {
  const commandsBefore = (request: PerkamoRequest) => {
    const trigger = required(request, 'trigger');
    const raw = request.internal.rawEvent;
    let items: Item[];
    switch (trigger) {
      case 'http': {
        const http = required(request, 'http');
        items = operation
          .toCommands(parseJsonBody(http), httpDefaults(http), request.internal.principal)
          .map((command) => ({ command }));
        break;
      }
      case 'sqs':
        items = sqsItems(raw as SQSEvent, requireToCommand(operation));
        break;
      case 'eventbridge':
        items = eventBridgeItems(raw as AnyEventBridgeEvent, requireToCommand(operation));
        break;
      case 'direct':
        items = operation
          .toCommands(raw, directDefaults(request.context as Context), undefined)
          .map((command) => ({ command }));
        break;
    }
    const invocation: Invocation = {
      trigger,
      items,
      deadline: required(request, 'deadline'),
      traceContext: request.internal.traceContext,
    };
    request.event = invocation;
  };

  return { before: commandsBefore };
}

function requireToCommand(operation: Operation) {
  if (!operation.toCommand) throw new TypeError(`the ${operation.name} function has no record parser`);
  return operation.toCommand;
}
