import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { attr } from './attributes.ts';
import { tracer } from './tracer.ts';

/** Reads the request id behind a result or an error (the client exposes both). */
export type RequestIdOf = (resultOrError: unknown) => string | undefined;

/**
 * Runs `fn` inside an INTERNAL span `perkamo <operation>` (active, so the HTTP attempts below it
 * are its children) and records the outcome: applied / duplicate for an ingest, the Perkamo
 * request id on success and failure.
 */
export async function withOperationSpan<T>(
  operation: string,
  attributes: Attributes,
  requestIdOf: RequestIdOf,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    `perkamo ${operation}`,
    { kind: SpanKind.INTERNAL, attributes: { [attr.perkamoOperation]: operation, ...attributes } },
    async (span: Span) => {
      try {
        const result = await fn();
        const ingest = result as { applied?: unknown; duplicate?: unknown } | undefined;
        if (typeof ingest?.applied === 'boolean') span.setAttribute(attr.perkamoApplied, ingest.applied);
        if (typeof ingest?.duplicate === 'boolean') span.setAttribute(attr.perkamoDuplicate, ingest.duplicate);
        const requestId = requestIdOf(result);
        if (requestId) span.setAttribute(attr.perkamoRequestId, requestId);
        return result;
      } catch (error) {
        const requestId = requestIdOf(error);
        if (requestId) span.setAttribute(attr.perkamoRequestId, requestId);
        span.setAttribute(attr.errorType, (error as Error)?.name ?? 'Error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
