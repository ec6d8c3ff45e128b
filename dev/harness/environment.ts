/**
 * An execution environment's lifecycle, as Lambda runs it:
 *
 * - Init: external extensions start and register, then the runtime starts (Lambda's bootstrap:
 *   bootstrap.ts); init ends when the runtime and every registered extension wait on `next`.
 * - Invoke: the event goes to the runtime's `next`, an INVOKE event to every extension subscribed to
 *   it; the invocation completes when the runtime has answered and it and every extension wait on
 *   `next` again. Then the environment is frozen (SIGSTOP to every process group) until the next
 *   invocation (SIGCONT). Past the deadline, or when a process dies, the environment is reset: the
 *   next invocation initialises again.
 * - With AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances) up to that many invocations run at
 *   once (more wait their turn), each complete when its own answer arrived; nothing is frozen, and a
 *   timed-out invocation is reported without resetting the environment the others still run in.
 *   Init ends when the runtime client's worker threads have their `next` requests pending.
 * - Shutdown: no extension → SIGKILL at once; internal extensions only → SIGTERM, SIGKILL after
 *   500 ms; external extensions → SIGTERM to the runtime (300 ms), SHUTDOWN to the extensions, 2 s in all.
 */
import { randomUUID } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  expectedPollers,
  extensionEnvironment,
  functionEnvironment,
  lambdaLogStreamName,
  lambdaNodeArguments,
  maxConcurrency,
  processEnvironment,
  runtimeClientPath,
  runtimeCommand,
} from './bootstrap.ts';
import { nodeVersion } from './node-binaries.ts';
import { describeExit, spawnGroup, untilStopped, type ExitStatus, type GroupProcess } from './process-group.ts';
import { maxInvokePayloadBytes, RuntimeApi, type RuntimeAnswer, type RuntimeApiListener } from './runtime-api.ts';
import { lambdaTraceHeader } from './trace-header.ts';
import type {
  EnvironmentState,
  InitResult,
  InvokeOptions,
  InvokeResult,
  LambdaEnvironment,
  LambdaError,
  LogSource,
  StartFunctionOptions,
} from './types.ts';

/** Starts the Runtime API for a function; its processes start with `init()` or the first `invoke()`. */
export async function startFunction(options: StartFunctionOptions): Promise<LambdaEnvironment> {
  const version = await nodeVersion(options.node);
  const environment = new Environment(options, version.split('.')[0] ?? '');
  await environment.listen();
  return environment;
}

/** One generation of processes: from an init to the reset or shutdown that ends it. */
interface Generation {
  runtime?: GroupProcess;
  extensions: GroupProcess[];
  /** The runtime's /init/error, an extension's init/error. */
  initError?: LambdaError;
  /** A process died, or an extension reported exit/error: the generation cannot go on. */
  failure?: LambdaError;
  terminating?: Promise<void>;
  /** Some invocation reported this generation's init duration already. */
  initReported: boolean;
}

interface InvocationRecord {
  requestId: string;
  generation: Generation;
  startedAt: number;
  deliveredAt?: number;
  respondedAt?: number;
  answer?: RuntimeAnswer;
}

type Outcome = 'completed' | 'failed' | undefined;

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());

class Environment implements LambdaEnvironment {
  readonly maxConcurrency: number;
  readonly #multi: boolean;
  readonly #api: RuntimeApi;
  readonly #options: StartFunctionOptions;
  readonly #nodeMajor: string;
  readonly #taskRoot: string;
  readonly #handler: string;
  readonly #functionName: string;
  readonly #memoryMb: number;
  readonly #timeoutMs: number;
  readonly #initTimeoutMs: number;
  readonly #region: string;
  readonly #accountId: string;
  readonly #runtimeClient: string;
  readonly #extensionPaths: string[];

