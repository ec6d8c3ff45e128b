// In the background (multi-concurrency mode, AWS_LAMBDA_MAX_CONCURRENCY): Lambda Managed Instances
// never freeze the environment between invocations and run several at once, so there is no
// per-invocation moment to export in and no freeze to beat. Each completed invocation starts an
// export of everything buffered unless one is running; then one more runs for what ended meanwhile.
// Nothing waits for it. The buffer stays bounded (the processor drops the oldest beyond its limit),
// and a hung collector costs one export's timeout, then only probes (the processor's cooldown).

export interface BackgroundFlush {
  /** The functions' flush hook in this mode: an invocation's spans are complete; returns at once. */
  done(): void;
}

export function startBackgroundFlush(flush: (timeoutMs: number) => Promise<void>, timeoutMs: number): BackgroundFlush {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    do {
      again = false;
      await flush(timeoutMs); // never rejects
    } while (again);
    running = false;
  };
  return {
    done() {
      if (running) again = true;
      else void run();
    },
  };
}
