/**
 * Loads the built function bundles (dist/functions/<name>/index.mjs) in this process as Lambda
 * would — environment set before the module's cold start — and invokes them with a Lambda context
 * whose remaining time really counts down.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { lambdaContext as awsLambdaContext } from '../harness/aws-events.ts';
import { devFunctionTimeoutMs, sqsAccountId, sqsRegion } from './dev-config.ts';

import { functionNames, type FunctionName } from '../../src/lambda/functions/index.ts';

export { functionNames, type FunctionName };

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The repository root: the nearest directory above this module with perkamo-lambda's package.json. */
export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'esbuild.config.mjs'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the perkamo-lambda project root above ${from}`);
    dir = parent;
  }
}

export const deployedName = (name: FunctionName) => `perkamo-lambda-local-${name}`;

/** A Lambda context whose getRemainingTimeInMillis() counts down from `timeoutMs`. */
export function lambdaContext(name: FunctionName, timeoutMs: number = devFunctionTimeoutMs): Context {
  return awsLambdaContext({ functionName: deployedName(name), timeoutMs, region: sqsRegion, accountId: sqsAccountId, callbackWaitsForEmptyEventLoop: false });
}

export class InvocationTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'InvocationTimeoutError';
  }
}

let generation = 0;

export interface LoadedFunctions {
  invoke(name: FunctionName, event: unknown, timeoutMs?: number): Promise<unknown>;
  handlers: Record<FunctionName, Handler>;
}

/**
 * Imports every bundle with `env` in process.env during its cold start. Each call gives fresh module
 * instances (a query string defeats the module cache), so two stacks in one process do not share
 * configuration. The variables stay set: the functions read a few lazily, as they would on Lambda.
 */
export async function loadFunctions(env: Record<string, string>, root: string = projectRoot()): Promise<LoadedFunctions> {
  const missing = functionNames.filter((name) => !existsSync(join(root, 'dist/functions', name, 'index.mjs')));
  if (missing.length > 0) {
    throw new Error(`dist/functions/{${missing.join(',')}}/index.mjs not found: run \`npm run build\` first (npm start does)`);
  }
  Object.assign(process.env, env);
  const tag = ++generation;
  const handlers = {} as Record<FunctionName, Handler>;
  for (const name of functionNames) {
    const url = `${pathToFileURL(join(root, 'dist/functions', name, 'index.mjs')).href}?local=${tag}`;
    const mod = (await import(/* @vite-ignore */ url)) as { handler?: Handler };
    if (typeof mod.handler !== 'function') throw new Error(`dist/functions/${name}/index.mjs exports no handler`);
    handlers[name] = mod.handler;
  }
  return {
    handlers,
    /** Lambda answers a handler still running at its timeout with an error; so does this. */
    invoke(name, event, timeoutMs = devFunctionTimeoutMs) {
      const handler = handlers[name];
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new InvocationTimeoutError(timeoutMs)), timeoutMs);
      });
      return Promise.race([handler(event, lambdaContext(name, timeoutMs)), timeout]).finally(() => clearTimeout(timer));
    },
  };
}
