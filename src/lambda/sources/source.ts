import type { InvocationSpanStart } from '../../telemetry/invocation-span.ts';
import type { Item, Outcome } from '../invocation.ts';
import type { PerkamoRequest, Trigger } from '../request.ts';
import type { PerkamoFunction } from '../function.ts';

/** What a source needs to know of the function it serves. */
export interface SourceScope {
  function: PerkamoFunction;
  /** The Lambda function's name (direct invokes name their span after it). */
  functionName: string | undefined;
}

/**
 * One trigger, everything about it in one module (Powertools' one table per event type): how its
 * event is recognised, how its records become items with their stable ids and derived transaction
 * ids, what its invocation span says, and how it is answered — with outcomes, or when the whole
 * invocation failed. The list of sources is `sources/index.ts`; adding a trigger is adding a module.
 */
export interface Source<TEvent = any> {
  readonly trigger: Trigger;
  /** True when `event` has this trigger's shape. Sources are asked in order; the last takes anything. */
  matches(event: unknown): event is TEvent;
  /** Once per invocation, before auth: normalise what later middlewares read (HTTP: the request, its route). */
  prepare?(request: PerkamoRequest<TEvent>, scope: SourceScope): void;
  /** The invocation span's name, kind, parent carrier, links and attributes. */
  span(event: TEvent, scope: SourceScope): InvocationSpanStart;
  /** The event's records: a command each, or the reason one could not be made. */
  items(request: PerkamoRequest<TEvent>, scope: SourceScope): Item[];
  /** The trigger's answer for the outcomes, one per item, in order. */
  answer(event: TEvent, outcomes: Outcome[], scope: SourceScope): unknown;
  /**
   * The answer when the whole invocation failed (budget gone, bad payload, crash); `undefined`
   * leaves the error thrown, so Lambda's retries and DLQs (or the direct caller) see it.
   */
  failed(event: TEvent, error: Error, scope: SourceScope): unknown;
}
