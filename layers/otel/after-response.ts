// PERKAMO_OTEL_FLUSH=after-response: the invocation's spans are exported after its response, by an
// internal Lambda extension registered from this process. Lambda sends the response to the caller as
// soon as the runtime posts it, and keeps the environment running (not frozen) until every
// registered extension calls `event/next` again — so the export costs the caller nothing, while it
// still happens before the freeze and within the invocation's deadline. (The post-response time is
// billed as part of the invocation's duration.)
import type { Warn } from './config.ts';

/** Kept free before the INVOKE event's deadline, so the extension is back on `next` in time. */
const marginMs = 200;

export interface AfterResponseFlush {
  /** The functions' flush hook in this mode: the invocation's spans are complete; returns at once. */
  done(): void;
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
  const base = `http://${runtimeApi}/2020-01-01/extension`;
  let id: string | null;
  try {
    const registered = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'lambda-extension-name': 'perkamo-otel', 'content-type': 'application/json' },
      body: JSON.stringify({ events: ['INVOKE'] }),
    });
    await registered.arrayBuffer();
    id = registered.headers.get('lambda-extension-identifier');
    if (!registered.ok || !id) throw new Error(`the Extensions API answered ${registered.status}`);
  } catch (error) {
    warn(`PERKAMO_OTEL_FLUSH=after-response: the extension could not register (${(error as Error).message}); exporting in the invocation`);
    return undefined;
  }

  // Invocations whose spans are complete but not yet exported (a signal can come before the INVOKE event).
  let completed = 0;
  let wake: (() => void) | undefined;
  const done = () => {
    completed++;
    wake?.();
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

  /** The next event; a failed poll (a kept-alive socket closed while frozen) is retried, briefly paced. */
  const nextEvent = async (): Promise<{ eventType?: string; deadlineMs?: number }> => {
    for (let failures = 0; ; failures++) {
      try {
        const next = await fetch(`${base}/event/next`, { headers: { 'lambda-extension-identifier': id } });
        if (next.ok) return (await next.json()) as { eventType?: string; deadlineMs?: number };
        await next.arrayBuffer();
        throw new Error(`the Extensions API answered ${next.status}`);
      } catch (error) {
        if (failures === 0) warn(`PERKAMO_OTEL_FLUSH=after-response: event/next failed (${(error as Error).message}); retrying`);
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
      await flush(Math.max(0, deadlineMs - Date.now() - marginMs));
    }
  };
  loop().catch((error: unknown) => warn(`PERKAMO_OTEL_FLUSH=after-response: the extension stopped (${(error as Error).message})`));

  // With an extension registered, Lambda ends the environment with SIGTERM, then SIGKILL 500 ms later.
  process.once('SIGTERM', () => {
    void flush(300).finally(() => process.exit(0));
  });
  return { done };
}
