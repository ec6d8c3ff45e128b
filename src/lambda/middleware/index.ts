export { auth } from './auth.ts';
export { commands } from './commands.ts';
export { deadline } from './deadline.ts';
export { trigger, detectTrigger } from './trigger.ts';
