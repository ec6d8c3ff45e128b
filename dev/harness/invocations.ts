/**
 * The invocations an environment runs: admission (up to its concurrency, the rest wait their turn),
 * each one's timings and answer as the Runtime API reports them, and what its caller gets back.
 */
import { performance } from 'node:perf_hooks';
import type { Generation } from './generation.ts';
import type { RuntimeAnswer } from './runtime-api.ts';
import type { InvokeResult, LambdaError } from './types.ts';

export interface InvocationRecord {
  requestId: string;
  generation: Generation;
  startedAt: number;
  deliveredAt?: number;
  respondedAt?: number;
  answer?: RuntimeAnswer;
}

/** How the wait for an invocation ended; undefined: it timed out. */
export type Outcome = 'completed' | 'failed' | undefined;

export class Invocations {
  /** The request ids in flight; a new array on every change, so that a log line can keep the one it arrived under. */
  ids: readonly string[] = [];
  #records = new Map<string, InvocationRecord>();

  start(requestId: string, generation: Generation): InvocationRecord {
    const record: InvocationRecord = { requestId, generation, startedAt: performance.now() };
    this.#records.set(requestId, record);
    this.ids = [...this.#records.keys()];
    return record;
  }

  end(requestId: string): void {
    this.#records.delete(requestId);
    this.ids = [...this.#records.keys()];
  }

  delivered(requestId: string): void {
    const invocation = this.#records.get(requestId);
    if (invocation && invocation.deliveredAt === undefined) invocation.deliveredAt = performance.now();
  }

  answered(requestId: string, answer: RuntimeAnswer): void {
    const invocation = this.#records.get(requestId);
    if (invocation && !invocation.answer) {
      invocation.respondedAt = performance.now();
      invocation.answer = answer;
    }
  }

  runningIn(generation: Generation): boolean {
    return [...this.#records.values()].some((record) => record.generation === generation);
  }
}

/** Invocations admitted at once: up to `max`, the others queue in order. */
export class InvocationSlots {
  readonly #max: number;
  readonly #closed: () => boolean;
  #active = 0;
  #queue: (() => void)[] = [];

  constructor(max: number, closed: () => boolean) {
    this.#max = max;
    this.#closed = closed;
  }

  /** No invocation is admitted (one waiting for the init counts). */
  get idle(): boolean {
    return this.#active === 0;
  }

  async acquire(): Promise<void> {
    if (this.#active < this.#max) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
    if (this.#closed()) {
      this.release();
      throw new Error('the environment is shut down');
    }
  }

  release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#active--;
  }

  /** Wakes every queued invocation (to find the environment shut down). */
  wakeAll(): void {
    for (const wake of this.#queue.splice(0)) wake();
  }
}

export interface InvocationEnd {
  outcome: Outcome;
  endedAt: number;
  timeoutMs: number;
  traceHeader: string | null;
  logs: string[];
  initDurationMs: number | undefined;
}

/** What the caller gets for an invocation that reached the runtime. */
export function invocationResult(record: InvocationRecord, { outcome, endedAt, timeoutMs, traceHeader, logs, initDurationMs }: InvocationEnd): InvokeResult {
  const { requestId, generation, answer } = record;
  const timedOut = outcome === undefined;
  let error: LambdaError | undefined;
  if (answer) error = answer.kind === 'response' ? undefined : answer.error;
  else if (timedOut) error = { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` };
  else error = { ...generation.failure!, errorMessage: `RequestId: ${requestId} Error: ${generation.failure!.errorMessage}` };

  const result: InvokeResult = { requestId, ok: answer?.kind === 'response', timedOut, durationMs: endedAt - record.startedAt, traceHeader, logs };
  if (answer?.kind === 'response') result.payload = parsePayload(answer.body);
  if (error) result.error = error;
  if (record.deliveredAt !== undefined && record.respondedAt !== undefined) result.responseMs = record.respondedAt - record.deliveredAt;
  if (outcome === 'completed' && record.respondedAt !== undefined) result.postRuntimeMs = endedAt - record.respondedAt;
  if (initDurationMs !== undefined) result.initDurationMs = initDurationMs;
  return result;
}

/** A client context or Cognito identity as its header carries it: an object as JSON. */
export function jsonHeader(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parsePayload(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
