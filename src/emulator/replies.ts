// Every answer of the emulator goes out through send(); every error, whatever threw it, through
// errorReply(), so all routes share one error body: { message, code, field?, reason? }.
import type { ServerResponse } from 'node:http';
import { PerkamoValidationError } from '../core/index.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly reason?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };

export function validationError(error: PerkamoValidationError): ApiError {
  return new ApiError(400, 'validation_failed', error.message, error.field, error.reason);
}

export function itemError(error: PerkamoValidationError, index: number): ApiError {
  return validationError(error.within(`events[${index}]`));
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const json = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...jsonHeaders, ...reply.headers, 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

export function errorReply(error: unknown): Reply {
  if (error instanceof PerkamoValidationError) error = validationError(error);
  if (error instanceof ApiError) {
    const body: Record<string, unknown> = { message: error.message, code: error.code };
    if (error.field !== undefined) body.field = error.field;
    if (error.reason !== undefined) body.reason = error.reason;
    return { status: error.status, body, headers: error.headers };
  }
  return { status: 500, body: { message: `emulator error: ${(error as Error)?.message ?? String(error)}`, code: 'internal_error' } };
}
