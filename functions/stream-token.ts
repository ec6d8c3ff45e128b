// The stream-token function: composition only — its module in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { streamTokenFunction } from '../src/lambda/functions/stream-token.ts';

export const handler = createHandler(streamTokenFunction);
