// The identify function: composition only — its module in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { identifyFunction } from '../src/lambda/functions/identify.ts';

export const handler = createHandler(identifyFunction);
