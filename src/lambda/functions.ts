import { batchOperation, customerOperation, emitOperation, identifyOperation, streamTokenOperation } from './operations.ts';

/**
 * Every function of the package, once. The build (one bundle each), the local stack and its HTTP
 * API, and the deploy checks read this list; adding a function is adding its operation here, its
 * file in `functions/` and its entry in `serverless.yml`.
 */
export const operations = [emitOperation, batchOperation, identifyOperation, streamTokenOperation, customerOperation] as const;

export type FunctionName = (typeof operations)[number]['name'];

export const functionNames: readonly FunctionName[] = operations.map((operation) => operation.name);

export function operationOf(name: FunctionName): (typeof operations)[number] {
  return operations.find((operation) => operation.name === name) as (typeof operations)[number];
}
