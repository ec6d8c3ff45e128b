/**
 * A function's configuration as the environment runs it: `startFunction`'s options with Lambda's
 * defaults (128 MB, 3 s timeout, 10 s init, `index.handler`, …) filled in.
 */
import { harnessAccountId, harnessRegion } from './aws-events.ts';
import { basename, resolve } from 'node:path';
import { maxConcurrency, runtimeClientPath } from './bootstrap.ts';
import type { StartFunctionOptions } from './types.ts';

export interface FunctionConfig {
  readonly options: StartFunctionOptions;
  /** `22` or `24`. */
  readonly nodeMajor: string;
  readonly taskRoot: string;
  readonly handler: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly initTimeoutMs: number;
  readonly region: string;
  readonly accountId: string;
  readonly runtimeClient: string;
  readonly extensionPaths: string[];
  /** AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances); undefined: one invocation at a time. */
  readonly maxConcurrency: number | undefined;
}

export function functionConfig(options: StartFunctionOptions, nodeMajor: string): FunctionConfig {
  const taskRoot = resolve(options.taskRoot);
  return {
    options,
    nodeMajor,
    taskRoot,
    handler: options.handler ?? 'index.handler',
    functionName: options.functionName ?? basename(taskRoot),
    memoryMb: options.memoryMb ?? 128,
    timeoutMs: (options.timeoutSeconds ?? 3) * 1000,
    initTimeoutMs: (options.initTimeoutSeconds ?? 10) * 1000,
    region: options.region ?? harnessRegion,
    accountId: options.accountId ?? harnessAccountId,
    runtimeClient: options.runtimeClient ?? runtimeClientPath(),
    extensionPaths: (options.extensions ?? []).map((path) => resolve(path)),
    maxConcurrency: maxConcurrency(configuredEnv(options)),
  };
}

/** The function's environment as configured now (each init reads it afresh), without undefined values. */
export function configuredEnv(options: StartFunctionOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
  return env;
}
