// The `xray-lambda` propagator (OTEL_PROPAGATORS): X-Ray's header from the carrier, as `xray` reads
// it, and when neither the carrier nor an earlier propagator gave a span context, the X-Ray header
// Lambda hands the invocation. The OpenTelemetry FaaS conventions make that header an opt-in
// parent: Lambda sends it with Sampled=0 whenever active tracing is off, and a parent-based sampler
// honouring that drops every trace.
//
// Why not @opentelemetry/propagator-aws-xray-lambda: it is the same wrapper around the
// AWSXRayPropagator we already ship, but it reads only `_X_AMZN_TRACE_ID`, which the Node runtime
// client does not set when several invocations share a process (AWS_LAMBDA_MAX_CONCURRENCY); and
// it falls back to that header when the carrier held an X-Ray header of its own.
import {
  defaultTextMapGetter,
  isSpanContextValid,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { AWSXRAY_TRACE_ID_HEADER, AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { lambdaTraceHeader } from '../../src/telemetry/lambda-trace-header.ts';

export class XRayLambdaPropagator implements TextMapPropagator {
  private readonly xray = new AWSXRayPropagator();

  /** `traceHeader`: where the invocation's header comes from (tests replace it). */
  constructor(private readonly traceHeader: () => string | undefined = lambdaTraceHeader) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.xray.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const extracted = this.xray.extract(context, carrier, getter);
    const spanContext = trace.getSpanContext(extracted);
    if (spanContext && isSpanContextValid(spanContext)) return extracted;
    const header = this.traceHeader();
    if (!header) return extracted;
    return this.xray.extract(extracted, { [AWSXRAY_TRACE_ID_HEADER]: header }, defaultTextMapGetter);
  }

  fields(): string[] {
    return this.xray.fields();
  }
}
