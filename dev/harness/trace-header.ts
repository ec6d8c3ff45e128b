/**
 * Lambda's X-Ray header. Without active tracing Lambda still gives every invocation a trace header
 * (`Lambda-Runtime-Trace-Id`, `_X_AMZN_TRACE_ID`), with a fresh root and `Sampled=0`.
 */
import { randomBytes } from 'node:crypto';

/** `Root=1-<8 hex epoch seconds>-<24 hex random>;Parent=<16 hex>;Sampled=0`, as Lambda makes it. */
export function lambdaTraceHeader(now: number = Date.now()): string {
  const epochSeconds = Math.floor(now / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epochSeconds}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

/** Lambda's default header, as `lambdaTraceHeader` makes it (any `Sampled` flag). */
export const lambdaTraceHeaderPattern = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/;
