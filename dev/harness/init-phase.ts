/**
 * Lambda's init phase for one generation: external extensions start and register, then the runtime
 * starts (Lambda's bootstrap: bootstrap.ts); init ends when the runtime and every registered
 * extension wait on `next` — with AWS_LAMBDA_MAX_CONCURRENCY, when the runtime client's worker
 * threads have their `next` requests pending.
 */
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  expectedPollers,
  extensionEnvironment,
  functionEnvironment,
  lambdaLogStreamName,
  lambdaNodeArguments,
  processEnvironment,
  runtimeCommand,
} from './bootstrap.ts';
import type { Changes } from './changes.ts';
import { configuredEnv, type FunctionConfig } from './function-config.ts';
import type { Generation } from './generation.ts';
import { spawnGroup } from './process-group.ts';
import type { RuntimeApi } from './runtime-api.ts';
import type { InitResult, LambdaError, LogSource } from './types.ts';

export interface InitPhase {
  config: FunctionConfig;
  api: RuntimeApi;
  changes: Changes;
  /** The generation to start: its processes, and the errors reported while it starts. */
  generation: Generation;
  log(line: string, source: LogSource): void;
  /** One of the generation's processes exited. */
  exited(generation: Generation): void;
}

const shutDownError: LambdaError = { errorType: 'Runtime.ExitError', errorMessage: 'The environment was shut down during init' };

/** Starts the generation's processes; its error, if any, is why the init failed (the processes still run). */
export async function runInitPhase({ config, api, changes, generation, log, exited }: InitPhase): Promise<InitResult> {
  const started = performance.now();
  const deadline = started + config.initTimeoutMs;
  const env = functionEnvironment({
    env: configuredEnv(config.options),
    runtimeApi: api.address,
    handler: config.handler,
    taskRoot: config.taskRoot,
    runtimeDir: resolve(config.runtimeClient, '..'),
    functionName: config.functionName,
    memoryMb: config.memoryMb,
    region: config.region,
    nodeBinary: config.options.node,
    nodeMajor: config.nodeMajor,
    logStreamName: lambdaLogStreamName(),
  });
  api.reset();
  api.extensions.externalNames = new Set(config.extensionPaths.map((path) => basename(path)));
  api.extensions.registrationOpen = true;
  api.initPhase = true;
  const stopped = () => generation.initError ?? generation.failure ?? (generation.terminating ? shutDownError : undefined);
  const timeout: LambdaError = {
    errorType: 'Sandbox.Timedout',
    errorMessage: `Init phase timed out after ${(config.initTimeoutMs / 1000).toFixed(2)} seconds`,
  };

  // External extensions first: Lambda starts the runtime once every one has registered.
  let error: LambdaError | undefined;
  for (const path of config.extensionPaths) {
    const name = basename(path);
    generation.extensions.push(
      spawnGroup(path, [], {
        name,
        cwd: config.taskRoot,
        env: extensionEnvironment(env),
        onLine: (line, stream) => log(line, { process: name, stream }),
        onExit: (status) => {
          generation.extensionExited(name, status);
          exited(generation);
        },
      }),
    );
  }
  if (config.extensionPaths.length > 0) {
    const names = [...api.extensions.externalNames];
    const registered = () => names.every((name) => api.extensions.registered().some((extension) => extension.name === name && extension.external));
    const outcome = await changes.until<LambdaError | 'registered'>(() => stopped() ?? (registered() ? 'registered' : undefined), deadline - performance.now());
    error = outcome === 'registered' ? undefined : (outcome ?? timeout);
  }

  if (!error) {
    const command = runtimeCommand(env, config.taskRoot, config.options.node, lambdaNodeArguments(config.memoryMb, env.NODE_OPTIONS, config.runtimeClient));
    if ('exitStatus' in command) {
      log(command.message, { process: 'runtime', stream: 'stdout' });
      error = { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${command.exitStatus}` };
    } else {
      generation.runtime = spawnGroup(command.command, command.args, {
        name: 'runtime',
        cwd: config.taskRoot,
        env,
        onLine: (line, stream) => log(line, { process: 'runtime', stream }),
        onExit: (status) => {
          generation.runtimeExited(status);
          exited(generation);
        },
      });
      // One `next` (one at a time), or as many as the worker threads can have pending (worked out once
      // the first arrives: node has been exec'd by then, the wrapper's variables are in its environment).
      const runtime = generation.runtime;
      let pollers = config.maxConcurrency !== undefined ? undefined : 1;
      const ready = () => {
        if (api.runtimeWaiting === 0) return false;
        pollers ??= expectedPollers({ ...env, ...(runtime.pid ? processEnvironment(runtime.pid) : undefined) });
        return api.runtimeWaiting >= pollers && api.extensions.allWaiting();
      };
      const outcome = await changes.until<LambdaError | 'ready'>(() => stopped() ?? (ready() ? 'ready' : undefined), deadline - performance.now());
      error = outcome === 'ready' ? undefined : (outcome ?? timeout);
    }
  }

  const durationMs = performance.now() - started;
  api.extensions.registrationOpen = false;
  api.initPhase = false;
  return error ? { durationMs, error } : { durationMs };
}
