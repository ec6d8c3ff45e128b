import type { Context } from 'aws-lambda';
import { originOf, type Invocation, type Item } from '../invocation.ts';
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
    const source = sourceOf(request);
    const items = source.items(request, { function: fn, functionName: (request.context as Context | undefined)?.functionName });
    const logger = request.internal.logger;
    if (logger?.enabled('trace')) logger.trace('items', traceFields(source.trigger, items));
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

/** Ids traced per invocation, at most: a 10,000-record batch must not write 10,000 ids. */
const maxTracedIds = 50;

/** The trace line of the source's decisions: which trigger matched, what it made of each item. */
function traceFields(trigger: string, items: Item[]): Record<string, unknown> {
  const shown = items.slice(0, maxTracedIds);
  return {
    trigger,
    items: items.length,
    invalid: items.reduce((n, item) => n + ('command' in item ? 0 : 1), 0),
    item_ids: shown.map((item) => originOf(item).id ?? null),
    // emit commands become events:batch calls (the runner coalesces them); invalid items never reach Perkamo.
    decisions: shown.map((item) => ('command' in item ? (item.command.kind === 'emit' ? 'emit' : item.command.operation) : `invalid: ${item.error.name}`)),
  };
}
