// What the API routes check before they act: body size, the server key, the signature and its
// timestamp window, JSON, and the user id in the path. Each refusal is an ApiError.
import type { IncomingMessage } from 'node:http';
import { assertUserId, isPlainObject, PerkamoValidationError, verifySignature } from '../core/index.ts';
import { readBody as readBounded } from './http-body.ts';
import { ApiError, validationError } from './replies.ts';
import type { EmulatorSettings } from './state.ts';

/** The largest request body the emulator reads (1 MiB); larger answers 413 payload_too_large. */
export const maxBodyBytes = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const { body, tooLarge } = await readBounded(req, maxBodyBytes);
  if (tooLarge) throw new ApiError(413, 'payload_too_large', `the request body is over ${maxBodyBytes} bytes (1 MiB)`);
  return body;
}

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) throw new ApiError(400, 'invalid_json', 'the request body is empty; send a JSON object');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ApiError(400, 'invalid_json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function requireKey(settings: EmulatorSettings, req: IncomingMessage): string {
  const key = req.headers['x-perkamo-api-key'];
  if (typeof key !== 'string' || key.trim() === '') {
    throw new ApiError(401, 'missing_api_key', 'the x-perkamo-api-key header is missing; send your server API key');
  }
  if (!settings.serverKeys.has(key)) {
    throw new ApiError(401, 'invalid_api_key', 'the x-perkamo-api-key header does not name a server key of this emulator');
  }
  return key;
}

/** Key, raw body, signature and timestamp window, then JSON: the order every POST goes through. */
export async function signedJson(settings: EmulatorSettings, req: IncomingMessage, path: string): Promise<unknown> {
  const apiKey = requireKey(settings, req);
  const raw = await readBody(req);
  const timestamp = req.headers['x-perkamo-timestamp'];
  const signature = req.headers['x-perkamo-signature'];
  const hasTs = typeof timestamp === 'string' && timestamp !== '';
  const hasSig = typeof signature === 'string' && signature !== '';
  if (hasTs || hasSig || settings.requireSignatures) {
    if (!hasTs || !hasSig) {
      throw new ApiError(
        401,
        'missing_signature',
        'POST requests must be signed: send x-perkamo-timestamp (Unix seconds) and x-perkamo-signature (v1=<hex HMAC-SHA256>)',
      );
    }
    if (!/^\d{1,12}$/.test(timestamp)) {
      throw new ApiError(401, 'invalid_timestamp', 'x-perkamo-timestamp must be the Unix time in whole seconds');
    }
    const ok = verifySignature({ apiKey, timestamp, signature, method: req.method ?? 'POST', path, body: raw });
    if (!ok) {
      throw new ApiError(
        401,
        'invalid_signature',
        'x-perkamo-signature does not match: sign "v1.<timestamp>.<METHOD>.<path>.<sha256 hex of the exact body bytes>" with the API key',
      );
    }
    const tolerance = settings.signatureToleranceSeconds;
    const skew = Math.floor(Date.now() / 1000) - Number(timestamp);
    if (Math.abs(skew) > tolerance) {
      throw new ApiError(
        401,
        'stale_timestamp',
        `x-perkamo-timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'in the past' : 'in the future'}; signed requests must be within ±${tolerance} s of the server clock`,
      );
    }
  }
  return parseJson(raw);
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw new ApiError(400, 'validation_failed', 'the request body must be a JSON object', '', 'not_object');
  return body;
}

export function decodeUserId(segment: string): string {
  let userId: string;
  try {
    userId = decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, 'validation_failed', 'the user id in the path is not valid percent-encoding', 'user_id', 'invalid_encoding');
  }
  try {
    assertUserId(userId);
  } catch (error) {
    if (error instanceof PerkamoValidationError) throw validationError(error);
    throw error;
  }
  return userId;
}
