import { Budget } from '../budget.ts';
import type { PerkamoRequest } from '../request.ts';

export interface DeadlineOptions {
  /** Kept back from Lambda's remaining time for reporting failures and flushing spans (the `Budget`'s). */
  reserveMs: number;
  /** Budget when the context cannot tell the remaining time (local runs, plain tests). */
  fallbackMs: number;
  now: () => number;
}

const defaults: DeadlineOptions = { reserveMs: Budget.defaultReserveMs, fallbackMs: 30_000, now: Date.now };

/**
 * Sets `request.internal.deadline`: the epoch ms by which every Perkamo request, retry and wait
 * must be over, so that failures are still reported before Lambda's own timeout.
 */
export function deadline(options: Partial<DeadlineOptions> = {}) {
  const { reserveMs, fallbackMs, now } = { ...defaults, ...options };
  const budget = new Budget(reserveMs);

  const deadlineBefore = (request: PerkamoRequest) => {
    const remaining =
      typeof request.context?.getRemainingTimeInMillis === 'function'
        ? request.context.getRemainingTimeInMillis()
        : fallbackMs;
    request.internal.deadline = budget.deadline(remaining, now());
  };

  return { before: deadlineBefore };
}

