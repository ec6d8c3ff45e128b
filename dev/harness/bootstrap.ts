/**
 * What Lambda's Node bootstrap (/var/runtime/bootstrap of nodejs22.x / nodejs24.x) does before the
 * runtime client runs: the environment (the function's own plus Lambda's reserved variables), the node
 * arguments (`--expose-gc`, `--max-http-header-size 81920`, heap sizes from the memory size unless
 * NODE_OPTIONS sets them) and `exec $AWS_LAMBDA_EXEC_WRAPPER node <args> /var/runtime/index.mjs`.
 *
 * Locally /var/runtime is the aws-lambda-ric package (index.mjs, rapid-client.node, node_modules)
 * and /var/lang/bin/node the chosen Node binary.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const requireHere = createRequire(import.meta.url);

/** The runtime client Lambda runs (its /var/runtime/index.mjs): aws-lambda-ric's index.mjs. */
export function runtimeClientPath(): string {
  return join(dirname(requireHere.resolve('aws-lambda-ric/package.json')), 'index.mjs');
}

const heapFlags = ['--max_semi_space_size', '--max_old_space_size', '--max-semi-space-size', '--max-old-space-size'];

/**
 * The node arguments of the bootstrap: `--expose-gc --max-http-header-size 81920`, then — unless
 * NODE_OPTIONS already names a semi- or old-space size — new space = memory / 10, semi-space = new
 * space / 6 (V8's young generation is three semi-spaces: it gets 5 % of the memory), old space =
 * memory − new space; then the runtime client.
 */
export function lambdaNodeArguments(memoryMb: number, nodeOptions: string | undefined, runtimeClient: string): string[] {
  const memory: string[] = [];
  if (!heapFlags.some((flag) => (nodeOptions ?? '').includes(flag))) {
    const newSpace = Math.floor(memoryMb / 10);
    memory.push(`--max-semi-space-size=${Math.floor(newSpace / 6)}`, `--max-old-space-size=${memoryMb - newSpace}`);
  }
  return ['--expose-gc', '--max-http-header-size', '81920', ...memory, runtimeClient];
}

export interface FunctionEnvironmentInput {
  /** The function's configured environment (undefined values are dropped). */
  env: Record<string, string | undefined>;
  runtimeApi: string;
  handler: string;
  taskRoot: string;
  runtimeDir: string;
  functionName: string;
  memoryMb: number;
  region: string;
  nodeBinary: string;
  /** `22` or `24`: AWS_EXECUTION_ENV=AWS_Lambda_nodejs<major>.x */
  nodeMajor: string;
  logStreamName: string;
}

