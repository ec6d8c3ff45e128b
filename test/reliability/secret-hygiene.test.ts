// Secret hygiene: representative flows through every function × trigger — success, validation
// failure, auth failure, Perkamo 4xx / 401 (a refused key) / 5xx before and after applying / 429,
// and a timeout — with every log line (stdout, stderr, console), every exported span and every
// answer (HTTP body and headers, SQS answer, returned value, thrown error) captured. None may hold
// the server key, a request signature (`v1=<64 hex>`), a JWT (the caller's or a minted stream
// token) or a trait value. The one exception: the `token` field of a successful stream-token answer.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startEmulator, type Emulator, type FaultRule } from '../../src/emulator/index.ts';
import { eventBridgeEvent, httpApiEvent, lambdaContext, sqsEvent } from '../helpers/aws-events.ts';
import { functionEnv, jwtSecret, loadFunction, token, type Handler } from '../helpers/functions.ts';
import { setupTestTracing } from '../helpers/tracing.ts';
import { functionOf } from '../../src/lambda/functions/index.ts';
import { CaseCounter, functionNames, routeOf, type FunctionName } from './harness.ts';

const counter = new CaseCounter();
const serverKey = `sk_test_${randomBytes(16).toString('hex')}`;
const wrongKey = `sk_test_${randomBytes(16).toString('hex')}`;
const browserKey = `pk_test_${randomBytes(8).toString('hex')}`;
const traitValues = [`secret.person+${randomBytes(4).toString('hex')}@example.test`, `Trait Name ${randomBytes(4).toString('hex')}`, `crm-${randomBytes(6).toString('hex')}`, `vip-${randomBytes(5).toString('hex')}`];
const traits = { email: traitValues[0], name: traitValues[1], crm: { id: traitValues[2] }, tags: [traitValues[3]] };

let tracing: ReturnType<typeof setupTestTracing>;
let emulator: Emulator;
const fn = {} as Record<FunctionName, Handler>;
const wrongKeyFn = {} as Record<FunctionName, Handler>;
/** Every credential seen during the run: the callers' tokens and the minted stream tokens. */
const tokens = new Set<string>();

interface Artifact {
  where: string;
  kind: 'log' | 'span' | 'answer' | 'error';
  text: string;
}
const artifacts: Artifact[] = [];

beforeAll(async () => {
  tracing = setupTestTracing();
  emulator = await startEmulator({ quiet: true, keys: { server: [serverKey], browser: [browserKey] } });
  const env = (key: string) => functionEnv(emulator, { PERKAMO_SECRET_KEY: key, PERKAMO_BROWSER_KEY: browserKey, LOG_LEVEL: 'debug', PERKAMO_TRACE_USER_IDS: 'keep' });
  for (const name of functionNames) wrongKeyFn[name] = await loadFunction(name, env(wrongKey));
  for (const name of functionNames) fn[name] = await loadFunction(name, env(serverKey));
});
afterAll(async () => {
  await tracing?.shutdown();
  await emulator?.close();
});

/** Runs `work` with every log channel captured (and kept off the terminal). */
async function captureLogs<T>(where: string, work: () => Promise<T>): Promise<T> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const record = (channel: string) =>
    function (chunk: unknown, ...rest: unknown[]): boolean {
      artifacts.push({ where: `${where} [${channel}]`, kind: 'log', text: typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8') });
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    };
  process.stdout.write = record('stdout') as typeof process.stdout.write;
  process.stderr.write = record('stderr') as typeof process.stderr.write;
  for (const level of Object.keys(saved) as (keyof typeof saved)[]) {
    console[level] = (...args: unknown[]) => artifacts.push({ where: `${where} [console.${level}]`, kind: 'log', text: args.map((a) => (typeof a === 'string' ? a : safeStringify(a))).join(' ') });
  }
  try {
    return await work();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    Object.assign(console, saved);
  }
}

function safeStringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** An error as everything a caller or Lambda's runtime could print of it: name, message, stack, own fields, causes. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.name, current.message, current.stack ?? '', safeStringify({ ...current }));
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(safeStringify(current));
      break;
    }
  }
  return parts.join('\n');
}

function spanText(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    kind: span.kind,
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    links: span.links.map((l) => l.attributes ?? {}),
    resource: span.resource.attributes,
  });
}

type Trigger = 'http' | 'sqs' | 'eventbridge' | 'direct';
type Scenario = 'success' | 'validation' | 'auth' | 'perkamo 4xx' | 'perkamo 409 conflict' | 'perkamo 401 (key refused)' | 'perkamo 5xx before' | 'perkamo 5xx after' | 'perkamo 429' | 'timeout';