  #state: EnvironmentState = 'cold';
  #generation: Generation | undefined;
  #initPromise: Promise<InitResult> | undefined;
  #initDurationMs: number | undefined;
  #initError: LambdaError | undefined;
  #logs: string[] = [];
  /** For each log line, the invocations in flight when it arrived (to split concurrent invocations' logs). */
  #logInFlight: (readonly string[])[] = [];
  #inFlightIds: readonly string[] = [];
  #invocations = new Map<string, InvocationRecord>();
  #waiters = new Set<() => void>();
  #active = 0;
  #slotQueue: (() => void)[] = [];
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: StartFunctionOptions, nodeMajor: string) {
    this.#options = options;
    this.#nodeMajor = nodeMajor;
    this.#taskRoot = resolve(options.taskRoot);
    this.#handler = options.handler ?? 'index.handler';
    this.#functionName = options.functionName ?? basename(this.#taskRoot);
    this.#memoryMb = options.memoryMb ?? 128;
    this.#timeoutMs = (options.timeoutSeconds ?? 3) * 1000;
    this.#initTimeoutMs = (options.initTimeoutSeconds ?? 10) * 1000;
    this.#region = options.region ?? 'eu-central-1';
    this.#accountId = options.accountId ?? '123456789012';
    this.#runtimeClient = options.runtimeClient ?? runtimeClientPath();
    this.#extensionPaths = (options.extensions ?? []).map((path) => resolve(path));
    const concurrency = maxConcurrency(this.#configuredEnv());
    this.#multi = concurrency !== undefined;
    this.maxConcurrency = concurrency ?? 1;
    this.#api = new RuntimeApi({ functionName: this.#functionName, handler: this.#handler, accountId: this.#accountId, listener: this.#listener() });
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
    return this.#logs;
  }

  async init(): Promise<InitResult> {
    if (this.#closed) throw new Error('the environment is shut down');
    const result = await this.#ensureInit();
    if (this.#generation) this.#generation.initReported = true;
    if (!result.error && !this.#multi && this.#active === 0 && this.#state === 'ready') await this.#freeze();
    return result;
  }

  async invoke(event?: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.#closed) throw new Error('the environment is shut down');
    const payload = Buffer.from(JSON.stringify(event === undefined ? {} : event) ?? 'null', 'utf8');
    if (payload.length > maxInvokePayloadBytes) {
      throw new RangeError(`Request payload size (${payload.length} bytes) exceeds the synchronous invocation limit (${maxInvokePayloadBytes} bytes)`);
    }
    await this.#acquire();
    try {
      return await this.#invoke(payload, options);
    } finally {
      this.#release();
    }
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#closed = true;
      const generation = this.#generation;
      if (generation) await this.#terminate(generation, 'spindown');
      await this.#initPromise?.catch(() => undefined);
      this.#state = 'shut down';
      for (const wake of this.#slotQueue.splice(0)) wake();
      await this.#api.close();
    })();
    return this.#shutdown;
  }

  dropExtensionPolls(count: number): void {
    this.#api.dropExtensionPolls = count;
  }

  // ---- invocations ---------------------------------------------------------------------------

  async #invoke(payload: Buffer, options: InvokeOptions): Promise<InvokeResult> {
    if (this.#closed) throw new Error('the environment is shut down');
    const requestId = options.requestId ?? randomUUID();
    const traceHeader = options.traceHeader === undefined ? lambdaTraceHeader() : options.traceHeader;
    const logFrom = this.#logs.length;
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
          logs: this.#logs.slice(logFrom),
        };
      }
    }
    const generation = this.#generation!;
    this.#thaw();
    const deadlineMs = Date.now() + this.#timeoutMs;
    const record: InvocationRecord = { requestId, generation, startedAt: performance.now() };
    this.#invocations.set(requestId, record);
    this.#inFlightIds = [...this.#invocations.keys()];
    const invokedFunctionArn = `arn:aws:lambda:${this.#region}:${this.#accountId}:function:${this.#functionName}`;
    for (const extension of this.#api.extensions()) {
      if (!extension.events.has('INVOKE')) continue;
      this.#api.sendToExtension(extension, {
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
    });

    const outcome = await this.#until<Outcome>(
      () => (this.#completed(record) ? 'completed' : generation.failure ? 'failed' : undefined),
      this.#timeoutMs,
    );
    const endedAt = performance.now();
    const frozen = outcome === 'completed' && !this.#multi ? this.#freeze() : undefined;
    this.#api.closeInvocation(requestId);
    this.#invocations.delete(requestId);
    this.#inFlightIds = [...this.#invocations.keys()];

    const timedOut = outcome === undefined;
    const answer = record.answer;
    let error: LambdaError | undefined;
    let payloadOut: unknown;
    if (answer?.kind === 'response') payloadOut = parsePayload(answer.body);
    else if (answer) error = answer.error;
    else if (timedOut) error = { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(this.#timeoutMs / 1000).toFixed(2)} seconds` };
    else error = { ...generation.failure!, errorMessage: `RequestId: ${requestId} Error: ${generation.failure!.errorMessage}` };

    if (outcome === 'failed' || (timedOut && !this.#multi)) await this.#terminate(generation, timedOut ? 'timeout' : 'failure');
    else await Promise.all([frozen, settle().then(settle)]); // really stopped; the last lines still in the pipes read

    const result: InvokeResult = {
      requestId,
      ok: answer?.kind === 'response',
      timedOut,
      durationMs: endedAt - record.startedAt,
      traceHeader,
      logs: this.#invocationLogs(requestId, logFrom),
    };
    if (answer?.kind === 'response') result.payload = payloadOut;
    if (error) result.error = error;
    if (record.deliveredAt !== undefined && record.respondedAt !== undefined) result.responseMs = record.respondedAt - record.deliveredAt;
    if (outcome === 'completed' && record.respondedAt !== undefined) result.postRuntimeMs = endedAt - record.respondedAt;
    if (initDurationMs !== undefined) result.initDurationMs = initDurationMs;
    return result;
  }

  /** Answered, and (one at a time) the runtime and every extension wait on `next` again. */
  #completed(record: InvocationRecord): boolean {
    if (!record.answer) return false;
    if (this.#multi) return true;
    return this.#api.runtimeWaiting >= 1 && this.#api.extensionsWaiting();
  }

  #invocationLogs(requestId: string, from: number): string[] {
    const lines: string[] = [];
    for (let index = from; index < this.#logs.length; index++) {
      const line = this.#logs[index]!;
      // Concurrent invocations: a line naming another invocation in flight is that one's.
      const others = (this.#logInFlight[index] ?? []).filter((id) => id !== requestId);
      if (this.#multi && !line.includes(requestId) && others.some((id) => line.includes(id))) continue;
      lines.push(line);
    }
    return lines;
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.maxConcurrency) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#slotQueue.push(resolve));
    if (this.#closed) {
      this.#release();
      throw new Error('the environment is shut down');
    }
  }

  #release(): void {
    const next = this.#slotQueue.shift();
    if (next) next();
    else this.#active--;
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
    const generation: Generation = { extensions: [], initReported: false };
    this.#generation = generation;
    this.#state = 'initializing';
    const started = performance.now();
    const deadline = started + this.#initTimeoutMs;
    const env = functionEnvironment({
      env: this.#configuredEnv(),
      runtimeApi: this.#api.address,
      handler: this.#handler,
      taskRoot: this.#taskRoot,
      runtimeDir: resolve(this.#runtimeClient, '..'),
      functionName: this.#functionName,
      memoryMb: this.#memoryMb,
      region: this.#region,
      nodeBinary: this.#options.node,
      nodeMajor: this.#nodeMajor,
      logStreamName: lambdaLogStreamName(),
    });
    this.#api.reset();
    this.#api.externalNames = new Set(this.#extensionPaths.map((path) => basename(path)));
    this.#api.registrationOpen = true;
    this.#api.initPhase = true;
    const stopped = () => generation.initError ?? generation.failure ?? (generation.terminating ? shutDownError : undefined);
    const timeout: LambdaError = {
      errorType: 'Sandbox.Timedout',
      errorMessage: `Init phase timed out after ${(this.#initTimeoutMs / 1000).toFixed(2)} seconds`,
    };

    // External extensions first: Lambda starts the runtime once every one has registered.
    let error: LambdaError | undefined;
    for (const path of this.#extensionPaths) {
      const name = basename(path);
      generation.extensions.push(
        spawnGroup(path, [], {
          name,
          cwd: this.#taskRoot,
          env: extensionEnvironment(env),
          onLine: (line, stream) => this.#log(line, { process: name, stream }),
          onExit: (status) => this.#extensionExited(generation, name, status),
        }),
      );
    }
    if (this.#extensionPaths.length > 0) {
      const names = [...this.#api.externalNames];
      const registered = () => names.every((name) => this.#api.extensions().some((extension) => extension.name === name && extension.external));
      const outcome = await this.#until<LambdaError | 'registered'>(() => stopped() ?? (registered() ? 'registered' : undefined), deadline - performance.now());
      error = outcome === 'registered' ? undefined : (outcome ?? timeout);
    }

    if (!error) {
      const command = runtimeCommand(env, this.#taskRoot, this.#options.node, lambdaNodeArguments(this.#memoryMb, env.NODE_OPTIONS, this.#runtimeClient));
      if ('exitStatus' in command) {
        this.#log(command.message, { process: 'runtime', stream: 'stdout' });
        error = { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${command.exitStatus}` };
      } else {
        generation.runtime = spawnGroup(command.command, command.args, {
          name: 'runtime',
          cwd: this.#taskRoot,
          env,
          onLine: (line, stream) => this.#log(line, { process: 'runtime', stream }),
          onExit: (status) => this.#runtimeExited(generation, status),
        });
        // One `next` (one at a time), or as many as the worker threads can have pending (worked out once
        // the first arrives: node has been exec'd by then, the wrapper's variables are in its environment).
        const runtime = generation.runtime;
        let pollers = this.#multi ? undefined : 1;
        const ready = () => {
          if (this.#api.runtimeWaiting === 0) return false;
          pollers ??= expectedPollers({ ...env, ...(runtime.pid ? processEnvironment(runtime.pid) : undefined) });
          return this.#api.runtimeWaiting >= pollers && this.#api.extensionsWaiting();
        };
        const outcome = await this.#until<LambdaError | 'ready'>(() => stopped() ?? (ready() ? 'ready' : undefined), deadline - performance.now());
        error = outcome === 'ready' ? undefined : (outcome ?? timeout);
      }
    }

    const durationMs = performance.now() - started;
    this.#api.registrationOpen = false;
    this.#api.initPhase = false;
    if (error) {
      this.#initError = error;
      await this.#terminate(generation, 'failure');
      return { durationMs, error };
    }
    this.#initError = undefined;
    this.#initDurationMs = durationMs;
    this.#state = 'ready';
    return { durationMs };
  }

  // ---- processes -----------------------------------------------------------------------------

  #configuredEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#options.env ?? {})) if (value !== undefined) env[name] = value;
    return env;
  }

  #processes(generation: Generation): GroupProcess[] {
    return [generation.runtime, ...generation.extensions].filter((proc): proc is GroupProcess => proc !== undefined);
  }

  /** SIGSTOP to every process group; resolves once they are stopped (bounded). */
  async #freeze(): Promise<void> {
    const generation = this.#generation;
    if (!generation || this.#state !== 'ready') return;
    const processes = this.#processes(generation);
    for (const proc of processes) proc.signal('SIGSTOP');
    this.#state = 'frozen';
    await untilStopped(processes);
  }

  #thaw(): void {
    const generation = this.#generation;
    if (!generation || this.#state !== 'frozen') return;
    for (const proc of this.#processes(generation)) proc.signal('SIGCONT');
    this.#state = 'ready';
  }

  #runtimeExited(generation: Generation, status: ExitStatus): void {
    generation.failure ??= status.error
      ? { errorType: 'Runtime.InvalidEntrypoint', errorMessage: `Runtime could not be started: ${status.error.message}` }
      : { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${describeExit(status)}` };
    this.#failed(generation);
  }

  #extensionExited(generation: Generation, name: string, status: ExitStatus): void {
    generation.failure ??= status.error
      ? { errorType: 'Extension.LaunchError', errorMessage: `Extension ${name} could not be started: ${status.error.message}` }
      : { errorType: 'Extension.Crash', errorMessage: `Extension ${name} exited: ${describeExit(status)}` };
    this.#failed(generation);
  }

  /** A generation failed; when nothing runs in it (no init, no invocation), reset it now. */
  #failed(generation: Generation): void {
    this.#notify();
    const idle = [...this.#invocations.values()].every((record) => record.generation !== generation);
    if (generation === this.#generation && !generation.terminating && idle && (this.#state === 'ready' || this.#state === 'frozen')) {
      void this.#terminate(generation, 'failure');
    }
  }

  #terminate(generation: Generation, reason: 'spindown' | 'timeout' | 'failure'): Promise<void> {
    generation.terminating ??= this.#runTerminate(generation, reason);
    return generation.terminating;
  }

  /** Lambda's SHUTDOWN phase (or a reset, which runs the same way); ends with every process killed. */
  async #runTerminate(generation: Generation, reason: 'spindown' | 'timeout' | 'failure'): Promise<void> {
    const current = generation === this.#generation;
    if (current) this.#state = 'terminating';
    this.#notify();
    const processes = this.#processes(generation);
    for (const proc of processes) proc.signal('SIGCONT');
    const registered = current ? this.#api.extensions() : [];
    const external = registered.filter((extension) => extension.external);
    const runtime = generation.runtime;
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
        if (listening.has(extension.name)) this.#api.sendToExtension(extension, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs: deadline });
      }
      const waits: Promise<unknown>[] = [];
      for (const proc of generation.extensions) {
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
    if (generation === this.#generation) {
      this.#api.reset();
      if (this.#state === 'terminating') this.#state = 'cold';
    }
    this.#notify();
  }

  // ---- plumbing ------------------------------------------------------------------------------

  #listener(): RuntimeApiListener {
    const record = (requestId: string) => this.#invocations.get(requestId);
    return {
      changed: () => this.#notify(),
      delivered: (requestId) => {
        const invocation = record(requestId);
        if (invocation && invocation.deliveredAt === undefined) invocation.deliveredAt = performance.now();
        this.#notify();
      },
      answered: (requestId, answer) => {
        const invocation = record(requestId);
        if (invocation && !invocation.answer) {
          invocation.respondedAt = performance.now();
          invocation.answer = answer;
        }
        this.#notify();
      },
      initError: (error) => {
        if (this.#generation) this.#generation.initError ??= error;
        this.#notify();
      },
      extensionError: (_extension, phase, error) => {
        const generation = this.#generation;
        if (!generation) return;
        if (phase === 'init' && this.#state === 'initializing') generation.initError ??= error;
        else {
          generation.failure ??= error;
          this.#failed(generation);
        }
        this.#notify();
      },
    };
  }

  #log(line: string, source: LogSource): void {
    this.#logs.push(line);
    this.#logInFlight.push(this.#inFlightIds);
    this.#options.onLog?.(line, source);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves with `check()`'s first defined value, re-checked on every change; undefined after `ms`. */
  #until<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
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

const shutDownError: LambdaError = { errorType: 'Runtime.ExitError', errorMessage: 'The environment was shut down during init' };

function jsonHeader(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parsePayload(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
