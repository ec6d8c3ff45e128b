import { PerkamoConfigurationError } from '../sdk/index.ts';
import type { Logger } from './logger.ts';

/**
 * A function that cannot start says why once, in the functions' log format, and leaves Lambda a
 * clean init error. Lambda's runtime client logs the init error, posts it, then throws it again,
 * and Node prints it a last time — with the minified bundle's frames and its own preamble. So a
 * configuration error keeps only `name: message` as its stack, and under the runtime client
 * (AWS_LAMBDA_RUNTIME_API) the process exits quietly once that error comes back uncaught: Lambda
 * already has it. Returns the error to throw.
 */
export function reportInitError(error: unknown, logger: Logger, env: Record<string, string | undefined> = process.env): unknown {
  if (!(error instanceof PerkamoConfigurationError)) return error;
  logger.fatal(error.message, { error: error.name });
  error.stack = `${error.name}: ${error.message}`;
  if (env.AWS_LAMBDA_RUNTIME_API) {
    process.on('uncaughtException', (uncaught) => {
      if (uncaught !== error) process.stderr.write(`${(uncaught as Error | undefined)?.stack ?? String(uncaught)}\n`);
      process.exit(1);
    });
  }
  return error;
}
