/**
 * Text from outside (an upstream's error message, a pasted setting) repeated in our own messages,
 * logs and spans: bounded in length, single-line, and with known secrets taken out — an upstream
 * that echoes the request (the key, a trait value) must not put it in a log line.
 */

/** Longest upstream message repeated in ours. */
export const maxUpstreamMessageLength = 300;

/** A machine code is a short token; anything else is not a code we repeat. */
export function upstreamCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code) ? code : undefined;
}

const controls = /[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Runs of whitespace, control characters and line breaks become one space; longer than `max` characters ends in "…". */
export function boundText(text: string, max: number): string {
  const flat = (text.length > max * 4 ? text.slice(0, max * 4) : text).replace(controls, ' ').trim();
  if (flat.length <= max) return flat;
  // Do not cut a surrogate pair in half.
  let end = max - 1;
  const code = flat.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${flat.slice(0, end)}…`;
}

/** Shortest text worth redacting: shorter strings (`true`, `42`, `en`) are too common to hide and too short to leak. */
const minSecretLength = 4;
/** Most strings of a request collected for redaction: a 32 KiB payload cannot make the scan costly. */
const maxSecrets = 200;

/** Every occurrence of each secret (also JSON-escaped, as an echoing JSON body carries it) becomes `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < minSecretLength) continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      if (out.includes(form)) out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

/** Fields that name and explain a failure (no customer data): an echo of them may stay. */
const plainFields = new Set(['event', 'transaction_id', 'occurred_at', 'purpose']);

/**
 * What an upstream's error text could echo from a request body and must not repeat: every string
 * (user ids, context and trait values, keys) but the event name, transaction id and time.
 */
export function echoableStrings(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const events = Array.isArray((body as { events?: unknown }).events) ? (body as { events: unknown[] }).events : [body];
  return stringsOf(
    events.map((event) =>
      typeof event === 'object' && event !== null ? Object.fromEntries(Object.entries(event).filter(([key]) => !plainFields.has(key))) : event,
    ),
  );
}

/** The string leaves of a value, longest first (so a value is taken out before any part of it). */
function stringsOf(value: unknown, into: string[] = [], depth = 0): string[] {
  if (into.length >= maxSecrets || depth > 10) return into;
  if (typeof value === 'string') {
    if (value.length >= minSecretLength) into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) stringsOf(item, into, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) stringsOf(item, into, depth + 1);
  }
  if (depth === 0) into.sort((a, b) => b.length - a.length);
  return into;
}

/** Quotes a non-secret value for a message, shortened so a pasted blob cannot flood the log. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(boundText(value, max));
}
