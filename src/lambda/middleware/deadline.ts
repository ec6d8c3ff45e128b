import type { PerkamoRequest } from '../invocation.ts';

export interface DeadlineOptions {
  /** Kept back from Lambda's remaining time for reporting failures and flushing spans. */
  reserveMs: number;
  /** Budget when the context cannot tell the remaining time (local runs, plain tests). */
  fallbackMs: number;
  now: () => number;
}

const defaults: DeadlineOptions = { reserveMs: 500, fallbackMs: 30_000, now: Date.now };

/**
 * Sets `request.internal.deadline`: the epoch ms by which every Perkamo request, retry and wait
 * must be over, so that failures are still reported before Lambda's own timeout.
 */
export function deadline(options: Partial<DeadlineOptions> = {}) {
  const { reserveMs, fallbackMs, now } = { ...defaults, ...options };

  const deadlineBefore = (request: PerkamoRequest) => {
    const remaining =
      typeof request.context?.getRemainingTimeInMillis === 'function'
        ? request.context.getRemainingTimeInMillis()
        : fallbackMs;
    request.internal.deadline = now() + Math.max(0, remaining - reserveMs);
  };

  return { before: deadlineBefore };
}

/**
 * Waits for `work` no longer than until `deadline` (epoch ms; undefined: no bound), then rejects
 * with `late()`: the one way anything that runs before the handler (the JWKS fetch, and any future
 * I/O in a middleware) is held to the invocation's budget. The work itself goes on in the
 * background (a shared fetch may still serve the next invocation); only this invocation stops
 * waiting for it.
 */
export async function withinDeadline<T>(work: Promise<T>, deadline: number | undefined, late: (budgetMs: number) => Error, now: () => number = Date.now): Promise<T> {
  if (deadline === undefined) return work;
  const budgetMs = Math.max(0, deadline - now());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late(budgetMs)), budgetMs);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
    // A rejection of `work` after the deadline is nobody's to handle any more.
    work.catch(() => undefined);
  }
}
