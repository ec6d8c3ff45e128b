// The customer function: composition only — its module in the shared middleware order (createHandler).
import { createHandler } from '../src/lambda/function-handler.ts';
import { customerFunction } from '../src/lambda/functions/customer.ts';

export const handler = createHandler(customerFunction);
