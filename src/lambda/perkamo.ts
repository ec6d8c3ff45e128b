import { PerkamoError, PerkamoValidationError, canonicalJson, limits, type PerkamoEventInput } from '../core/index.ts';
import { responseMeta, type EventIngestResponse, type IdentifyResponse, type PerkamoClient } from '../sdk/index.ts';
import { attachMeta } from '../sdk/response-meta.ts';
import { attr, traceUserId, type UserIdPolicy } from '../telemetry/attributes.ts';
import { withOperationSpan } from '../telemetry/perkamo-spans.ts';
import type { Command, Outcome } from './commands.ts';
import { GroupBlockedError, PerkamoItemRejectedError } from './errors.ts';
import { mapWithConcurrency } from './pool.ts';

export interface RunOptions {
  client: PerkamoClient;
  /** Epoch ms: no Perkamo request is started that could not finish by then. */
  deadline: number;
  /** Perkamo calls in flight at once. */
  concurrency: number;
  browserKey?: string;
  streamTokenTtlSeconds?: number;
  /** What operation spans say about user ids (default: a hash). */
  userIds?: UserIdPolicy;
}

/** The Perkamo request id of a result (from the response) or of an error (PerkamoApiError & co). */
const requestIdOf = (value: unknown): string | undefined =>
  responseMeta(value)?.requestId ?? ((value as { requestId?: unknown } | null)?.requestId as string | undefined);

function userAttributes(userId: string, policy: UserIdPolicy = 'hash'): Record<string, string> {
  const value = traceUserId(userId, policy);
  return value === undefined ? {} : { [attr.perkamoUserId]: value };
}

/**
 * Perkamo's identify answer with `traits` replaced by `trait_names`: trait values are customer data
 * (emails, names) that must not travel back through HTTP answers, invoke results or DLQ payloads.
 * The response metadata stays attached, so the request id still reaches the answer's header.
 */
function withoutTraitValues(answer: IdentifyResponse): IdentifyResponse {
  const { traits, ...rest } = answer;
  if (traits === undefined) return answer;
  const names = typeof traits === 'object' && traits !== null && !Array.isArray(traits) ? Object.keys(traits).sort() : [];
  const meta = responseMeta(answer);
  const stripped: IdentifyResponse = { ...rest, trait_names: names };
  return meta ? attachMeta(stripped, meta) : stripped;
}

/**
 * Runs commands against Perkamo and returns one outcome per command, in order.
 *
 * Emits are coalesced into `events:batch` calls of up to 100 (a lone emit uses `POST /v1/events`),
 * run in parallel up to `concurrency`. Two commands with the same transaction_id are sent once and
 * share the outcome; with different payloads the later one fails as a conflict, never sent.
 * When commands carry FIFO groups, chunks run one after another and a group stops at its first failure.
 */
export async function runCommands(commands: Command[], options: RunOptions): Promise<Outcome[]> {
  const outcomes = new Array<Outcome>(commands.length);
  const emits: number[] = [];
  const others: number[] = [];
  commands.forEach((command, i) => (command.kind === 'emit' ? emits : others).push(i));

  await Promise.all([
    runEmits(commands, emits, outcomes, options),
    mapWithConcurrency(others, options.concurrency, async (i) => {
      outcomes[i] = await settle(() => runSingle(commands[i] as Command, options));
    }),
  ]);
  return outcomes;
}

async function runSingle(command: Command, { client, deadline, browserKey, streamTokenTtlSeconds, userIds }: RunOptions): Promise<unknown> {
  switch (command.kind) {
    case 'identify': {
      const answer = await withOperationSpan('identify', userAttributes(command.user_id, userIds), requestIdOf, () =>
        client.identify(command.user_id, command.traits, { deadline }),
      );
      return withoutTraitValues(answer);
    }
    case 'mint':
      return withOperationSpan('stream_token', userAttributes(command.user_id, userIds), requestIdOf, () => {
        if (!browserKey) throw new PerkamoError('PERKAMO_BROWSER_KEY is not set; stream tokens cannot be minted');
        return client.createStreamToken(browserKey, command.user_id, streamTokenTtlSeconds ?? 120, { deadline });
      });
    case 'emit':
      throw new Error('emits are run in batches');
  }
}

