// The X-Ray header Lambda hands the current invocation. Read by the layer's `xray-lambda`
// propagator (an opt-in parent) and by the functions' logs (`xray_trace_id`, for joining a log
// line to X-Ray when active tracing is on).

/** What the runtime client (`aws-lambda-ric` 4.x, `@aws/lambda-invoke-store`) puts on `globalThis.awslambda`. */
interface LambdaGlobal {
  awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } };
}

/**
 * The current invocation's X-Ray header: from the runtime's invoke store first (per invocation,
 * also when invocations run concurrently in one process), else `_X_AMZN_TRACE_ID` (set per
 * invocation by runtimes that handle one at a time). Undefined outside Lambda.
 */
export function lambdaTraceHeader(): string | undefined {
  const fromStore = (globalThis as LambdaGlobal).awslambda?.InvokeStore?.getXRayTraceId?.();
  if (typeof fromStore === 'string' && fromStore !== '') return fromStore;
  return process.env._X_AMZN_TRACE_ID || undefined;
}

/** The `Root=` of an X-Ray header (`1-5f84c7a1-…`), the id X-Ray and Powertools show; undefined when there is none. */
export function xrayTraceId(header: string | undefined): string | undefined {
  return header ? /(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)/.exec(header)?.[1] : undefined;
}
