import { Budget } from '../budget.ts';
import type { PerkamoRequest } from '../request.ts';

export interface DeadlineOptions {
  /** The invocation's time: its reserve, and the remaining time when no Lambda context tells it. */
  budget: Budget;
  now: () => number;
}

/**
 * Sets `request.internal.deadline`: the epoch ms by which every Perkamo request, retry and wait
 * must be over, so that failures are still reported before Lambda's own timeout. `reserveMs`
 * stands for `budget: new Budget(reserveMs)`.
 */
export function deadline(options: Partial<DeadlineOptions> & { reserveMs?: number } = {}) {
  const budget = options.budget ?? new Budget(options.reserveMs);
  const now = options.now ?? Date.now;

  const deadlineBefore = (request: PerkamoRequest) => {
    request.internal.deadline = budget.deadline(budget.remainingMs(request.context), now());
  };

  return { before: deadlineBefore };
}
