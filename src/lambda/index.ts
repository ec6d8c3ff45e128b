// perkamo-lambda/lambda: the pieces the functions are composed of, for teams that compose
// their own (another route, another middleware order, an extra middleware of theirs).
export * from './middleware/index.ts';
export { defineFunction, recordParser, type HttpMethod, type PerkamoFunction } from './function.ts';
// Every function of the list (functions, functionNames, functionOf, emitFunction …), whatever it holds.
export * from './functions/index.ts';
export { createHandler } from './function-handler.ts';
export { Budget } from './budget.ts';
export { sources, sourceOf, type Source, type SourceScope } from './sources/index.ts';
export { createRuntime, loadFunctionConfig, middyOptions, runInvocation, type Runtime } from './runtime.ts';
export { runCommands, type RunOptions } from './runner.ts';
export { LambdaConfigurationError, loadConfig, type AuthConfig, type ConfigNeeds, type LambdaConfig, type SecretSource } from './config/index.ts';
export { InvocationReport, outcomeKind, type InvocationOutcome, type OutcomeKind, type PerkamoCall, type Tally } from './report.ts';
export { emfLine, type MetricDimensions } from './emf.ts';
export { createApiKeySupplier } from './secrets.ts';
export {
  AuthenticationError,
  BatchItemsFailedError,
  BudgetExhaustedError,
  ForbiddenError,
  GroupBlockedError,
  HttpError,
  PerkamoItemRejectedError,
  toHttpError,
} from './errors.ts';
export { createLogger, type Logger, type LogLevel } from './logger.ts';
export type { CallContext, Command, Invocation, Item, Origin, Outcome } from './invocation.ts';
export type { CleanupFunction, HttpRequest, PerkamoHandler, PerkamoInternal, PerkamoMiddleware, PerkamoRequest, Principal, Trigger } from './request.ts';
