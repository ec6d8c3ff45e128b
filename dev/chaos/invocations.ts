/**
 * Invoking the functions during a run: the meter that counts and times the invocations, and the
 * state the two queue runs (SQS, FIFO) share around their invoker.
 */
import { InvocationTimeoutError } from '../stack/lambda.ts';
import { budgets } from './budgets.ts';
import { tapFunctionLogs } from './function-logs.ts';
import type { VariantOptions } from './variant.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts and times the invocations of a run: how many, how long, how many hit the Lambda timeout. */
export class InvocationMeter {
  invocations = 0;
  killedByTimeout = 0;
  inFlight = 0;
  readonly durations: number[] = [];

  async measure<T>(invoke: () => Promise<T>): Promise<T> {
    this.invocations++;
    this.inFlight++;
    const t0 = performance.now();
    try {
      return await invoke();
    } catch (error) {
      if (error instanceof InvocationTimeoutError) this.killedByTimeout++;
      throw error;
    } finally {
      this.durations.push(performance.now() - t0);
      this.inFlight--;
    }
  }
}

/** What the two queue runs (SQS, FIFO) share: the budget's queue settings, the log tap, the meter and the invoker. */
export function queueRun(options: VariantOptions) {
  const budget = budgets[options.budget];
  const lastFailure = new Map<string, string>();
  const state = {
    budget,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? budget.visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount ?? budget.maxReceiveCount,
    log: options.log ?? ((_line: string) => {}),
    /** The last failure the function logged (or the invocation's) per message id: the DLQ reason. */
    lastFailure,
    meter: new InvocationMeter(),
    redeliveries: 0,
    untap: tapFunctionLogs((f) => lastFailure.set(f.id, `${f.error}: ${f.message}`)),
    /** Invokes with one SQS event, counting redeliveries; a failed invocation is every record's reason. */
    invoke: async (event: { Records: { messageId: string; attributes: { ApproximateReceiveCount: string } }[] }, call: () => Promise<unknown>): Promise<unknown> => {
      for (const r of event.Records) if (Number(r.attributes.ApproximateReceiveCount) > 1) state.redeliveries++;
      try {
        return await state.meter.measure(call);
      } catch (error) {
        for (const r of event.Records) lastFailure.set(r.messageId, `invocation failed: ${(error as Error).name}: ${(error as Error).message}`);
        throw error;
      }
    },
  };
  return state;
}

/** Runs `count` copies of `worker` until all end, logging `progress()` every 5 s meanwhile. */
export async function runWorkers(count: number, worker: () => Promise<void>, progress: () => string, log: (line: string) => void): Promise<void> {
  const timer = setInterval(() => log(progress()), 5_000);
  try {
    await Promise.all(Array.from({ length: count }, worker));
  } finally {
    clearInterval(timer);
  }
}
