/**
 * HTTP chaos: clients → the local HTTP API (API Gateway 2.0 events) → the BUILT emit and batch
 * functions → the emulator with seeded faults. Each client retries a request on a network error,
 * 5xx, 429 or 504 with the SAME body and the SAME `Idempotency-Key` (honouring `Retry-After`), and
 * gives up after `maxAttempts`: what it gave up on is its "DLQ", with the last answer as reason.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mintDevToken } from '../stack/dev-config.ts';
import { createLocalApi } from '../stack/http-api.ts';
import { retryAfterOf } from '../../src/sdk/index.ts';
import { loadFunctions, projectRoot, type FunctionName } from '../stack/lambda.ts';
import { budgets, startChaosEmulator } from './budgets.ts';
import { tapFunctionLogs } from './function-logs.ts';
import { InvocationMeter, runWorkers, sleep } from './invocations.ts';
import { checkLedger, type DeadLetter, type Expected } from './ledger.ts';
import { summarize } from './summary.ts';
import type { VariantOptions, VariantSummary } from './variant.ts';
import { chaosEvents, withPoison } from './events.ts';
import { functionEnv } from './env.ts';

export const clientMaxAttempts = 10;

interface Unit {
  key: string;
  route: '/events' | '/events/batch';
  body: string;
  idempotencyKey: string;
  /** Keys and transaction ids of the events inside. */
  events: Expected[];
  poison?: { reason: string; tx?: string };
}

export async function runHttpChaos(options: VariantOptions): Promise<VariantSummary> {
  const started = performance.now();
  const budget = budgets[options.budget];
  const log = options.log ?? (() => {});
  const run = `${options.seed}${options.budget[0]}h`;
  const root = options.root ?? projectRoot();
  const { emulator, statuses } = await startChaosEmulator(options.seed + 2, options.budget);
  const untap = tapFunctionLogs(() => {});
  const meter = new InvocationMeter();
  let retries = 0;
  const server = createLocalApi({
    invoke: () => invokeTimed,
    demoDir: join(root, 'dev/stack/demo'),
    pageConfig: () => ({}),
    log: () => {},
  });
  let invokeTimed: ((name: FunctionName, event: unknown) => Promise<unknown>) | undefined;

  try {
    const functions = await loadFunctions(functionEnv(emulator, budget.reserveMs), root);
    invokeTimed = (name, event) => meter.measure(() => functions.invoke(name, event, budget.functionTimeoutMs));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const token = await mintDevToken('chaos-backend', ['perkamo:emit']);

    // Units: single events keyed by Idempotency-Key (no transaction_id in the body), single events
    // with their own id, and batches of 2–12 (ids `<key>:<index>` where an event has none).
    const events = chaosEvents(options.events, options.seed + 2, run, { explicitTxShare: 0.3 });
    const valid: Unit[] = [];
    for (let i = 0; i < events.length; ) {
      const u = valid.length;
      const idempotencyKey = `http-${run}-${u}`;
      if (u % 3 === 2) {
        const size = Math.min(events.length - i, 2 + (u % 11));
        const slice = events.slice(i, i + size);
        i += size;
        valid.push({
          key: `u${u}`,
          route: '/events/batch',
          body: JSON.stringify({ events: slice.map((e) => e.payload) }),
          idempotencyKey,
          events: slice.map((e, j) => ({ key: `e${e.seq}`, tx: e.tx ?? `${idempotencyKey}:${j}` })),
        });
      } else {
        const e = events[i++]!;
        valid.push({ key: `u${u}`, route: '/events', body: JSON.stringify(e.payload), idempotencyKey, events: [{ key: `e${e.seq}`, tx: e.tx ?? idempotencyKey }] });
      }
    }
    const units = withPoison<Unit>(valid, options.poison ?? 8, run, (p, k) => ({
      key: `p${k}`,
      route: '/events',
      body: p.raw,
      idempotencyKey: `http-${run}-poison-${k}`,
      events: [],
      poison: { reason: p.reason, tx: p.tx },
    }));

    const deadLetters: DeadLetter[] = [];
    const poisonAnswers: { key: string; status: number; reason: string }[] = [];
    const cap = started + options.maxWallMs;
    let capped = false;
    let next = 0;
    let done = 0;
    const client = async () => {
      while (next < units.length) {
        const unit = units[next++]!;
        let reason = '';
        let status = 0;
        let attempt = 1;
        for (; ; attempt++) {
          if (performance.now() > cap) {
            capped = true;
            reason = 'stopped at the time cap';
            break;
          }
          let retryAfterMs = 0;
          try {
            const res = await fetch(`${api}${unit.route}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': unit.idempotencyKey },
              body: unit.body,
              signal: AbortSignal.timeout(budget.functionTimeoutMs + 5_000),
            });
            status = res.status;
            const text = await res.text();
            if (res.ok) {
              reason = '';
              break;
            }
            const error = (safeJson(text) as { error?: { code?: string; message?: string } } | undefined)?.error;
            reason = `${res.status} ${error?.code ?? ''} ${error?.message ?? text.slice(0, 100)}`.replace(/\s+/g, ' ');
            const retryable = res.status === 429 || res.status >= 500;
            if (!retryable) break;
            retryAfterMs = (retryAfterOf(res.headers) ?? 0) * 1000;
          } catch (error) {
            status = 0;
            reason = `network: ${(error as Error).name}: ${(error as Error).message}`;
          }
          if (attempt >= clientMaxAttempts) break;
          retries++;
          const backoff = Math.random() * Math.min(2_000, 50 * 2 ** attempt);
          await sleep(Math.min(5_000, Math.max(retryAfterMs, backoff)));
        }
        if (unit.poison) poisonAnswers.push({ key: unit.key, status, reason });
        if (reason) {
          for (const e of unit.events) deadLetters.push({ key: e.key, poison: false, reason: `client gave up after ${attempt} attempts: ${reason}`, attempts: attempt });
          if (unit.poison) deadLetters.push({ key: unit.key, poison: true, reason, attempts: attempt });
        }
        done++;
      }
    };
    await runWorkers(options.concurrency ?? 8, client, () => `http ${options.budget}: ${done.toLocaleString('en')}/${units.length.toLocaleString('en')} requests done`, log);

    const expected = units.flatMap((u) => u.events);
    const poison = units.filter((u) => u.poison);
    const verdict = checkLedger(emulator, expected, deadLetters, poison.flatMap((p) => (p.poison?.tx ? [p.poison.tx] : [])));
    const problems: string[] = [];
    if (capped) problems.push(`stopped at the ${Math.round(options.maxWallMs / 1000)} s cap before every request was answered`);
    const badPoison = poisonAnswers.filter((a) => !(a.status >= 400 && a.status < 500 && a.status !== 429) || !a.reason.includes(poison.find((p) => p.key === a.key)?.poison?.reason ?? '\0'));
    if (badPoison.length > 0) problems.push(`${badPoison.length} poison requests did not get a 4xx naming the field: ${badPoison.map((a) => `${a.key} → ${a.reason}`).slice(0, 3).join('; ')}`);

    return summarize({
      variant: 'http',
      options,
      emulator,
      sent: units.reduce((n, u) => n + Math.max(1, u.events.length), 0),
      verdict,
      poison: poison.length,
      deadLetters,
      retried: retries,
      meter,
      started,
      statuses,
      settings: { functionTimeoutMs: budget.functionTimeoutMs, reserveMs: budget.reserveMs, clientMaxAttempts, concurrency: options.concurrency ?? 8, requests: units.length },
      problems,
    });
  } finally {
    untap();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await emulator.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
