// Used by the reliability suites: the function names and each function's HTTP route (from the
// function list), and case counting. The rest serves hostile-input: the four BUILT functions
// against an emulator, the function log tap (a failed SQS record's reason is in the function's log
// line), and what a refusal must look like over HTTP, SQS and EventBridge.
import { expect } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { tapFunctionLogs, type FunctionFailure } from '../../dev/chaos/function-logs.ts';
import { functionNames, functionOf, type FunctionName } from '../../src/lambda/functions/index.ts';
import { eventBridgeEvent, httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { functionEnv, loadFunction, type Handler } from '../helpers/functions.ts';

export { functionNames, type FunctionName };

/** A function's API Gateway route key ("POST /events", "GET /customer"), from the function list. */
export const routeOf = (name: FunctionName): string => functionOf(name).route;
/** Each function's HTTP method and path. */
export const methodOf = (name: FunctionName): string => routeOf(name).split(' ')[0] as string;
export const pathOf = Object.fromEntries(functionNames.map((name) => [name, routeOf(name).split(' ')[1]])) as Record<FunctionName, string>;

export interface Harness {
  emulator: Emulator;
  fn: Record<FunctionName, Handler>;
  /** Perkamo requests the emulator has received since the last reset. */
  requests(): number;
  /** Failures the functions logged, by record id (SQS messageId, EventBridge event id). */
  failures: Map<string, FunctionFailure>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const emulator = await startEmulator({ quiet: true });
  const failures = new Map<string, FunctionFailure>();
  const untap = tapFunctionLogs((f) => failures.set(f.id, f));
  const fn = {} as Record<FunctionName, Handler>;
  for (const name of functionNames) fn[name] = await loadFunction(name, functionEnv(emulator, { LOG_LEVEL: 'warn' }));
  return {
    emulator,
    fn,
    requests: () => emulator.ledger().requests.total,
    failures,
    async close() {
      untap();
      await emulator.close();
    },
  };
}

/** Counts cases per target and prints the tally (the suites count their cases in their output). */
export class CaseCounter {
  readonly counts = new Map<string, number>();
  add(target: string, n = 1) {
    this.counts.set(target, (this.counts.get(target) ?? 0) + n);
  }
  total() {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  print(title: string) {
    const width = Math.max(...[...this.counts.keys()].map((k) => k.length), 6);
    const lines = [...this.counts].map(([target, n]) => `  ${target.padEnd(width)}  ${String(n).padStart(6)}`);
    console.log(`\n${title}: ${this.total().toLocaleString('en')} cases\n${lines.join('\n')}\n`);
  }
}

/** What a refused case must look like. `field`: exact path; `fieldPrefix` + `mentions` for paths that vary. */
export interface Refusal {
  /** HTTP status (default: any 4xx but 429). */
  status?: number;
  code?: string;
  field?: string;
  fieldPrefix?: string;
  /** Words the message must contain. */
  mentions?: string;
}

const userAgent = { 'user-agent': 'hostile-input-suite' };

export async function httpInvoke(
  h: Harness,
  name: FunctionName,
  raw: string,
  headers: Record<string, string>,
  options: { base64?: 'encode' | 'flag-only' } = {},
) {
  const route = routeOf(name);
  const event = httpApiEvent(route, undefined, { ...userAgent, ...headers }, { rawBody: raw, ...(options.base64 === 'encode' && { base64: true }) });
  // A gateway claiming a base64 body that is not base64 at all.
  if (options.base64 === 'flag-only') event.isBase64Encoded = true;
  const res = (await h.fn[name](event, lambdaContext(5_000))) as { statusCode: number; headers: Record<string, string>; body: string };
  // An answer never amplifies its request: at most the request echoed twice (a field path) plus a message.
  expect(res.body.length, `${route}: a ${raw.length}-byte request got a ${res.body.length}-byte answer`).toBeLessThanOrEqual(2 * raw.length + 8_192);
  return res;
}

/** An HTTP answer is a 4xx (not 429) with `{ error: { code, message, field? } }` naming the field. */
export function expectHttpRefusal(res: { statusCode: number; body: string }, want: Refusal, what: string) {
  const ctx = `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  if (want.status !== undefined) expect(res.statusCode, ctx).toBe(want.status);
  expect(res.statusCode, ctx).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, ctx).toBeLessThan(500);
  expect(res.statusCode, ctx).not.toBe(429);
  const body = JSON.parse(res.body) as { error?: { code?: string; message?: string; field?: string } };
  expect(body.error?.message, ctx).toEqual(expect.any(String));
  expect(body.error!.message!.length, ctx).toBeGreaterThan(10);
  if (want.code !== undefined) expect(body.error?.code, ctx).toBe(want.code);
  // The whole body at fault (field ''): the HTTP answer names no field at all.
  if (want.field === '') expect(body.error, ctx).not.toHaveProperty('field');
  if (want.field !== undefined && want.field !== '') {
    expect(body.error?.field, ctx).toBe(want.field);
    expect(body.error?.message, ctx).toContain(want.field);
  }
  if (want.fieldPrefix !== undefined) expect(body.error?.field ?? '', ctx).toMatch(new RegExp(`^${escapeRegExp(want.fieldPrefix)}`));
  if (want.mentions !== undefined) expect(body.error?.message, ctx).toContain(want.mentions);
}

/** An SQS record with this body fails alone, and the function logs a reason naming the field. */
export async function expectSqsRefusal(h: Harness, name: 'batch' | 'identify', body: string, want: Refusal, what: string) {
  const event = sqsEvent([{ body }]);
  const id = event.Records[0]!.messageId;
  const answer = (await h.fn[name](event, lambdaContext(5_000))) as { batchItemFailures: { itemIdentifier: string }[] };
  const ctx = `${what} (SQS ${name}) body ${JSON.stringify(body.slice(0, 200))}`;
  expect(answer, ctx).toEqual({ batchItemFailures: [{ itemIdentifier: id }] });
  const failure = h.failures.get(id);
  expect(failure, ctx).toBeDefined();
  if (want.field) expect(failure!.message, ctx).toContain(want.field);
  if (want.fieldPrefix) expect(failure!.message, ctx).toContain(want.fieldPrefix);
  if (want.mentions) expect(failure!.message, ctx).toContain(want.mentions);
  expect(failure!.error, ctx).toBe('PerkamoValidationError');
}

/** An EventBridge event with this detail is thrown back (for Lambda's retries) as a PerkamoValidationError naming the field. */
export async function expectEventBridgeRefusal(h: Harness, name: 'emit' | 'identify', detail: unknown, want: Refusal, what: string) {
  const ctx = `${what} (EventBridge ${name})`;
  let thrown: unknown;
  try {
    await h.fn[name](eventBridgeEvent(detail, 'hostile.input'), lambdaContext(5_000));
  } catch (error) {
    thrown = error;
  }
  expect(thrown, ctx).toBeInstanceOf(Error);
  const error = thrown as Error & { field?: string };
  expect(error.name, `${ctx}: ${error.message}`).toBe('PerkamoValidationError');
  expect(error.message.length, ctx).toBeGreaterThan(10);
  if (want.field !== undefined) expect(error.field, `${ctx}: ${error.message}`).toBe(want.field);
  if (want.field) expect(error.message, ctx).toContain(want.field);
  if (want.fieldPrefix) expect(error.field ?? '', ctx).toMatch(new RegExp(`^${escapeRegExp(want.fieldPrefix)}`));
  if (want.mentions) expect(error.message, ctx).toContain(want.mentions);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
