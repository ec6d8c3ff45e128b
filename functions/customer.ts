// The customer function: composition only — its operation in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { customerOperation } from '../src/lambda/operations.ts';

export const handler = createHandler(customerOperation);
