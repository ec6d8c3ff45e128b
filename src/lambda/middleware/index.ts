export { auth } from './auth.ts';
export { cleanupMiddlewares, cleanupKeys, respondEarly } from './cleanup.ts';
export { commands } from './commands.ts';
export { cors } from './cors.ts';
export { deadline } from './deadline.ts';
export { logging } from './logging.ts';
export { metrics } from './metrics.ts';
export { tracing } from './tracing.ts';
export { trigger, detectTrigger } from './trigger.ts';
