import type { Context as OtelContext } from '@opentelemetry/api';
import type { JsonObject, PerkamoEventInput } from '../core/index.ts';
import type { InvocationReport } from './report.ts';
import type { Trigger } from './request.ts';

/** Where a command came from: enough to answer the trigger and to explain a failure in logs. */
export interface Origin {
  trigger: Trigger;
  /** SQS messageId, EventBridge event id, or the index in a direct/HTTP batch. */
  id?: string;
  /** SQS FIFO message group: after a failure the rest of the group fails too. */
  group?: string;
}

export type Command =
  | { kind: 'emit'; event: PerkamoEventInput; origin: Origin }
  | { kind: 'identify'; user_id: string; traits: JsonObject; origin: Origin }
  | { kind: 'mint'; user_id: string; origin: Origin }
  | { kind: 'read'; user_id: string; origin: Origin };

export type CommandKind = Command['kind'];

/** What happened to one command (or to a record that never became one). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** A record of the trigger: a command to run, or the reason it could not become one. */
export type Item = { command: Command } | { origin: Origin; error: Error };

/** What the handler works on, built by the commands middleware from the trigger's event. */
export interface Invocation {
  trigger: Trigger;
  items: Item[];
  /** Epoch ms by which all Perkamo work must be over. */
  deadline: number;
  /** The tracing context the work runs in; undefined without the tracing middleware. */
  traceContext?: OtelContext;
  /** Where the handler records outcomes and Perkamo calls; undefined without the logging middleware. */
  report?: InvocationReport;
}
