// The stream-token function: composition only — its operation in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { streamTokenOperation } from '../src/lambda/operations.ts';

export const handler = createHandler(streamTokenOperation);
