/**
 * Waiting on an environment's state: a condition over it is re-checked whenever something changes
 * (a `next` arriving, an answer posted, a process exiting), bounded by a timeout.
 */
import { performance } from 'node:perf_hooks';

export class Changes {
  #waiters = new Set<() => void>();

  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves with `check()`'s first defined value, re-checked on every change; undefined after `ms`. */
  until<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (value: T | undefined) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        this.#waiters.delete(evaluate);
        resolve(value);
      };
      const evaluate = () => {
        const value = check();
        if (value !== undefined) finish(value);
      };
      this.#waiters.add(evaluate);
      evaluate();
      // Node's timers run on the loop's cached millisecond clock and can fire a fraction of a
      // millisecond early by performance.now(): Lambda's timeout never comes before the deadline.
      const until = performance.now() + Math.max(0, ms);
      const expire = () => {
        const left = until - performance.now();
        if (left > 0) timer = setTimeout(expire, Math.ceil(left));
        else finish(undefined);
      };
      if (!done) timer = setTimeout(expire, Math.max(0, ms));
    });
  }
}