const matrix: Record<FunctionName, Trigger[]> = { emit: ['http', 'eventbridge', 'direct'], batch: ['http', 'sqs', 'direct'], identify: ['http', 'sqs', 'eventbridge', 'direct'], 'stream-token': ['http'], customer: ['http', 'direct'], program: ['http', 'direct'] };
const scenarios: Scenario[] = ['success', 'validation', 'auth', 'perkamo 4xx', 'perkamo 409 conflict', 'perkamo 401 (key refused)', 'perkamo 5xx before', 'perkamo 5xx after', 'perkamo 429', 'timeout'];
const faultsFor: Partial<Record<Scenario, FaultRule[]>> = {
  'perkamo 4xx': [{ kind: 'error_before', status: 422 }],
  'perkamo 5xx before': [{ kind: 'error_before', status: 503 }],
  'perkamo 5xx after': [{ kind: 'error_after', status: 502, times: 1 }],
  'perkamo 429': [{ kind: 'rate_limit', retryAfterSeconds: 7 }],
  timeout: [{ kind: 'hang' }],
};

let seq = 0;
function payload(name: FunctionName, scenario: Scenario, user: string, trigger: Trigger = 'direct'): unknown {
  const tx = `hyg_${++seq}`;
  // GET /customer has no body (a body is the validation failure); a direct read names the user.
  if (name === 'customer') return trigger === 'http' ? (scenario === 'validation' ? { user_id: user } : undefined) : scenario === 'validation' ? { user_id: user, traits } : { user_id: user };
  // GET /program has no body either; a direct read sends {} (a field is the validation failure).
  if (name === 'program') return scenario === 'validation' ? { user_id: user } : trigger === 'http' ? undefined : {};
  if (name === 'identify') return scenario === 'validation' ? { user_id: user, traits: { ...traits, deep: [[[[[[[[[1]]]]]]]]] } } : { user_id: user, traits };
  if (name === 'stream-token') return scenario === 'validation' ? { user_id: user, ttl: 9 } : {};
  const event = { user_id: user, event: 'purchase.completed', transaction_id: tx, context: { order_id: tx, amount: 4200 } };
  const bad = { ...event, context: { Wallets: 1 } };
  const one = scenario === 'validation' ? bad : event;
  return name === 'batch' ? { events: [one, { ...event, transaction_id: `${tx}_b` }] } : one;
}

async function flow(name: FunctionName, trigger: Trigger, scenario: Scenario) {
  const where = `${name} · ${trigger} · ${scenario}`;
  emulator.reset();
  emulator.setFaults([]);
  const user = name === 'stream-token' ? 'streamer' : 'hygiene_user';
  // The customer read answers a customer with trait values: they must not come back.
  if (name === 'customer') await captureLogs(where, () => fn.identify({ user_id: user, traits }, lambdaContext()));
  emulator.setFaults(faultsFor[scenario] ?? []);
  let body = payload(name, scenario, user, trigger);
  if (scenario === 'perkamo 409 conflict' && name !== 'customer' && name !== 'program') {
    // The same transaction id already applied with another payload.
    const first = payload(name, 'success', user) as { events?: unknown[]; transaction_id?: string };
    await captureLogs(where, () => fn[name](first, lambdaContext()));
    body = name === 'batch' ? { events: (first.events as Record<string, unknown>[]).map((e) => ({ ...e, context: { amount: 1 } })) } : { ...(first as object), context: { amount: 1 } };
  }
  const handler = scenario === 'perkamo 401 (key refused)' ? wrongKeyFn[name] : fn[name];
  const timeoutMs = scenario === 'timeout' ? 900 : 5_000;
  let event: unknown;
  switch (trigger) {
    case 'http': {
      const scope = functionOf(name).scope;
      const scopes = scope === undefined ? [] : [scope];
      const caller = scenario === 'auth' ? await token(user, scopes, { expiresIn: Math.floor(Date.now() / 1000) - 60 }) : await token(user, scopes);
      tokens.add(caller);
      event = httpApiEvent(routeOf(name), body, { authorization: `Bearer ${caller}` });
      break;
    }
    case 'sqs':
      event = sqsEvent([{ body: name === 'batch' ? (body as { events: unknown[] }).events[0] : body }]);
      break;
    case 'eventbridge':
      event = eventBridgeEvent(body, name === 'emit' ? 'purchase.completed' : 'customer.updated');
      break;
    case 'direct':
      event = body;
  }
  await captureLogs(where, async () => {
    try {
      const result = (await handler(event, lambdaContext(timeoutMs))) as Record<string, unknown> | undefined;
      artifacts.push({ where, kind: 'answer', text: answerText(name, trigger, result) });
    } catch (error) {
      artifacts.push({ where, kind: 'error', text: errorText(error) });
    }
  });
  counter.add(`${name} · ${trigger}`);
}

/**
 * The answer as the caller sees it. Excluded: the minted token of a successful stream-token answer
 * (its purpose; recorded as a credential that must appear nowhere else).
 */
function answerText(name: FunctionName, trigger: Trigger, result: Record<string, unknown> | undefined): string {
  if (trigger === 'http' && result && typeof result.body === 'string') {
    const body = JSON.parse(result.body) as Record<string, unknown>;
    if (name === 'stream-token' && result.statusCode === 200 && typeof body.token === 'string') {
      tokens.add(body.token);
      delete body.token;
    }
    return JSON.stringify({ ...result, body });
  }
  return JSON.stringify(result);
}

