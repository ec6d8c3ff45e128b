/**
 * One generation of an environment's processes (the runtime, external extensions): from an init to
 * the reset or shutdown that ends it. Between invocations it is frozen (SIGSTOP to every process
 * group) and thawed for the next (SIGCONT); a process that dies fails it; Lambda's SHUTDOWN phase
 * ends it:
 *
 * - Shutdown: no extension → SIGKILL at once; internal extensions only → SIGTERM, SIGKILL after
 *   500 ms; external extensions → SIGTERM to the runtime (300 ms), SHUTDOWN to the extensions, 2 s in all.
 */
import type { ExtensionsApi } from './extensions-api.ts';
import { describeExit, untilStopped, type ExitStatus, type GroupProcess } from './process-group.ts';
import type { LambdaError } from './types.ts';

export type ShutdownReason = 'spindown' | 'timeout' | 'failure';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());

export class Generation {
  runtime?: GroupProcess;
  extensions: GroupProcess[] = [];
  /** The runtime's /init/error, an extension's init/error. */
  initError?: LambdaError;
  /** A process died, or an extension reported exit/error: the generation cannot go on. */
  failure?: LambdaError;
  terminating?: Promise<void>;
  /** Some invocation reported this generation's init duration already. */
  initReported = false;

  processes(): GroupProcess[] {
    return [this.runtime, ...this.extensions].filter((proc): proc is GroupProcess => proc !== undefined);
  }

  /** SIGSTOP to every process group (sent before this returns); resolves once they are stopped (bounded). */
  freeze(): Promise<boolean> {
    const processes = this.processes();
    for (const proc of processes) proc.signal('SIGSTOP');
    return untilStopped(processes);
  }

  thaw(): void {
    for (const proc of this.processes()) proc.signal('SIGCONT');
  }

  runtimeExited(status: ExitStatus): void {
    this.failure ??= status.error
      ? { errorType: 'Runtime.InvalidEntrypoint', errorMessage: `Runtime could not be started: ${status.error.message}` }
      : { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${describeExit(status)}` };
  }

  extensionExited(name: string, status: ExitStatus): void {
    this.failure ??= status.error
      ? { errorType: 'Extension.LaunchError', errorMessage: `Extension ${name} could not be started: ${status.error.message}` }
      : { errorType: 'Extension.Crash', errorMessage: `Extension ${name} exited: ${describeExit(status)}` };
  }

  /**
   * Lambda's SHUTDOWN phase (or a reset, which runs the same way); ends with every process killed.
   * `extensions`: the Extensions API this generation's extensions registered with, unless a newer
   * generation holds it already.
   */
  async shutDown(reason: ShutdownReason, extensions: ExtensionsApi | undefined): Promise<void> {
    const processes = this.processes();
    for (const proc of processes) proc.signal('SIGCONT');
    const registered = extensions?.registered() ?? [];
    const external = registered.filter((extension) => extension.external);
    const runtime = this.runtime;
    const exitWithin = async (proc: GroupProcess, ms: number) => {
      await Promise.race([proc.closed, sleep(ms)]);
    };
    if (registered.length > 0 && external.length === 0) {
      runtime?.signal('SIGTERM');
      if (runtime) await exitWithin(runtime, 500);
    } else if (external.length > 0) {
      const deadline = Date.now() + 2000;
      runtime?.signal('SIGTERM');
      const listening = new Set(external.filter((extension) => extension.events.has('SHUTDOWN')).map((extension) => extension.name));
      for (const extension of external) {
        if (listening.has(extension.name)) extensions?.send(extension, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs: deadline });
      }
      const waits: Promise<unknown>[] = [];
      for (const proc of this.extensions) {
        if (listening.has(proc.name)) waits.push(exitWithin(proc, deadline - Date.now()));
        else proc.signal('SIGKILL');
      }
      const runtimeGrace = registered.some((extension) => !extension.external) ? 500 : 300;
      if (runtime) waits.push(exitWithin(runtime, runtimeGrace).then(() => runtime.signal('SIGKILL')));
      await Promise.all(waits);
    }
    for (const proc of processes) proc.signal('SIGKILL');
    // Bounded: a process whose output another process still holds open counts as gone once killed.
    await Promise.all(processes.map((proc) => exitWithin(proc, 2000)));
  }
}
