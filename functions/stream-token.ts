// The stream-token function: composition only. Order matters: the trigger answers last, auth runs
// before the payload is parsed, and the handler runs every command within the deadline.
import middy from '@middy/core';
import { auth, commands, deadline, trigger } from '../src/lambda/middleware/index.ts';
import { streamTokenOperation as operation } from '../src/lambda/operations.ts';
import { createRuntime, middyOptions, runInvocation } from '../src/lambda/runtime.ts';

const runtime = createRuntime(operation);

export const handler = middy(middyOptions(runtime))
  .use(trigger({ operation }))
  .use(deadline({ reserveMs: runtime.config.reserveMs }))
  .use(auth({ config: runtime.auth, scope: operation.scope }))
  .use(commands({ operation }))
  .handler(runInvocation(runtime));
