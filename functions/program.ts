// The program function: composition only — its module in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { programFunction } from '../src/lambda/functions/program.ts';

export const handler = createHandler(programFunction);
