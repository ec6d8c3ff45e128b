import { isTimeoutError } from '../core/index.ts';
import { toHttpError } from './errors.ts';
import { originOf, type Item, type Outcome } from './invocation.ts';
import type { PerkamoOperation } from '../sdk/index.ts';
import type { Trigger } from './request.ts';

/** One Perkamo call of the invocation (retries included), as the runner made it. */
export interface PerkamoCall {
  /** The Perkamo operation, as the client names it: emit, batch, identify, browser_token, customer, program. */
  operation: PerkamoOperation;
  ms: number;
  /** HTTP attempts, the first included. */
  attempts: number;
  ok: boolean;
  /** Perkamo's request id for the call (its answer or its error), when it answered. */
  requestId: string | undefined;
  /** The last attempt's HTTP status, when Perkamo answered. */
  status?: number;
  /** UTF-8 bytes sent and read, for a call that succeeded. */
  requestBytes?: number;
  responseBytes?: number;
}

/**
 * One word for what became of something: a record's `Outcome` (invocation.ts), the kind of that
 * outcome (`OutcomeKind`, what every count, log line and metric uses) and the invocation's outcome
 * as a whole (`InvocationOutcome`).
 */
export type OutcomeKind = 'applied' | 'duplicate' | 'refused' | 'failed';

/**
 * `applied`: Perkamo took it (for identify, stream-token and customer: the call succeeded);
 * `duplicate`: Perkamo had it already; `refused`: it cannot succeed as sent (invalid here, or a 4xx
 * from Perkamo other than 408/429) — resending will not help; `failed`: anything else (5xx, 429,
 * unreachable, out of time, a FIFO record blocked by an earlier one) — it comes back.
 */
export function outcomeKind(outcome: Outcome): OutcomeKind {
  if (outcome.ok) return (outcome.value as { duplicate?: unknown } | null)?.duplicate === true ? 'duplicate' : 'applied';
  return kindOfStatus(toHttpError(outcome.error).status);
}

const kindOfStatus = (status: number): OutcomeKind => (status >= 400 && status < 500 && status !== 408 && status !== 429 ? 'refused' : 'failed');

/** Bounds: a 10,000-record batch must not make a 10,000-entry log line. */
const maxCalls = 1_000;
const maxRequestIds = 20;
const maxFailures = 20;
const maxErrorCodes = 20;

/**
 * The invocation's outcome, the metrics' `outcome` dimension: `success` (every record applied or
 * duplicate), `partial` (some not), `failure` (none, or the invocation refused or failed as a whole).
 */
export type InvocationOutcome = 'success' | 'partial' | 'failure';

/** What the middlewares know when the invocation ends. */
export interface EndState {
  trigger: Trigger | undefined;
  /** The HTTP status answered, for HTTP invocations. */
  status: number | undefined;
  /** The error the invocation raised, if any (turned into an answer or thrown back to Lambda). */
  error: unknown;
}

/** The counts of one invocation, read by its summary log line and its metrics. */
export interface Tally {
  trigger: Trigger | undefined;
  status: number | undefined;
  outcome: InvocationOutcome;
  /** Failed as a whole: a 5xx, or an error thrown back to Lambda (ours to fix; the log line is an error). */
  failedWhole: boolean;
  records: number;
  applied: number;
  duplicate: number;
  refused: number;
  failed: number;
  /** Error code → records, for refused records (4xx answers, invalid input). At most 20 codes. */
  errorCodes: Record<string, number>;
  /** Perkamo request ids of the invocation's calls, first 20, each once. */
  requestIds: string[];
  calls: PerkamoCall[];
  /** A record or the invocation itself ran out of the invocation's time. */
  budgetExhausted: boolean;
  /** The first failed or refused records: where they came from and why. */
  failures: { id: string | undefined; result: OutcomeKind; error: string; code?: string; message: string }[];
}

/**
 * One invocation's report: the logging middleware (or metrics, used alone) creates it on
 * `request.internal.report`, the
 * handler records the outcomes and the runner each Perkamo call; the logging and metrics
 * middlewares read its `tally()` when the invocation ends.
 */
export class InvocationReport {
  readonly startedAt = Date.now();
  private items: Item[] = [];
  private outcomes: Outcome[] = [];
  private readonly calls: PerkamoCall[] = [];
  private tallied: Tally | undefined;

  /** Called by the runner once per Perkamo call. */
  readonly call = (call: PerkamoCall): void => {
    if (this.calls.length < maxCalls) this.calls.push(call);
  };

  /** The handler's result: one outcome per item, in order. */
  record(items: Item[], outcomes: Outcome[]): void {
    this.items = items;
    this.outcomes = outcomes;
  }

  /**
   * The counts, computed once when the invocation ends: the metrics and logging middlewares both
   * read them, with the same end state.
   */
  tally(state: EndState): Tally {
    return (this.tallied ??= this.count(state));
  }

  private count({ trigger, status, error }: EndState): Tally {
    const records = this.outcomes.length;
    const failedWhole = status !== undefined ? status >= 500 : error != null;
    const refusedWhole = status !== undefined && status >= 400 && status < 500 && records === 0;
    const tally: Tally = {
      trigger,
      status,
      outcome: 'success',
      failedWhole,
      records,
      applied: 0,
      duplicate: 0,
      refused: 0,
      failed: 0,
      errorCodes: {},
      requestIds: [],
      calls: this.calls,
      budgetExhausted: isTimeoutError(error),
      failures: [],
    };
    const ids = new Set<string>();
    for (const call of this.calls) if (call.requestId !== undefined && ids.size < maxRequestIds) ids.add(call.requestId);
    for (let i = 0; i < this.outcomes.length; i++) {
      const outcome = this.outcomes[i] as Outcome;
      if (outcome.ok) {
        tally[outcomeKind(outcome)]++;
        continue;
      }
      const answer = toHttpError(outcome.error);
      const result = kindOfStatus(answer.status);
      tally[result]++;
      if (isTimeoutError(outcome.error)) tally.budgetExhausted = true;
      const code = result === 'refused' ? answer.code : undefined;
      if (code !== undefined && (code in tally.errorCodes || Object.keys(tally.errorCodes).length < maxErrorCodes)) {
        tally.errorCodes[code] = (tally.errorCodes[code] ?? 0) + 1;
      }
      if (tally.failures.length < maxFailures) {
        const item = this.items[i];
        tally.failures.push({ id: item && originOf(item).id, result, error: outcome.error.name, ...(code && { code }), message: outcome.error.message });
      }
    }
    tally.requestIds = [...ids];
    const notOk = tally.refused + tally.failed;
    if (failedWhole || refusedWhole || (records > 0 && notOk === records)) tally.outcome = 'failure';
    else if (notOk > 0) tally.outcome = 'partial';
    return tally;
  }
}