function leaks(text: string): string[] {
  const found: string[] = [];
  if (text.includes(serverKey)) found.push('the server key');
  if (text.includes(wrongKey)) found.push('the refused server key');
  if (text.includes(jwtSecret)) found.push('AUTH_JWT_SECRET');
  if (/v1=[0-9a-f]{64}/.test(text)) found.push('a request signature (v1=<64 hex>)');
  if (/eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}/.test(text)) found.push('a JWT');
  for (const t of tokens) {
    if (text.includes(t)) found.push('a caller or stream token');
    const signature = t.split('.')[2];
    if (signature && signature.length > 16 && text.includes(signature)) found.push('a token signature');
  }
  for (const value of traitValues) if (text.includes(value)) found.push(`the trait value ${JSON.stringify(value)}`);
  return found;
}

describe('secret hygiene', () => {
  it('every function × trigger × scenario: no key, signature, token or trait value in logs, spans or answers', async () => {
    for (const [name, triggers] of Object.entries(matrix) as [FunctionName, Trigger[]][]) {
      for (const trigger of triggers) {
        for (const scenario of scenarios) {
          if (scenario === 'auth' && trigger !== 'http') continue;
          if (scenario === 'perkamo 409 conflict' && name !== 'emit' && name !== 'batch') continue;
          await flow(name, trigger, scenario);
        }
      }
    }
    emulator.setFaults([]);
    for (const span of tracing.spans()) artifacts.push({ where: `span ${span.name}`, kind: 'span', text: spanText(span) });

    // The capture worked: the functions logged, traced and answered, and a stream token was minted.
    const by = (kind: Artifact['kind']) => artifacts.filter((a) => a.kind === kind);
    expect(by('log').length).toBeGreaterThan(50);
    expect(by('span').length).toBeGreaterThan(100);
    expect(tracing.spans().some((s) => s.kind === SpanKind.CLIENT && s.attributes['http.request.method'] === 'POST')).toBe(true);
    expect([...tokens].length).toBeGreaterThan(20);
    expect(artifacts.some((a) => a.where.startsWith('stream-token · http · success') && a.kind === 'answer' && a.text.includes('"token_type":"Bearer"'))).toBe(true);
    expect(artifacts.some((a) => a.where.startsWith('identify · direct · success'))).toBe(true);

    // The detector itself finds each kind of secret; a token it was never told of proves the generic JWT pattern.
    const sample = [...tokens][0]!;
    const unseen = await token('never_seen', ['perkamo:emit']);
    for (const planted of [serverKey, wrongKey, `v1=${'a'.repeat(64)}`, sample, `…${sample.split('.')[2]}…`, unseen, traitValues[2]!, jwtSecret]) {
      expect(leaks(`x ${planted} y`), planted).not.toEqual([]);
    }
    expect(leaks(`x ${unseen} y`)).toEqual(['a JWT']);

    const found = artifacts.flatMap((a) => leaks(a.text).map((what) => `${a.kind} of ${a.where}: ${what} in ${JSON.stringify(a.text.slice(0, 300))}`));
    const bytes = artifacts.reduce((n, a) => n + a.text.length, 0);
    console.log(
      `\nsecret hygiene: ${counter.total()} flows (${counter.counts.size} function × trigger pairs) · scanned ${by('log').length} log writes, ` +
        `${by('span').length} spans, ${by('answer').length} answers, ${by('error').length} thrown errors (${(bytes / 1024).toFixed(0)} KiB) ` +
        `for the server key, signatures, ${tokens.size} tokens and ${traitValues.length} trait values: ${found.length} found\n`,
    );
    counter.print('secret hygiene flows');
    expect(found).toEqual([]);
  }, 120_000);

  // Perkamo's identify answer holds every merged trait; the functions answer their names only.
  it('identify answers name the traits without their values', async () => {
    emulator.reset();
    emulator.setFaults([]);
    const auth = await token('backend', ['perkamo:identify']);
    tokens.add(auth);
    const where = 'identify answer';
    const res = (await captureLogs(where, () =>
      fn.identify(httpApiEvent(routeOf('identify'), { user_id: 'identify_user', traits }, { authorization: `Bearer ${auth}` }), lambdaContext()),
    )) as { statusCode: number; body: string };
    const direct = await captureLogs(where, () => fn.identify({ user_id: 'identify_user', traits }, lambdaContext()));
    expect(res.statusCode).toBe(200);
    expect((JSON.parse(res.body) as { trait_names: string[] }).trait_names).toEqual(Object.keys(traits).sort());
    expect(traitValues.some((v) => res.body.includes(v))).toBe(false);
    expect(traitValues.some((v) => JSON.stringify(direct).includes(v))).toBe(false);
    // The first test scanned what it captured before this one ran: these logs are scanned here.
    artifacts.push({ where, kind: 'answer', text: JSON.stringify(res) }, { where, kind: 'answer', text: JSON.stringify(direct) });
    const captured = artifacts.filter((a) => a.where.startsWith(where));
    expect(captured.filter((a) => a.kind === 'log').length).toBeGreaterThan(0);
    expect(captured.flatMap((a) => leaks(a.text).map((what) => `${a.kind} of ${a.where}: ${what}`))).toEqual([]);
  });
});
