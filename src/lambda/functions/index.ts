import { batchFunction } from './batch.ts';
import { customerFunction } from './customer.ts';
import { emitFunction } from './emit.ts';
import { identifyFunction } from './identify.ts';
import { programFunction } from './program.ts';
import { streamTokenFunction } from './stream-token.ts';

/**
 * Every function of the package, once. The build (one bundle each), the local stack and its HTTP
 * API, and the deploy read this list; adding a function is adding its module here and its one-line
 * `functions/<name>.ts`.
 */
export const functions = [emitFunction, batchFunction, identifyFunction, streamTokenFunction, customerFunction, programFunction] as const;

export type FunctionName = (typeof functions)[number]['name'];

export const functionNames: readonly FunctionName[] = functions.map((fn) => fn.name);

export function functionOf(name: FunctionName): (typeof functions)[number] {
  return functions.find((fn) => fn.name === name) as (typeof functions)[number];
}

export { batchFunction, customerFunction, emitFunction, identifyFunction, programFunction, streamTokenFunction };
