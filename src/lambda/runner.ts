import type { Attributes } from '@opentelemetry/api';
import { PerkamoValidationError, canonicalJson, limits, type PerkamoEventInput } from '../core/index.ts';
import { PerkamoApiError, responseMeta, type EventIngestResponse, type PerkamoCalls, type PerkamoOperation } from '../sdk/index.ts';
import { attr, traceUserId, type UserIdPolicy } from '../telemetry/attributes.ts';
import { withOperationSpan } from '../telemetry/perkamo-spans.ts';
import type { CallContext, Command, Outcome } from './invocation.ts';
import { PerkamoItemRejectedError } from './errors.ts';
import { runInGroupOrder } from './fifo.ts';
import { mapWithConcurrency } from './pool.ts';
import type { PerkamoCall } from './report.ts';

export interface RunOptions extends CallContext {
  client: PerkamoCalls;
  /** Perkamo calls in flight at once. */
  concurrency: number;
  /** What operation spans say about user ids (default: a hash). */
  userIds?: UserIdPolicy;
  /** Told about every Perkamo call when it ends (the invocation's report). */
  onCall?: (call: PerkamoCall) => void;
  /** Whether any command has a FIFO message group, when the caller has looked (GroupOrder.grouped); unset: looked here. */
  grouped?: boolean;
}

/** The Perkamo request id of a result (from the response) or of an error (PerkamoApiError & co). */
const perkamoRequestId = (value: unknown): string | undefined =>
  responseMeta(value)?.requestId ?? ((value as { requestId?: unknown } | null)?.requestId as string | undefined);

/** One Perkamo call: its operation span, and its time and attempts for the invocation's report. */
async function perkamoCall<T>(operation: PerkamoOperation, attributes: Attributes, options: RunOptions, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const value = await withOperationSpan(operation, attributes, perkamoRequestId, fn);
    const meta = responseMeta(value);
    options.onCall?.({
      operation,
      ms: performance.now() - started,
      attempts: meta?.attempts ?? 1,
      ok: true,
      requestId: perkamoRequestId(value),
      status: meta?.status,
      requestBytes: meta?.requestBytes,
      responseBytes: meta?.responseBytes,
    });
    return value;
  } catch (error) {
    const { attempts, status } = (error ?? {}) as { attempts?: unknown; status?: unknown };
    options.onCall?.({
      operation,
      ms: performance.now() - started,
      attempts: typeof attempts === 'number' ? attempts : 1,
      ok: false,
      requestId: perkamoRequestId(error),
      ...(typeof status === 'number' && { status }),
    });
    throw error;
  }
}

function userAttributes(userId: string | undefined, policy: UserIdPolicy = 'hash'): Record<string, string> {
  const value = userId === undefined ? undefined : traceUserId(userId, policy);
  return value === undefined ? {} : { [attr.perkamoUserId]: value };
}

/**
 * Runs commands against Perkamo and returns one outcome per command, in order.
 *
 * Emits are coalesced into `events:batch` calls of up to 100 (a lone emit uses `POST /v1/events`),
 * run in parallel up to `concurrency`; every other command makes its own call. Two commands with the same transaction_id are sent once and
 * share the outcome; with different payloads the later one fails as a conflict, never sent.
 * Records of a FIFO message group go one per round (`fifo.ts`): never two of a group in one call or
 * in flight at once, and nothing after a group's failure.
 */
