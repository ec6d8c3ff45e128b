// The batch function: composition only — its operation in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { batchOperation } from '../src/lambda/operations.ts';

export const handler = createHandler(batchOperation);