/** A log stream name as Lambda makes them: `2026/05/04/[$LATEST]<32 hex>`. */
export function lambdaLogStreamName(now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/**
 * The execution role's credentials Lambda hands a function (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN): fake ones that only look like some, exported so that the OTLP receiver standing
 * in for CloudWatch verifies the layer's signatures against the very credentials the function got.
 */
export const lambdaCredentials = {
  accessKeyId: 'ASIAHARNESSLOCAL0000',
  secretAccessKey: 'harness-local-secret-access-key-not-real',
  sessionToken: 'harness-local-session-token-not-real',
};

/**
 * The runtime's environment: Lambda's unreserved defaults (LANG, PATH, NODE_PATH, the X-Ray daemon),
 * then the function's environment as given, then the reserved variables, which a function cannot set.
 * PATH starts with the chosen Node's bin folder, so a wrapper script's `node` is that Node.
 */
export function functionEnvironment(input: FunctionEnvironmentInput): Record<string, string> {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.env)) if (value !== undefined) given[name] = value;
  const nodeBin = dirname(input.nodeBinary);
  const defaults: Record<string, string> = {
    LANG: 'en_US.UTF-8',
    // The bootstrap's NODE_PATH (when the function sets none), /opt paths aside.
    NODE_PATH: `${input.runtimeDir}/node_modules:${input.runtimeDir}:${input.taskRoot}`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    _AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1',
    _AWS_XRAY_DAEMON_PORT: '2000',
  };
  const reserved: Record<string, string> = {
    AWS_LAMBDA_RUNTIME_API: input.runtimeApi,
    _HANDLER: input.handler,
    LAMBDA_TASK_ROOT: input.taskRoot,
    LAMBDA_RUNTIME_DIR: input.runtimeDir,
    AWS_LAMBDA_FUNCTION_NAME: input.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${input.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: input.logStreamName,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${input.nodeMajor}.x`,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    TZ: ':UTC',
    AWS_ACCESS_KEY_ID: lambdaCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lambdaCredentials.secretAccessKey,
    AWS_SESSION_TOKEN: lambdaCredentials.sessionToken,
  };
  return {
    ...defaults,
    ...given,
    ...reserved,
    PATH: `${nodeBin}:${given.PATH ?? '/usr/local/bin:/usr/bin/:/bin:/opt/bin'}`,
  };
}

/** What Lambda keeps from extensions (RAPID's extensionExcludedKeys). */
const notForExtensions = ['AWS_XRAY_CONTEXT_MISSING', '_AWS_XRAY_DAEMON_ADDRESS', '_AWS_XRAY_DAEMON_PORT', '_LAMBDA_TELEMETRY_LOG_FD'];

export function extensionEnvironment(functionEnv: Record<string, string>): Record<string, string> {
  const env = { ...functionEnv };
  for (const name of notForExtensions) delete env[name];
  return env;
}

export type RuntimeCommand = { command: string; args: string[] } | { exitStatus: number; message: string };

/**
 * `exec node …`, or `exec -- "$AWS_LAMBDA_EXEC_WRAPPER" node …` — with the bootstrap's checks: a
 * missing wrapper exits 127 (`<wrapper>: does not exist`), one that is not executable 126.
 */
export function runtimeCommand(env: Record<string, string>, taskRoot: string, nodeBinary: string, args: string[]): RuntimeCommand {
  const wrapper = env.AWS_LAMBDA_EXEC_WRAPPER;
  if (!wrapper) return { command: nodeBinary, args };
  const path = resolve(taskRoot, wrapper);
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    return { exitStatus: 127, message: `${wrapper}: does not exist` };
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { exitStatus: 126, message: `${wrapper}: is not an executable` };
  }
  return { command: path, args: [nodeBinary, ...args] };
}

/** AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances): the runtime client then runs worker threads. */
export function maxConcurrency(env: Record<string, string>): number | undefined {
  if (env.AWS_LAMBDA_MAX_CONCURRENCY === undefined) return undefined;
  const value = Number.parseInt(env.AWS_LAMBDA_MAX_CONCURRENCY, 10);
  return Number.isFinite(value) && value > 0 ? value : 1;
}

/**
 * How many `next` requests a multi-concurrent runtime client has pending once every worker is ready.
 * aws-lambda-ric starts AWS_LAMBDA_NODEJS_WORKER_COUNT workers (default 8 per CPU of the cgroup), each
 * polling `next` through its native client — a blocking call on libuv's threadpool, which all worker
 * threads share: never more than UV_THREADPOOL_SIZE (default 4) polls are pending at once. `env` is
 * the runtime process's own (an exec wrapper may have set either variable: see processEnvironment).
 */
export function expectedPollers(env: Record<string, string>): number {
  const workers = env.AWS_LAMBDA_NODEJS_WORKER_COUNT ? Number.parseInt(env.AWS_LAMBDA_NODEJS_WORKER_COUNT, 10) : 8 * cgroupCpus();
  const pool = env.UV_THREADPOOL_SIZE ? Math.min(1024, Math.max(1, Number.parseInt(env.UV_THREADPOOL_SIZE, 10) || 4)) : 4;
  return Number.isFinite(workers) && workers > 0 ? Math.min(workers, pool) : 1;
}

/**
 * The environment a running process was started with (/proc/<pid>/environ, Linux): after an exec
 * wrapper's `export …; exec node …`, what node really got. Undefined where it cannot be read.
 */
export function processEnvironment(pid: number): Record<string, string> | undefined {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const equals = entry.indexOf('=');
      if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
    return env;
  } catch {
    return undefined;
  }
}

/** The CPU count aws-lambda-ric derives from /sys/fs/cgroup/cpu.max. */
function cgroupCpus(): number {
  try {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota === 'max') return Math.max(1, cpus().length);
    const count = Math.ceil(Number.parseInt(quota ?? '', 10) / Number.parseInt(period ?? '', 10));
    return Number.isFinite(count) && count > 0 ? count : 1;
  } catch {
    return 1;
  }
}
