/**
 * `npm start`'s view of the functions' log lines: one short line each instead of Lambda's JSON
 * (`npm start -- --json-logs` shows the JSON). Only the fields named here are read — the summary
 * line's counts, codes and messages (src/lambda/middleware/logging.ts, src/lambda/report.ts) and
 * the EMF line's metrics (src/lambda/emf.ts) — so a field added to the JSON later never reaches
 * the terminal unread.
 */
import type { FunctionLine } from '../chaos/function-logs.ts';
import { boundText, upstreamCode } from '../../src/core/text.ts';
import { logLevels } from '../../src/lambda/logger.ts';

const levels = new Set(logLevels.map((level) => level.toUpperCase()));
/** A short token (a name, a code): anything else is not repeated. */
const word = upstreamCode;
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const text = (value: unknown, max: number): string | undefined => (typeof value === 'string' && value.trim() !== '' ? boundText(value, max) : undefined);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `batch  WARN  invocation done with failures: 3 records — 1 applied, 2 refused · 5c2e09c8…: validation_failed: … · 19 ms` */
export function readableFunctionLine(line: FunctionLine): string {
  // EMF lines name the function in their `function` dimension.
  const fn = word(line.function_name) ?? word(line.function) ?? 'function';
  // Called from inside the function's write: whatever the line holds, this must not throw.
  try {
    if (line._aws !== undefined) return `${fn}  EMF  ${metrics(line)}`;
    const level = typeof line.level === 'string' && levels.has(line.level) ? line.level : 'LOG';
    return `${fn}  ${level}  ${typeof line.records === 'number' ? summary(line) : other(line)}`;
  } catch {
    return `${fn}  LOG  a line npm start cannot summarise (npm start -- --json-logs shows it)`;
  }
}

/** The invocation's summary line: what became of its records, or what the caller was answered. */
function summary(line: FunctionLine): string {
  const parts: string[] = [];
  const records = count(line.records);
  const status = typeof line.status === 'number' ? line.status : undefined;
  if (records === 0 && status !== undefined) {
    parts.push([status, word(line.error_code)].filter((p) => p !== undefined).join(' '));
  } else {
    const kinds = (['applied', 'duplicates', 'refused', 'failed'] as const).filter((kind) => count(line[kind]) > 0);
    parts.push(`${plural(records, 'record')}${kinds.length > 0 ? ` — ${kinds.map((kind) => `${count(line[kind])} ${kind}`).join(', ')}` : ''}`);
  }
  const failure = firstFailure(line);
  if (failure) parts.push(failure);
  // An HTTP refusal's message is on the request line already (dev/stack/http-api.ts); a 5xx's caller got none.
  const refusedHttp = status !== undefined && status < 500;
  const error = text(line.error_message, 160);
  if (error && !refusedHttp) parts.push(`${word(line.error) ?? 'error'}: ${error}`);
  if (line.budget_exhausted === true) parts.push('out of time');
  if (typeof line.duration_ms === 'number') parts.push(`${line.duration_ms} ms`);
  return `${text(line.message, 80) ?? 'invocation'}: ${parts.join(' · ')}`;
}

/** The first record the function refused or failed, and how many more: `<id>: <code>: <message> (+1 more)`. */
function firstFailure(line: FunctionLine): string | undefined {
  const first = Array.isArray(line.failures) ? line.failures[0] : undefined;
  if (typeof first !== 'object' || first === null) return undefined;
  // A message id (a UUID) by its first 8 digits, as the messages often repeat it in full.
  const id = typeof first.id !== 'string' ? 'a record' : uuid.test(first.id) ? `${first.id.slice(0, 8)}…` : boundText(first.id, 48);
  const why = [word(first.code) ?? word(first.error), text(first.message, 120)].filter((p) => p !== undefined).join(': ');
  const more = count(line.refused) + count(line.failed) - 1;
  return `${id}: ${why}${more > 0 ? ` (+${more} more)` : ''}`;
}

/** Fields of the other lines shown when present: ids, codes and numbers only (the debug line per Perkamo call has most). */
const otherFields = ['operation', 'ok', 'status', 'attempts', 'duration_ms', 'perkamo_request_id', 'stale_for_ms'];

/** Any other line (a key refresh that failed, a configuration the function cannot start with, a debug line): its message, error and known fields. */
function other(line: FunctionLine): string {
  const error = text(line.error, 160);
  const fields = otherFields.flatMap((name) => {
    const value = line[name];
    const shown = typeof value === 'number' || typeof value === 'boolean' ? String(value) : word(value);
    return shown === undefined ? [] : [`${name} ${shown}`];
  });
  return [`${text(line.message, 240) ?? ''}${error ? ` (${error})` : ''}`, ...fields].join(' · ');
}

/** An EMF line: its dimensions and the metrics its directive names, zeros left out. */
function metrics(line: FunctionLine): string {
  const directives = (line._aws as { CloudWatchMetrics?: { Metrics?: { Name?: unknown; Unit?: unknown }[] }[] } | null)?.CloudWatchMetrics;
  const named = Array.isArray(directives) ? directives.flatMap((d) => (Array.isArray(d?.Metrics) ? d.Metrics : [])) : [];
  const values: string[] = [];
  for (const { Name: name, Unit: unit } of named) {
    const metric = word(name);
    if (!metric) continue;
    const value = line[metric];
    const numbers = (Array.isArray(value) ? value : [value]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (numbers.length === 0 || numbers.every((v) => v === 0)) continue;
    // Per-call metrics hold a value per Perkamo call, up to 100: the first few tell enough.
    const shown = numbers.length > 4 ? `${numbers.slice(0, 4).join('/')}/… (${numbers.length} values)` : numbers.join('/');
    values.push(`${metric} ${shown}${unit === 'Milliseconds' ? ' ms' : ''}`);
  }
  const head = [word(line.trigger), word(line.outcome)].filter((p) => p !== undefined).join(' ');
  return `${head === '' ? 'metrics' : head}: ${values.join(' · ') || 'all zero'}`;
}
