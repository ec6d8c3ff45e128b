// The stream-token function: composition only. Order matters: CORS answers preflights first and
// decorates every answer; the trigger answers; auth runs before the payload is parsed.
import middy from '@middy/core';
import { auth, commands, cors, deadline, trigger } from '../src/lambda/middleware/index.ts';
import { streamTokenOperation as operation } from '../src/lambda/operations.ts';
import { createRuntime, middyOptions, runInvocation } from '../src/lambda/runtime.ts';

const runtime = createRuntime(operation);

export const handler = middy(middyOptions(runtime))
  .use(cors({ origins: runtime.config.corsOrigins }))
  .use(trigger({ operation }))
  .use(deadline({ reserveMs: runtime.config.reserveMs }))
  .use(auth({ config: runtime.auth, scope: operation.scope }))
  .use(commands({ operation }))
  .handler(runInvocation(runtime));
