import { PerkamoError, PerkamoValidationError, isTimeoutError } from '../core/index.ts';
import { keepClassNames } from '../core/errors.ts';
import { boundText, echoableStrings, maxUpstreamMessageLength, redact, upstreamCode } from '../core/text.ts';
import {
  PerkamoApiError,
  PerkamoConfigurationError,
  PerkamoNetworkError,
  PerkamoRedirectError,
  PerkamoResponseError,
} from '../sdk/index.ts';

/**
 * An error with its HTTP answer. Everything an HTTP caller sees goes through `toHttpError`, so the
 * body shape `{ error: { code, message, field?, request_id? } }` and the status mapping live here.
 */
export class HttpError extends PerkamoError {
  override readonly name: string = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  /** The Perkamo request id behind the failure, when Perkamo answered. */
  readonly requestId: string | undefined;
  readonly headers: Record<string, string>;
  /** Extra top-level fields of the answer body, beside `error` (a batch's per-item `results`). */
  readonly details: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: {
      field?: string;
      requestId?: string;
      headers?: Record<string, string>;
      details?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.status = status;
    this.code = code;
    this.field = extra.field;
    this.requestId = extra.requestId;
    this.headers = extra.headers ?? {};
    this.details = extra.details ?? {};
  }

  toBody(): { error: { code: string; message: string; field?: string; request_id?: string }; [key: string]: unknown } {
    return {
      ...this.details,
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined && { field: this.field }),
        ...(this.requestId !== undefined && { request_id: this.requestId }),
      },
    };
  }
}

/**
 * Some events of a batch failed (the others were applied). Resend the whole batch with the same
 * transaction ids: the applied ones come back as duplicates. `details.results` holds each event's
 * result or error, in order.
 */
export class BatchItemsFailedError extends HttpError {
  override readonly name = 'BatchItemsFailedError';
}

/** 401: no credentials, or credentials that do not verify. */
export class AuthenticationError extends HttpError {
  override readonly name = 'AuthenticationError';
  constructor(message: string, cause?: unknown) {
    super(401, 'unauthorized', message, { headers: { 'www-authenticate': 'Bearer' }, cause });
  }
}

/** 403: a valid caller without the right to do this. */
export class ForbiddenError extends HttpError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** Perkamo refused one event of a batch (the batch itself succeeded). */
export class PerkamoItemRejectedError extends PerkamoError {
  override readonly name = 'PerkamoItemRejectedError';
  readonly code: string | undefined;
  /** `error` is Perkamo's per-item error; its text is bounded and the event's own values taken out of it. */
  constructor(error: { code?: unknown; message?: unknown }, event: unknown) {
    const message = typeof error.message === 'string' ? boundText(redact(error.message, echoableStrings(event)), maxUpstreamMessageLength) : '';
    super(`Perkamo refused the event${message ? `: ${message}` : ''}`);
    this.code = upstreamCode(error.code);
  }
}

/** A FIFO record not sent because an earlier record of its message group failed. */
export class GroupBlockedError extends PerkamoError {
  override readonly name = 'GroupBlockedError';
}

/** The invocation's budget ran out before the work was done. */
export class BudgetExhaustedError extends PerkamoError {
  override readonly name = 'BudgetExhaustedError';
  override get timeout(): boolean {
    return true;
  }
}

/** Maps any error to the answer an HTTP caller gets. Internals of unknown errors never leak. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof PerkamoValidationError) {
    return new HttpError(400, 'validation_failed', error.message, { field: error.field || undefined });
  }
  if (error instanceof PerkamoApiError) return fromPerkamoStatus(error);
  if (error instanceof PerkamoItemRejectedError) {
    return new HttpError(error.code === 'transaction_id_conflict' ? 409 : 422, error.code ?? 'perkamo_rejected', error.message);
  }
  if (isTimeoutError(error)) {
    return new HttpError(504, 'deadline_exceeded', 'Perkamo did not answer within this invocation\'s time budget; retry with the same transaction id or Idempotency-Key');
  }
  if (error instanceof PerkamoRedirectError) {
    // The operator's to fix (PERKAMO_BASE_URL); the caller may retry later with the same id.
    return new HttpError(502, 'perkamo_redirected', 'Perkamo answered with a redirect, which is not followed; retry later with the same transaction id or Idempotency-Key', {
      requestId: error.requestId,
    });
  }
  if (error instanceof PerkamoNetworkError || error instanceof PerkamoResponseError) {
    return new HttpError(502, 'perkamo_unavailable', 'Perkamo could not be reached or answered unexpectedly; retry with the same transaction id or Idempotency-Key', {
      requestId: (error as { requestId?: string }).requestId,
    });
  }
  if (error instanceof PerkamoConfigurationError) {
    return new HttpError(500, 'misconfigured', 'the function is misconfigured; see its logs');
  }
  return new HttpError(500, 'internal_error', 'internal error; see the function logs');
}

function fromPerkamoStatus(error: PerkamoApiError): HttpError {
  const requestId = error.requestId;
  if (error.status === 429) {
    const retryAfter = String(error.retryAfter ?? 1);
    return new HttpError(429, 'rate_limited', `Perkamo is rate limiting; retry after ${retryAfter} s`, {
      requestId,
      headers: { 'retry-after': retryAfter },
    });
  }
  if (error.status >= 500) {
    return new HttpError(502, 'perkamo_unavailable', `Perkamo answered ${error.status}; retry with the same transaction id or Idempotency-Key`, { requestId });
  }
  if (error.status === 401 || error.status === 403) {
    // Our server key was refused: the caller cannot fix that, the operator can.
    return new HttpError(502, 'perkamo_rejected_key', 'Perkamo refused this function\'s server key; check PERKAMO_SECRET_KEY', { requestId });
  }
  const field = (error.body as { field?: unknown } | undefined)?.field;
  const status = error.status === 404 || error.status === 409 ? error.status : 422;
  // The message is already bounded and redacted by the client; the field is repeated only when it looks like one.
  return new HttpError(status, error.code ?? 'perkamo_rejected', error.message, {
    requestId,
    field: typeof field === 'string' && /^[\w.[\]-]{1,128}$/.test(field) ? field : undefined,
  });
}

keepClassNames({ HttpError, BatchItemsFailedError, AuthenticationError, ForbiddenError, PerkamoItemRejectedError, GroupBlockedError, BudgetExhaustedError });
