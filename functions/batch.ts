// The batch function: composition only — its module in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { batchFunction } from '../src/lambda/functions/batch.ts';

export const handler = createHandler(batchFunction);
