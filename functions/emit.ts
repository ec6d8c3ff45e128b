// The emit function: composition only — its module in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { emitFunction } from '../src/lambda/functions/emit.ts';

export const handler = createHandler(emitFunction);