export async function runCommands(commands: Command[], options: RunOptions): Promise<Outcome[]> {
  const outcomes = new Array<Outcome>(commands.length);
  const { sameAs, emits } = refuseConflicts(commands, outcomes);
  const single = emits === 1;
  const indexes = new Array<number>(commands.length);
  for (let i = 0; i < commands.length; i++) indexes[i] = i;
  await runInGroupOrder(indexes, outcomes, {
    groupOf: (i) => commands[i]?.origin.group,
    grouped: options.grouped,
    sameAs: sameAs && ((i) => sameAs.get(i)),
    run: async (round) => {
      const chunks: number[][] = [];
      const others: number[] = [];
      let chunk: number[] = [];
      for (let k = 0; k < round.length; k++) {
        const i = round[k] as number;
        if (commands[i]?.kind !== 'emit') others.push(i);
        else if (chunk.push(i) === limits.batchMaxEvents) {
          chunks.push(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) chunks.push(chunk);
      await Promise.all([
        mapWithConcurrency(chunks, options.concurrency, (chunk) => sendChunk(commands, chunk, outcomes, options, single)),
        mapWithConcurrency(others, options.concurrency, async (i) => {
          outcomes[i] = await settle(() => runCall(commands[i] as Command, options));
        }),
      ]);
    },
  });
  return outcomes;
}

/**
 * One send per transaction id: a later emit with the same id and payload mirrors the first (the
 * returned map: later → first, made only when an id repeats); with another payload it fails here as
 * a conflict. Payloads are compared (canonical JSON) only when an id repeats, which is rare. Also
 * counts the emits.
 */
function refuseConflicts(commands: Command[], outcomes: Outcome[]): { sameAs: Map<number, number> | undefined; emits: number } {
  let sameAs: Map<number, number> | undefined;
  let emits = 0;
  const firstByTx = new Map<string, number>();
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i] as Command;
    if (command.kind !== 'emit') continue;
    emits++;
    const first = firstByTx.get(command.event.transaction_id);
    if (first === undefined) firstByTx.set(command.event.transaction_id, i);
    else if (canonicalJson((commands[first] as EmitCommand).event) === canonicalJson(command.event)) (sameAs ??= new Map()).set(i, first);
    else {
      outcomes[i] = {
        ok: false,
        error: new PerkamoValidationError(
          'transaction_id',
          'conflict',
          `'transaction_id' ${JSON.stringify(command.event.transaction_id)} is used by another record of this batch with a different payload`,
        ),
      };
    }
  }
  return { sameAs, emits };
}

type EmitCommand = Extract<Command, { kind: 'emit' }>;

/** A function's own call (identify, mint, read…): one Perkamo call, in its operation span. */
function runCall(command: Command, options: RunOptions): Promise<unknown> {
  if (command.kind === 'emit') throw new Error('emits are run in batches');
  const held = command.held?.(options);
  if (held !== undefined) return Promise.resolve(held);
  return perkamoCall(command.operation, userAttributes(command.userId, options.userIds), options, () => command.call(options));
}

async function sendChunk(commands: Command[], chunk: number[], outcomes: Outcome[], options: RunOptions, single: boolean) {
  const events = new Array<PerkamoEventInput>(chunk.length);
  for (let position = 0; position < chunk.length; position++) events[position] = (commands[chunk[position] as number] as EmitCommand).event;
  if (single) {
    const [event] = events as [PerkamoEventInput];
    const attributes = {
      [attr.perkamoEvent]: event.event,
      [attr.perkamoTransactionId]: event.transaction_id,
      ...userAttributes(event.user_id, options.userIds),
    };
    outcomes[chunk[0] as number] = await settle(() =>
      perkamoCall('emit', attributes, options, () =>
        options.client.emit(event.user_id, event.event, event.context, {
          txId: event.transaction_id,
          occurredAt: event.occurred_at,
          deadline: options.deadline,
        }),
      ),
    );
    return;
  }
  const answer = await settle(() =>
    perkamoCall('batch', { [attr.perkamoBatchSize]: events.length }, options, () =>
      options.client.batch(events, { deadline: options.deadline }),
    ),
  );
  if (!answer.ok && chunk.length > 1 && refusedForAnEvent(answer.error)) {
    // One refused event refuses the whole call: halves are sent until it stands alone, so the
    // others are not sent to the DLQ with it (about 2·log₂ n more calls per poison event).
    const middle = Math.ceil(chunk.length / 2);
    for (const half of [chunk.slice(0, middle), chunk.slice(middle)]) await sendChunk(commands, half, outcomes, options, false);
    return;
  }
  if (!answer.ok) {
    for (const commandIndex of chunk) outcomes[commandIndex] = answer;
    return;
  }
  const results = (answer.value as { results: EventIngestResponse[] }).results;
  for (let position = 0; position < chunk.length; position++) {
    const result = results[position] as EventIngestResponse;
    outcomes[chunk[position] as number] = result.error
      ? { ok: false, error: new PerkamoItemRejectedError(result.error, events[position] as PerkamoEventInput) }
      : { ok: true, value: result };
  }
}

/** A whole-call refusal that an event's content can cause (not the key, the route or the rate). */
function refusedForAnEvent(error: Error): boolean {
  return error instanceof PerkamoApiError && [400, 409, 413, 422].includes(error.status);
}

async function settle(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
