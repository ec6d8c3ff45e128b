/**
 * An execution environment's lifecycle, as Lambda runs it:
 *
 * - Init: external extensions start and register, then the runtime starts (Lambda's bootstrap:
 *   bootstrap.ts); init ends when the runtime and every registered extension wait on `next`
 *   (init-phase.ts).
 * - Invoke: the event goes to the runtime's `next`, an INVOKE event to every extension subscribed to
 *   it; the invocation completes when the runtime has answered and it and every extension wait on
 *   `next` again. Then the environment is frozen (SIGSTOP to every process group) until the next
 *   invocation (SIGCONT). Past the deadline, or when a process dies, the environment is reset: the
 *   next invocation initialises again.
 * - With AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances) up to that many invocations run at
 *   once (more wait their turn), each complete when its own answer arrived; nothing is frozen, and a
 *   timed-out invocation is reported without resetting the environment the others still run in.
 *   Init ends when the runtime client's worker threads have their `next` requests pending.
 * - Shutdown: Lambda's SHUTDOWN phase, signals and grace periods as generation.ts sends them.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Changes } from './changes.ts';
import { functionConfig, type FunctionConfig } from './function-config.ts';
import { Generation, type ShutdownReason } from './generation.ts';
import { runInitPhase } from './init-phase.ts';
import { invocationResult, Invocations, InvocationSlots, jsonHeader, type InvocationRecord, type Outcome } from './invocations.ts';
import { LogCapture } from './log-capture.ts';
import { nodeVersion } from './node-binaries.ts';
import { maxInvokePayloadBytes, RuntimeApi, type RuntimeApiListener } from './runtime-api.ts';
import { lambdaTraceHeader } from './trace-header.ts';
import type { EnvironmentState, InitResult, InvokeOptions, InvokeResult, LambdaEnvironment, LambdaError, StartFunctionOptions } from './types.ts';

/** Starts the Runtime API for a function; its processes start with `init()` or the first `invoke()`. */
export async function startFunction(options: StartFunctionOptions): Promise<LambdaEnvironment> {
  const version = nodeVersion(options.node);
  const environment = new Environment(options, version.split('.')[0] ?? '');
  await environment.listen();
  return environment;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

class Environment implements LambdaEnvironment {
  readonly maxConcurrency: number;
  readonly #multi: boolean;
  readonly #config: FunctionConfig;
  readonly #api: RuntimeApi;
  readonly #changes = new Changes();
  readonly #invocations = new Invocations();
  readonly #slots: InvocationSlots;
  readonly #logs: LogCapture;

  #state: EnvironmentState = 'cold';
  #generation: Generation | undefined;
  #initPromise: Promise<InitResult> | undefined;
  #initDurationMs: number | undefined;
  #initError: LambdaError | undefined;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: StartFunctionOptions, nodeMajor: string) {
    const config = functionConfig(options, nodeMajor);
    this.#config = config;
    this.#multi = config.maxConcurrency !== undefined;
    this.maxConcurrency = config.maxConcurrency ?? 1;
    this.#slots = new InvocationSlots(this.maxConcurrency, () => this.#closed);
    this.#logs = new LogCapture(
      () => this.#invocations.ids,
      (line, source) => options.onLog?.(line, source),
    );
    this.#api = new RuntimeApi({ functionName: config.functionName, handler: config.handler, accountId: config.accountId, listener: this.#listener() });
  }

  async listen(): Promise<void> {
    await this.#api.listen();
  }

  get runtimeApi(): string {
    return this.#api.address;
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  get pid(): number | undefined {
    const runtime = this.#generation?.runtime;
    return runtime && !runtime.exitStatus ? runtime.pid : undefined;
  }

  get initDurationMs(): number | undefined {
    return this.#initDurationMs;
  }

  get initError(): LambdaError | undefined {
    return this.#initError;
  }

  get logs(): readonly string[] {
    return this.#logs.lines;
  }

  async init(): Promise<InitResult> {
    if (this.#closed) throw new Error('the environment is shut down');
    const result = await this.#ensureInit();
    if (this.#generation) this.#generation.initReported = true;
    if (!result.error && !this.#multi && this.#slots.idle && this.#state === 'ready') await this.#freeze();
    return result;
  }

  async invoke(event?: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.#closed) throw new Error('the environment is shut down');
    const payload = Buffer.from(JSON.stringify(event === undefined ? {} : event) ?? 'null', 'utf8');
    if (payload.length > maxInvokePayloadBytes) {
      throw new RangeError(`Request payload size (${payload.length} bytes) exceeds the synchronous invocation limit (${maxInvokePayloadBytes} bytes)`);
    }
    await this.#slots.acquire();
    try {
      return await this.#invoke(payload, options);
    } finally {
      this.#slots.release();
    }
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#closed = true;
      const generation = this.#generation;
      if (generation) await this.#terminate(generation, 'spindown');
      await this.#initPromise?.catch(() => undefined);
      this.#state = 'shut down';
      this.#slots.wakeAll();
      await this.#api.close();
    })();
    return this.#shutdown;
  }

  dropExtensionPolls(count: number): void {
    this.#api.extensions.dropPolls = count;
  }

  // ---- invocations ---------------------------------------------------------------------------

  async #invoke(payload: Buffer, options: InvokeOptions): Promise<InvokeResult> {
    if (this.#closed) throw new Error('the environment is shut down');
    const requestId = options.requestId ?? randomUUID();
    const traceHeader = options.traceHeader === undefined ? lambdaTraceHeader() : options.traceHeader;
    const logFrom = this.#logs.lines.length;
    let initDurationMs: number | undefined;
    if (this.#state !== 'ready' && this.#state !== 'frozen') {
      const initStarted = performance.now();
      const init = await this.#ensureInit();
      const generation = this.#generation;
      if (generation && !generation.initReported) {
        generation.initReported = true;
        initDurationMs = init.durationMs;
      }
      if (init.error || !generation || this.state !== 'ready') {
        return {
          requestId,
          ok: false,
          error: init.error ?? { errorType: 'Runtime.Unknown', errorMessage: 'The environment could not be initialised' },
          timedOut: false,
          durationMs: performance.now() - initStarted,
          ...(initDurationMs !== undefined ? { initDurationMs } : {}),
          traceHeader,
          logs: this.#logs.lines.slice(logFrom),
        };
      }
    }
    const generation = this.#generation!;
    this.#thaw();
    const { timeoutMs, region, accountId, functionName } = this.#config;
    const deadlineMs = Date.now() + timeoutMs;
    const record = this.#invocations.start(requestId, generation);
    const invokedFunctionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
    for (const extension of this.#api.extensions.registered()) {
      if (!extension.events.has('INVOKE')) continue;
      this.#api.extensions.send(extension, {
        eventType: 'INVOKE',
        deadlineMs,
        requestId,
        invokedFunctionArn,
        ...(traceHeader ? { tracing: { type: 'X-Amzn-Trace-Id' as const, value: traceHeader } } : {}),
      });
    }
    const clientContext = jsonHeader(options.clientContext);
    const cognitoIdentity = jsonHeader(options.cognitoIdentity);
    this.#api.deliver({
      requestId,
      payload,
      deadlineMs,
      invokedFunctionArn,
      traceHeader,
      ...(clientContext !== undefined ? { clientContext } : {}),
      ...(cognitoIdentity !== undefined ? { cognitoIdentity } : {}),
      ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
    });

    const outcome = await this.#changes.until<Outcome>(
      () => (this.#completed(record) ? 'completed' : generation.failure ? 'failed' : undefined),
      timeoutMs,
    );
    const endedAt = performance.now();
    const frozen = outcome === 'completed' && !this.#multi ? this.#freeze() : undefined;
    this.#api.closeInvocation(requestId);
    this.#invocations.end(requestId);

    const timedOut = outcome === undefined;
    if (outcome === 'failed' || (timedOut && !this.#multi)) await this.#terminate(generation, timedOut ? 'timeout' : 'failure');
    else await Promise.all([frozen, settle().then(settle)]); // really stopped; the last lines still in the pipes read

    const logs = this.#logs.of(requestId, logFrom, this.#multi);
    return invocationResult(record, { outcome, endedAt, timeoutMs, traceHeader, logs, initDurationMs });
  }

  /** Answered, and (one at a time) the runtime and every extension wait on `next` again. */
  #completed(record: InvocationRecord): boolean {
    if (!record.answer) return false;
    if (this.#multi) return true;
    return this.#api.runtimeWaiting >= 1 && this.#api.extensions.allWaiting();
  }

  // ---- init ----------------------------------------------------------------------------------

  #ensureInit(): Promise<InitResult> {
    if (this.#state === 'ready' || this.#state === 'frozen') return Promise.resolve({ durationMs: this.#initDurationMs ?? 0 });
    this.#initPromise ??= this.#runInit().finally(() => {
      this.#initPromise = undefined;
    });
    return this.#initPromise;
  }

  async #runInit(): Promise<InitResult> {
    await this.#generation?.terminating;
    if (this.#closed) throw new Error('the environment is shut down');
    const generation = new Generation();
    this.#generation = generation;
    this.#state = 'initializing';
    const result = await runInitPhase({
      config: this.#config,
      api: this.#api,
      changes: this.#changes,
      generation,
      log: (line, source) => this.#logs.add(line, source),
      exited: (exited) => this.#failed(exited),
    });
    if (result.error) {
      this.#initError = result.error;
      await this.#terminate(generation, 'failure');
      return result;
    }
    this.#initError = undefined;
    this.#initDurationMs = result.durationMs;
    this.#state = 'ready';
    return result;
  }

  // ---- processes -----------------------------------------------------------------------------

  async #freeze(): Promise<void> {
    const generation = this.#generation;
    if (!generation || this.#state !== 'ready') return;
    const stopped = generation.freeze();
    this.#state = 'frozen';
    await stopped;
  }

  #thaw(): void {
    const generation = this.#generation;
    if (!generation || this.#state !== 'frozen') return;
    generation.thaw();
    this.#state = 'ready';
  }

  /** A generation failed; when nothing runs in it (no init, no invocation), reset it now. */
  #failed(generation: Generation): void {
    this.#changes.notify();
    const idle = !this.#invocations.runningIn(generation);
    if (generation === this.#generation && !generation.terminating && idle && (this.#state === 'ready' || this.#state === 'frozen')) {
      void this.#terminate(generation, 'failure');
    }
  }

  #terminate(generation: Generation, reason: ShutdownReason): Promise<void> {
    generation.terminating ??= this.#runTerminate(generation, reason);
    return generation.terminating;
  }

  async #runTerminate(generation: Generation, reason: ShutdownReason): Promise<void> {
    const current = generation === this.#generation;
    if (current) this.#state = 'terminating';
    this.#changes.notify();
    await generation.shutDown(reason, current ? this.#api.extensions : undefined);
    if (generation === this.#generation) {
      this.#api.reset();
      if (this.#state === 'terminating') this.#state = 'cold';
    }
    this.#changes.notify();
  }

  // ---- plumbing ------------------------------------------------------------------------------

  #listener(): RuntimeApiListener {
    return {
      changed: () => this.#changes.notify(),
      delivered: (requestId) => {
        this.#invocations.delivered(requestId);
        this.#changes.notify();
      },
      answered: (requestId, answer) => {
        this.#invocations.answered(requestId, answer);
        this.#changes.notify();
      },
      initError: (error) => {
        if (this.#generation) this.#generation.initError ??= error;
        this.#changes.notify();
      },
      extensionError: (_extension, phase, error) => {
        const generation = this.#generation;
        if (!generation) return;
        if (phase === 'init' && this.#state === 'initializing') generation.initError ??= error;
        else {
          generation.failure ??= error;
          this.#failed(generation);
        }
        this.#changes.notify();
      },
    };
  }
}
