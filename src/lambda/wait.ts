// Bounded waits: the one way the functions stop waiting for work that may never end (the JWKS
// fetch in auth, a secret read). Pure timing, no Lambda types: callers hand in the deadline.

/**
 * Waits for `work` no longer than until `deadline` (epoch ms; undefined: no bound), then rejects
 * with `late(budgetMs)`. The work itself goes on in the background unless `late` aborts it (a
 * shared JWKS fetch may still serve the next invocation); only this caller stops waiting for it.
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
