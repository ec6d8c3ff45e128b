// The meeting point between the functions and the OpenTelemetry layer. The layer registers these
// hooks on a global when it loads; product code finds them here and never imports the SDK.
// Without the layer, telemetryHooks() is undefined and tracing costs nothing.

export interface TelemetryHooks {
  /**
   * Exports every finished span, giving up after `timeoutMs`: a collector that is down, slow or
   * hanging never holds the invocation past its budget (the spans are then dropped, with one
   * warning per cold start). Never rejects.
   */
  flush(timeoutMs: number): Promise<void>;
  /**
   * An invocation began, due by `deadlineMs` (epoch ms); `flush` ends it. Under Lambda the layer's
   * extension reads its next event only once `flush` is called, and this is its way to still export
   * in time should an invocation never get there.
   */
  started?(deadlineMs: number): void;
}

const key = Symbol.for('perkamo-lambda.telemetry');

export function registerTelemetryHooks(hooks: TelemetryHooks): void {
  (globalThis as Record<symbol, unknown>)[key] = hooks;
}

export function telemetryHooks(): TelemetryHooks | undefined {
  return (globalThis as Record<symbol, unknown>)[key] as TelemetryHooks | undefined;
}
