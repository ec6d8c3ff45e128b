/**
 * A loopback Lambda: the real Node runtime client (aws-lambda-ric) driven through Lambda's Runtime
 * and Extensions APIs on 127.0.0.1, started as Lambda's bootstrap starts it, frozen between
 * invocations, with Lambda's default X-Ray header — test and benchmark infrastructure, never shipped.
 *
 *   const env = await startFunction({ node: await lambdaNode(24), taskRoot: 'dist/functions/emit', env });
 *   const result = await env.invoke(event);   // { ok, payload | error, initDurationMs, responseMs, … }
 *   await env.shutdown();
 */
export { startFunction } from './environment.ts';
export { nodeMajorOf, packageFunctions, type DeployedFunction, type PackageOptions } from './deployed.ts';
export {
  startOtlpReceiver,
  xrayOtlpLimits,
  type OtlpDenial,
  type OtlpReceiver,
  type OtlpReceiverOptions,
  type OtlpRequest,
  type ReceivedSpan,
} from './otlp-receiver.ts';
export { verifySigV4, type SigV4Credentials, type SigV4Expectation, type SigV4Refusal, type SigV4Request, type SigV4Verdict } from './sigv4-verify.ts';
export { startSecretsManager, type SecretsManagerStandIn } from './secrets-manager.ts';
export { lambdaNode, lambdaNodeMajors, lambdaNodePackages, missingLambdaNode, nodeVersion, type LambdaNodeMajor } from './node-binaries.ts';
export { lambdaTraceHeader, lambdaTraceHeaderPattern } from './trace-header.ts';
export { lambdaCredentials, lambdaNodeArguments, runtimeClientPath } from './bootstrap.ts';
export { maxInvokePayloadBytes, maxResponsePayloadBytes, maxStreamingResponseBytes } from './runtime-api.ts';
export { harnessAccountId, harnessRegion, sqsQueueArn, sqsRecord, type SqsRecord, type SqsRecordInit } from './aws-events.ts';
export type {
  EnvironmentState,
  InitResult,
  InvokeOptions,
  InvokeResult,
  LambdaEnvironment,
  LambdaError,
  LogSource,
  StartFunctionOptions,
} from './types.ts';
