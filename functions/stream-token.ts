// The stream-token function: composition only. Order matters: tracing wraps everything; CORS
// answers preflights and decorates every answer; auth runs before the payload is parsed.
import middy from '@middy/core';
import { auth, commands, cors, deadline, tracing, trigger } from '../src/lambda/middleware/index.ts';
import { streamTokenOperation as operation } from '../src/lambda/operations.ts';
import { createRuntime, middyOptions, runInvocation } from '../src/lambda/runtime.ts';

const runtime = createRuntime(operation);

export const handler = middy(middyOptions(runtime))
  .use(tracing({ operation }))
  .use(cors({ origins: runtime.config.corsOrigins }))
  .use(trigger({ operation }))
  .use(deadline({ reserveMs: runtime.config.reserveMs }))
  .use(auth({ config: runtime.auth, scope: operation.scope }))
  .use(commands({ operation }))
  .handler(runInvocation(runtime));
