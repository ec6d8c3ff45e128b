// The emit function: composition only. Order matters: tracing wraps everything, the trigger
// answers, auth runs before the payload is parsed, the handler runs within the deadline.
import middy from '@middy/core';
import { auth, commands, deadline, tracing, trigger } from '../src/lambda/middleware/index.ts';
import { emitOperation as operation } from '../src/lambda/operations.ts';
import { createRuntime, middyOptions, runInvocation } from '../src/lambda/runtime.ts';

const runtime = createRuntime(operation);

export const handler = middy(middyOptions(runtime))
  .use(tracing({ operation }))
  .use(trigger({ operation }))
  .use(deadline({ reserveMs: runtime.config.reserveMs }))
  .use(auth({ config: runtime.auth, scope: operation.scope }))
  .use(commands({ operation }))
  .handler(runInvocation(runtime));
