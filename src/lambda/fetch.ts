import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { isTimeoutError } from '../core/index.ts';
import type { PerkamoFetch, PerkamoRequestInit } from '../sdk/index.ts';
import { attr } from '../telemetry/attributes.ts';
import { injectInto } from '../telemetry/propagation.ts';
import { tracer } from '../telemetry/tracer.ts';

/**
 * The fetch the functions give the Perkamo client: one CLIENT span per HTTP attempt (its resend
 * count, status, Perkamo request id and error type), and `traceparent` on the request. Timeouts
 * are the client's: each attempt's is cut to the invocation's deadline. Headers are never recorded.
 */
export function createTracedFetch(base: PerkamoFetch = (url, init) => globalThis.fetch(url, init)): PerkamoFetch {
  return async (url: string, init: PerkamoRequestInit) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const target = new URL(url);
    const attributes: Record<string, string | number> = {
      [attr.httpRequestMethod]: method,
      // A user id in the path (GET /v1/customer/<id>) is not recorded: the operation span carries it per PERKAMO_TRACE_USER_IDS.
      [attr.urlFull]: `${target.origin}${target.pathname.replace(userIdSegment, '$1/{user_id}')}`,
      [attr.serverAddress]: target.hostname,
    };
    if (target.port) attributes[attr.serverPort] = Number(target.port);
    const attempt = init.perkamo?.attempt ?? 0;
    if (attempt > 0) attributes[attr.httpResendCount] = attempt;

    return tracer.startActiveSpan(method, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const headers = { ...(init.headers as Record<string, string>) };
      injectInto(headers);
      try {
        const response = await base(url, { ...init, headers });
        span.setAttribute(attr.httpResponseStatusCode, response.status);
        const requestId = response.headers.get('x-perkamo-request-id') ?? response.headers.get('x-request-id');
        if (requestId) span.setAttribute(attr.perkamoRequestId, requestId);
        // A redirect is a failure too: the transport never follows one.
        if (response.status >= 300) {
          span.setAttribute(attr.errorType, String(response.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return response;
      } catch (error) {
        const name = (error as Error)?.name;
        // One rule for a timeout (core's isTimeoutError): the transport aborts an attempt with its timeout error as the reason.
        span.setAttribute(attr.errorType, isTimeoutError(error) ? 'timeout' : networkCode(error) ?? name ?? 'Error');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  };
}

const userIdSegment = /^(\/v1\/(?:client\/)?(?:customer|profile))\/[^/]+/;

function networkCode(error: unknown): string | undefined {
  const code = ((error as { cause?: { code?: unknown } })?.cause ?? {}).code;
  return typeof code === 'string' ? code : undefined;
}
