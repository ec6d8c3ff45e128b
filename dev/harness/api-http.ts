/**
 * What the Runtime API and the Extensions API share on the wire: RAPID's JSON answers, request
 * headers, the long polls' liveness, and the error bodies the runtime and extensions post.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LambdaError } from './types.ts';

/** Registration, error reports: small JSON documents. */
export const maxControlBodyBytes = 1024 * 1024;

export function isOpen(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded && !res.socket?.destroyed;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function drain(req: IncomingMessage): void {
  req.resume();
}

/** An error body (`{errorType, errorMessage, trace | stackTrace}`), whatever the runtime sent. */
export function parseError(body: Buffer, headerType: string | undefined): LambdaError {
  let parsed: { errorType?: unknown; errorMessage?: unknown; trace?: unknown; stackTrace?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value && typeof value === 'object') parsed = value as typeof parsed;
  } catch {
    parsed = { errorMessage: body.toString('utf8') };
  }
  const error: LambdaError = {
    // The caller sees the body; the header is only Lambda's classification (aws-lambda-ric's native
    // client does not even send it for invocation errors).
    errorType: typeof parsed.errorType === 'string' ? parsed.errorType : (headerType ?? 'Runtime.Unknown'),
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '',
  };
  const stack = Array.isArray(parsed.stackTrace) ? parsed.stackTrace : parsed.trace;
  if (Array.isArray(stack)) error.stackTrace = stack.map(String);
  return error;
}
