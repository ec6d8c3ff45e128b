import { signRequest } from '../../src/core/index.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';

export const serverKey = 'sk_test_emulator';
export const browserKey = 'pk_test_emulator';

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RawRequest {
  method?: string;
  /** A value to JSON-encode, or the exact body text/bytes. */
  body?: unknown;
  raw?: string | Uint8Array;
  key?: string | null;
  /** false: no signature headers; or explicit header values. */
  sign?: false | { timestamp?: number | string; signature?: string; key?: string };
  headers?: Record<string, string>;
}

/** A plain fetch with the emulator's auth: the key on every call, a signature on every POST. */
export async function call(emu: Emulator | string, path: string, request: RawRequest = {}): Promise<RawResponse> {
  const base = typeof emu === 'string' ? emu : emu.url;
  const method = request.method ?? (request.body !== undefined || request.raw !== undefined ? 'POST' : 'GET');
  const body = request.raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = request.key === undefined ? serverKey : request.key;
  if (key !== null) headers['x-perkamo-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && request.sign !== false) {
    const signPath = path.split('?')[0] as string;
    const signed = signRequest({
      apiKey: request.sign?.key ?? key ?? serverKey,
      method,
      path: signPath,
      body: body ?? '',
      timestamp: request.sign?.timestamp,
    });
    headers['x-perkamo-timestamp'] = signed['x-perkamo-timestamp'];
    headers['x-perkamo-signature'] = request.sign?.signature ?? signed['x-perkamo-signature'];
  }
  Object.assign(headers, request.headers);
  const response = await fetch(base + path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const requestIdPattern = /^req_[0-9a-f]{24}$/;

/** Starts an emulator for the current test file; close it in afterAll/afterEach. */
export function start(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ quiet: true, ...options });
}

export function waitFor<T>(read: () => T | undefined, ms = 3_000, what = 'condition'): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const value = read();
      if (value !== undefined && value !== false) return resolve(value);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

export function event(userId: string, name: string, txId: string, context: Record<string, unknown> = {}) {
  return { user_id: userId, event: name, transaction_id: txId, context };
}