async function runEmits(commands: Command[], indexes: number[], outcomes: Outcome[], options: RunOptions): Promise<void> {
  // One send per transaction id; repeats share its outcome. Payloads are compared (canonical JSON)
  // only when an id repeats, which is rare: most invocations never serialize an event for this.
  const unique: number[] = [];
  const firstByTx = new Map<string, number>();
  const followers = new Map<number, number[]>();
  const eventAt = (i: number) => (commands[i] as Extract<Command, { kind: 'emit' }>).event;
  for (const i of indexes) {
    const event = eventAt(i);
    const first = firstByTx.get(event.transaction_id);
    if (first === undefined) {
      firstByTx.set(event.transaction_id, i);
      unique.push(i);
    } else if (canonicalJson(eventAt(first)) === canonicalJson(event)) {
      followers.set(first, [...(followers.get(first) ?? []), i]);
    } else {
      outcomes[i] = {
        ok: false,
        error: new PerkamoValidationError(
          'transaction_id',
          'conflict',
          `'transaction_id' ${JSON.stringify(event.transaction_id)} is used by another record of this batch with a different payload`,
        ),
      };
    }
  }

  const ordered = unique.some((i) => commands[i]?.origin.group !== undefined);
  const chunks: number[][] = [];
  for (let start = 0; start < unique.length; start += limits.batchMaxEvents) {
    chunks.push(unique.slice(start, start + limits.batchMaxEvents));
  }
  const failedGroups = new Set<string>();
  const runChunk = async (chunk: number[]) => {
    const sendable = chunk.filter((i) => {
      const group = commands[i]?.origin.group;
      if (group === undefined || !failedGroups.has(group)) return true;
      outcomes[i] = { ok: false, error: new GroupBlockedError(`an earlier message of group ${group} failed`) };
      return false;
    });
    if (sendable.length > 0) await sendChunk(commands, sendable, outcomes, options, indexes.length === 1);
    for (const i of chunk) {
      const group = commands[i]?.origin.group;
      if (group !== undefined && !outcomes[i]?.ok) failedGroups.add(group);
    }
  };
  if (ordered) for (const chunk of chunks) await runChunk(chunk);
  else await mapWithConcurrency(chunks, options.concurrency, runChunk);

  for (const [first, rest] of followers) for (const i of rest) outcomes[i] = outcomes[first] as Outcome;
}

async function sendChunk(commands: Command[], chunk: number[], outcomes: Outcome[], options: RunOptions, single: boolean) {
  const events = chunk.map((i) => (commands[i] as Extract<Command, { kind: 'emit' }>).event);
  if (single) {
    const [event] = events as [PerkamoEventInput];
    const attributes = {
      [attr.perkamoEvent]: event.event,
      [attr.perkamoTransactionId]: event.transaction_id,
      ...userAttributes(event.user_id, options.userIds),
    };
    outcomes[chunk[0] as number] = await settle(() =>
      withOperationSpan('emit', attributes, requestIdOf, () =>
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
    withOperationSpan('batch', { [attr.perkamoBatchSize]: events.length }, requestIdOf, () =>
      options.client.batch(events, { deadline: options.deadline }),
    ),
  );
  chunk.forEach((commandIndex, position) => {
    if (!answer.ok) {
      outcomes[commandIndex] = answer;
      return;
    }
    const result = (answer.value as { results: EventIngestResponse[] }).results[position] as EventIngestResponse;
    outcomes[commandIndex] = result.error
      ? { ok: false, error: new PerkamoItemRejectedError(result.error.code, result.error.message) }
      : { ok: true, value: result };
  });
}

async function settle(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
