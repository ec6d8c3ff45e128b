import type { Context as OtelContext } from '@opentelemetry/api';
import type { PerkamoEventInput } from '../core/index.ts';
import type { PerkamoCalls, PerkamoOperation } from '../sdk/index.ts';
import type { InvocationReport } from './report.ts';

/** Which record a command came from: enough to answer the trigger and to explain a failure in logs. */
export interface Origin {
  /** SQS messageId, EventBridge event id, or the index in a direct/HTTP batch. */
  id?: string;
  /** SQS FIFO message group: after a failure the rest of the group fails too. */
  group?: string;
}

/** What a function's Perkamo call is given: the client, the invocation's deadline, the function's settings. */
export interface CallContext {
  client: PerkamoCalls;
  /** Epoch ms: no Perkamo request is started that could not finish by then. */
  deadline: number;
  browserKey?: string;
  streamTokenTtlSeconds?: number;
}

/**
 * One unit of work. Events are coalesced by the runner into `events:batch` calls; every other
 * command carries its function's own Perkamo call (one each), named for its span and the report.
 */
export type Command =
  | { kind: 'emit'; event: PerkamoEventInput; origin: Origin }
  | {
      kind: 'call';
      /**
       * The Perkamo operation the call performs, as the client names it (its errors, its attempts):
       * the `perkamo <operation>` span, the report's call name. One word, one meaning.
       */
      operation: PerkamoOperation;
      /** Whom the call is about, if anyone (its span says so as PERKAMO_TRACE_USER_IDS says). */
      userId?: string;
      call(context: CallContext): Promise<unknown>;
      /** An answer the function still holds from an earlier call (program's 60 s): then no call is made. */
      held?(context: CallContext): unknown;
      origin: Origin;
    };

/** What happened to one command (or to a record that never became one). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** A record of the trigger: a command to run, or the reason it could not become one. */
export type Item = { command: Command } | { origin: Origin; error: Error };

/** Where an item came from: its command's origin, or the invalid record's. */
export const originOf = (item: Item): Origin => ('command' in item ? item.command.origin : item.origin);

/** What the handler works on, built by the commands middleware from the trigger's event. */
export interface Invocation {
  items: Item[];
  /** Epoch ms by which all Perkamo work must be over. */
  deadline: number;
  /** The tracing context the work runs in; undefined without the tracing middleware. */
  traceContext?: OtelContext;
  /** Where the handler records outcomes and Perkamo calls; undefined without the logging middleware. */
  report?: InvocationReport;
}
