import { type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
/**
 * The current invocation's X-Ray header: from the runtime's invoke store first (per invocation,
 * also when invocations run concurrently in one process), else `_X_AMZN_TRACE_ID` (set per
 * invocation by runtimes that handle one at a time). Undefined outside Lambda.
 */
export declare function lambdaTraceHeader(): string | undefined;
export declare class XRayLambdaPropagator implements TextMapPropagator {
    private readonly traceHeader;
    private readonly xray;
    /** `traceHeader`: where the invocation's header comes from (tests replace it). */
    constructor(traceHeader?: () => string | undefined);
    inject(context: Context, carrier: unknown, setter: TextMapSetter): void;
    extract(context: Context, carrier: unknown, getter: TextMapGetter): Context;
    fields(): string[];
}
