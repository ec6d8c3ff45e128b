// After the response (the default under Lambda's Runtime API): each invocation's spans are
// exported by an internal Lambda extension registered from this process. Lambda sends the response to the caller as
// soon as the runtime posts it, and keeps the environment running (not frozen) until every
// registered extension calls `event/next` again — so the export costs the caller nothing, while it
// still happens before the freeze and within the invocation's deadline. (The post-response time is
// billed as part of the invocation's duration.)
import { flushMarginMs, reserveMsOf } from '../../src/telemetry/flush-margin.ts';
import type { Warn } from './config.ts';
import { ExtensionsApi, type ExtensionEvent } from './extensions-api.ts';
/** The last export at SIGTERM: within the 500 ms Lambda waits before SIGKILL, with room to exit. */
const shutdownFlushMs = 300;
/**
 * A poll not yet read is looked at after this long unless the process was frozen meanwhile: Lambda
 * freezes it as soon as the runtime and the extension wait, so still running means the invocation
 * still waits — for a poll whose connection was lost (only a read tells), which is then made again.
 */
const unfrozenRecheckMs = 100;
/**
 * A recheck this late was held up by a freeze (the invocation it guarded was over): it looks again
 * later instead, and the next invocation's start (started()) ends it.
 */
const frozenLateMs = 10;

export interface AfterResponseFlush {
  /** The functions' flush hook in this mode: the invocation's spans are complete; returns at once. */
  done(): void;
  /**
   * An invocation began, due by `deadlineMs`: should it never call done(), its INVOKE event is still
   * read in time to export before the deadline (as for a handler that never signals).
   */
  started(deadlineMs: number): void;
}

/**
 * Registers the extension (for INVOKE: internal extensions get no SHUTDOWN event) and starts its
 * loop. Must run before the runtime client's first `invocation/next` (the layer's init awaits it).
 * Undefined when registration fails: the caller falls back to flushing in the invocation.
 */
export async function startAfterResponseFlush(
  runtimeApi: string,
  flush: (timeoutMs: number) => Promise<void>,
  warn: Warn,
): Promise<AfterResponseFlush | undefined> {
  const api = new ExtensionsApi(runtimeApi);
  // Kept free before the INVOKE event's deadline, so the extension is back on `next` in time.
  const marginMs = flushMarginMs(reserveMsOf(process.env));
  try {
    await api.register('perkamo-otel', ['INVOKE']);
  } catch (error) {
    warn(`the after-response export could not register its extension (${(error as Error).message}); exporting in the invocation`);
    return undefined;
  }

  // Invocations whose spans are complete but not yet exported (a signal can come before the INVOKE event).
  let completed = 0;
  let wake: (() => void) | undefined;
  // Once the functions have said so, they say it at every invocation's end: from then on the INVOKE
  // event is read only when the spans are complete (`next(readAfter)`), after the runtime's response,
  // instead of as it arrives, in the middle of the invocation, where reading it cost the response
  // ≈ 0.15 ms under the harness (bench/RESULTS.md, section 1b).
  let flushedByHook = false;
  /** Reads the poll now (its spans are complete, its deadline is near, or the recheck found it waiting). */
  let readNow: (() => void) | undefined;
  let cancelRecheck: (() => void) | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  // The timer's turn the export waits for (below), started at done() when the poll is read then.
  let turn: Promise<unknown> | undefined;
  const done = () => {
    clearTimeout(fallback);
    completed++;
    flushedByHook = true;
    wake?.();
    if (readNow) {
      turn = new Promise((resolve) => setTimeout(resolve, 0));
      readNow();
    }
  };
  const started = (deadlineMs: number) => {
    // A new invocation: the poll was taken, no recheck needed.
    cancelRecheck?.();
    clearTimeout(fallback);
    fallback = setTimeout(() => readNow?.(), Math.max(0, deadlineMs - Date.now() - marginMs));
  };
  /** Settles when the poll is to be read (at once when spans are complete already); undefined before the functions ever said so. */
  const readAfter = (): Promise<void> | undefined => {
    if (!flushedByHook) return undefined;
    if (completed > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let recheck: ReturnType<typeof setTimeout>;
      const arm = () => {
        const dueAt = Date.now() + unfrozenRecheckMs;
        recheck = setTimeout(() => (Date.now() - dueAt > frozenLateMs ? arm() : readNow?.()), unfrozenRecheckMs);
      };
      arm();
      cancelRecheck = () => clearTimeout(recheck);
      readNow = () => {
        clearTimeout(recheck);
        readNow = undefined;
        cancelRecheck = undefined;
        resolve();
      };
    });
  };
  /** Until the invocation's spans are complete, or its deadline is near (a handler that never ended them). */
  const complete = (deadlineMs: number) =>
    new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        wake = undefined;
        if (completed > 0) completed--;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, deadlineMs - Date.now() - marginMs));
      if (completed > 0) finish();
      else wake = finish;
    });

  /** The next event; a failed poll (its connection lost while the environment was frozen) is retried, paced. */
  const nextEvent = async (): Promise<ExtensionEvent> => {
    const after = readAfter();
    for (let failures = 0; ; failures++) {
      try {
        return await api.next(after);
      } catch (error) {
        if (failures === 0) warn(`the after-response extension's event/next failed (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** failures)));
      }
    }
  };

  const loop = async () => {
    for (;;) {
      const event = await nextEvent();
      if (event.eventType !== 'INVOKE') continue;
      const deadlineMs = typeof event.deadlineMs === 'number' ? event.deadlineMs : Date.now() + 3_000;
      await complete(deadlineMs);
      // The hook is called as the handler finishes, before the runtime client has posted the
      // response: a timer's turn lets that post go out first, so that neither serializing the spans
      // nor the export's round trip competes with it (measured: +0.7 ms on the response without this,
      // ≈ 0 with it; bench/RESULTS.md, section 1b). A poll read at done() is read during that turn.
      await (turn ?? new Promise((resolve) => setTimeout(resolve, 0)));
      turn = undefined;
      await flush(Math.max(0, deadlineMs - Date.now() - marginMs));
    }
  };
  loop().catch((error: unknown) => warn(`the after-response extension stopped (${(error as Error).message})`));

  // With an extension registered, Lambda ends the environment with SIGTERM, then SIGKILL 500 ms later:
  // what is still buffered (spans a failed export kept for a retry) gets one last bounded export.
  process.once('SIGTERM', () => {
    void flush(shutdownFlushMs).finally(() => process.exit(0));
  });
  return { done, started };
}
