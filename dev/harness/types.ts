/**
 * The public types of the loopback Lambda harness: what `startFunction` takes, what an environment
 * exposes and what an invocation reports.
 */

/** An error as Lambda reports it: the function's own error body, or one of Lambda's (Runtime.ExitError, …). */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  /** The stack lines the runtime client sent (`trace` in aws-lambda-ric's body, `stackTrace` in others). */
  stackTrace?: string[];
}

/** Where a log line came from: the runtime process (the function) or an external extension's process. */
export interface LogSource {
  /** `'runtime'`, or the external extension's executable name. */
  process: string;
  stream: 'stdout' | 'stderr';
}

export interface StartFunctionOptions {
  /** The Node binary that plays /var/lang/bin/node: `await lambdaNode(22 | 24)`. */
  node: string;
  /** LAMBDA_TASK_ROOT: the function's folder, e.g. `dist/functions/emit`. The working directory. */
  taskRoot: string;
  /** `_HANDLER`. Default `index.handler`. */
  handler?: string;
  /** AWS_LAMBDA_FUNCTION_NAME. Default: the task root's folder name. */
  functionName?: string;
  /** AWS_LAMBDA_FUNCTION_MEMORY_SIZE, and the heap sizes Lambda's bootstrap derives from it. Default 128. */
  memoryMb?: number;
  /** The function's timeout; each invocation's deadline is its start plus this. Default 3 (Lambda's). */
  timeoutSeconds?: number;
  /** Lambda's limit on the init phase. Default 10. */
  initTimeoutSeconds?: number;
  /**
   * The function's environment as deployed (serverless.yml's `environment`, AWS_LAMBDA_EXEC_WRAPPER,
   * NODE_OPTIONS, AWS_LAMBDA_MAX_CONCURRENCY, …), passed through untouched; Lambda's reserved
   * variables are set on top. Nothing of the calling process's environment leaks in.
   */
  env?: Record<string, string | undefined>;
  /** External extensions: executables started like Lambda starts /opt/extensions/*, before the runtime. */
  extensions?: string[];
  /** AWS_REGION / AWS_DEFAULT_REGION and the function ARN's region. Default `eu-central-1`. */
  region?: string;
  /** The function ARN's account. Default `123456789012`. */
  accountId?: string;
  /** The runtime client to run (Lambda's /var/runtime/index.mjs). Default: aws-lambda-ric from node_modules. */
  runtimeClient?: string;
  /** Called with every line the function's (or an external extension's) stdout and stderr print. */
  onLog?: (line: string, source: LogSource) => void;
}

export interface InvokeOptions {
  /**
   * The X-Ray header for this invocation (`Lambda-Runtime-Trace-Id`, the INVOKE event's tracing value).
   * Default: a fresh one as Lambda makes it without active tracing (`…;Sampled=0`); `null`: none.
   */
  traceHeader?: string | null;
  /** `Lambda-Runtime-Client-Context` (mobile SDK client context): an object is sent as JSON. */
  clientContext?: unknown;
  /** `Lambda-Runtime-Cognito-Identity`: an object is sent as JSON. */
  cognitoIdentity?: unknown;
  /** Lambda's tenant isolation: the tenant id of the invoke (X-Amz-Tenant-Id), `Lambda-Runtime-Aws-Tenant-Id`. */
  tenantId?: string;
  /** The request id. Default: a fresh UUID. */
  requestId?: string;
}

export interface InvokeResult {
  requestId: string;
  /** The function answered with a response (not an error, not a timeout without an answer). */
  ok: boolean;
  /** The response, parsed as JSON (a string when the body is not JSON, e.g. a streamed response). */
  payload?: unknown;
  /** The function's error, Lambda's (`Runtime.ExitError`, `Sandbox.Timedout`, …), or the init error. */
  error?: LambdaError;
  /** The invocation had not completed (response and every extension back on `next`) by its deadline. */
  timedOut: boolean;
  /** Invocation delivered to the runtime → its `/response` (or `/error`) received. */
  responseMs?: number;
  /** Response received → the runtime and every extension wait on `next` again (Lambda's post-runtime phase). */
  postRuntimeMs?: number;
  /** Invocation start → completion (or timeout / failure): the REPORT line's `Duration`. */
  durationMs: number;
  /** Set when this invocation initialised the environment: the REPORT line's `Init Duration`. */
  initDurationMs?: number;
  /** The X-Ray header the invocation carried (`null`: none). */
  traceHeader: string | null;
  /** The lines printed by the function and its extensions between this invocation's start and its end. */
  logs: string[];
}

export interface InitResult {
  /** Spawn of the first process → runtime and every registered extension wait on `next`. */
  durationMs: number;
  error?: LambdaError;
}

export type EnvironmentState = 'cold' | 'initializing' | 'ready' | 'frozen' | 'terminating' | 'shut down';

export interface LambdaEnvironment {
  /** `127.0.0.1:<port>`: the AWS_LAMBDA_RUNTIME_API the function sees. */
  readonly runtimeApi: string;
  readonly state: EnvironmentState;
  /** The runtime process (its process group), while one runs. */
  readonly pid: number | undefined;
  /** The last successful init's duration. */
  readonly initDurationMs: number | undefined;
  /** The last init's error (the runtime's `/init/error`, its exit, an extension's failure, the init timeout). */
  readonly initError: LambdaError | undefined;
  /** Every line the function and its extensions printed, since the environment started. */
  readonly logs: readonly string[];
  /** Invocations that may run at once: AWS_LAMBDA_MAX_CONCURRENCY, else 1. */
  readonly maxConcurrency: number;
  /** Initialises now (Lambda's provisioned init) and freezes; `invoke` initialises lazily otherwise. */
  init(): Promise<InitResult>;
  invoke(event?: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Lambda's SHUTDOWN phase; afterwards no process of this environment is left. */
  shutdown(): Promise<void>;
  /**
   * Fault injection: the next `count` extension `event/next` requests lose their connection before
   * any answer — as a kept-alive socket does when it is dropped while the environment is frozen.
   */
  dropExtensionPolls(count: number): void;
}
