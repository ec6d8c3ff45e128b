// A JWKS endpoint that is slow or never answers (issue 13, defect 2): the built function answers
// 503 auth_unavailable, naming AUTH_JWKS_URL, within the invocation's budget — never after jose's
// own 5 s timeout, never killed by Lambda's, never a 504 blaming Perkamo.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { httpApiEvent, lambdaContext } from '../helpers/aws-events.ts';
import { loadFunction, type Handler } from '../helpers/functions.ts';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import { AUDIENCE, claims, ISSUER, signRs256, startIssuer } from '../lambda/helpers/jwt-issuer.ts';

let emulator: Emulator;
let issuer: Awaited<ReturnType<typeof startIssuer>>;
let jwks: Awaited<ReturnType<typeof startLoopbackServer>>;
let delayMs = Infinity;

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
  issuer = await startIssuer();
  // Answers the issuer's key set after `delayMs`, or never.
  jwks = await startLoopbackServer(async (_req, res) => {
    if (!Number.isFinite(delayMs)) return;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: issuer.keys.map((k) => k.publicJwk) }));
  });
});

/** A fresh cold start per case: jose caches the key set (and shares a pending fetch) per function instance. */
const coldEmit = (env: Record<string, string> = {}): Promise<Handler> =>
  loadFunction('emit', {
    PERKAMO_BASE_URL: emulator.url,
    PERKAMO_SECRET_KEY: emulator.keys.server[0]!,
    AUTH_JWKS_URL: `${jwks.url}/jwks`,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    LOG_LEVEL: 'error',
    ...env,
  });
afterAll(async () => {
  await jwks.close();
  await emulator.close();
  await issuer.close();
});
beforeEach(() => emulator.reset());

async function call(timeoutMs: number) {
  const emit = await coldEmit();
  const token = await signRs256(issuer.keys[0]!, claims({ scope: 'perkamo:emit' }));
  const started = performance.now();
  const res = await emit(
    httpApiEvent('POST /events', { user_id: 'u1', event: 'page.viewed', transaction_id: `tx-${Math.random()}` }, { authorization: `Bearer ${token}` }),
    lambdaContext(timeoutMs),
  );
  return { res, ms: performance.now() - started };
}

describe('a JWKS endpoint slower than the invocation', () => {
  it.each([
    ['never answers', Infinity],
    ['answers after 3 s', 3_000],
  ])('%s: 503 auth_unavailable naming AUTH_JWKS_URL within a 1,500 ms invocation, Perkamo never called', async (_label, delay) => {
    delayMs = delay;
    const { res, ms } = await call(1_500);
    expect(res.statusCode).toBe(503);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('auth_unavailable');
    expect(body.error.message).toMatch(/AUTH_JWKS_URL did not answer within this invocation's time budget \(\d+ ms\)/);
    // The budget is 1,500 ms less the 500 ms reserve; the answer leaves before Lambda's timeout.
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(1_500);
    expect(emulator.ledger().requests.total).toBe(0);
  });

  it('a JWKS that answers within the budget still authenticates', async () => {
    delayMs = 100;
    const { res } = await call(10_000);
    expect(res.statusCode).toBe(200);
  });
});

describe('a JWKS that fails', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  /** A cold emit at LOG_LEVEL=warn, a post that mints a token per call (kept), and the lines it writes from `capture()` on. */
  const coldPoster = async () => {
    const emit = await coldEmit({ LOG_LEVEL: 'warn' });
    const tokens: string[] = [];
    const lines: string[] = [];
    const post = async () => {
      const token = await signRs256(issuer.keys[0]!, claims({ scope: 'perkamo:emit' }));
      tokens.push(token);
      const event = httpApiEvent('POST /events', { user_id: 'u1', event: 'page.viewed', transaction_id: `tx-${tokens.length}` }, { authorization: `Bearer ${token}` });
      return (await emit(event, lambdaContext(10_000))).statusCode;
    };
    const capture = () =>
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    return { post, capture, tokens, lines };
  };

  it('with no keys held (a cold start), the built function answers 503 and logs one warning with the reason for the run of failures, without the token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    delayMs = 0;
    jwks.reset();
    const { post, capture, tokens, lines } = await coldPoster();
    capture();
    jwks.enqueue((_req, res) => void res.writeHead(500).end());
    jwks.enqueue((_req, res) => void res.writeHead(500).end());
    expect(await post()).toBe(503);
    // Tried again after 1 s, failing again; then after 2 s more, the IdP is back.
    vi.setSystemTime(Date.now() + 1_100);
    expect(await post()).toBe(503);
    expect(jwks.requests).toHaveLength(2);
    vi.setSystemTime(Date.now() + 2_100);
    expect(await post()).toBe(200);
    const warnings = lines.filter((line) => line.includes('JWKS fetch failed')).map((line) => JSON.parse(line));
    expect(warnings).toEqual([expect.objectContaining({ level: 'WARN', error: 'the JWKS answered HTTP 500, not 200' })]);
    expect(warnings[0].message).toContain('check AUTH_JWKS_URL');
    expect(lines.some((line) => line.includes('JWKS refresh failed'))).toBe(false);
    for (const token of tokens) expect(lines.join('')).not.toContain(token);
  });

  it('once its keys are held, the built function keeps verifying and logs one warning for a run of failed refreshes, without the token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    delayMs = 0;
    jwks.reset();
    const { post, capture, tokens, lines } = await coldPoster();
    expect(await post()).toBe(200);
    capture();
    // Past the keys' 10 minutes, then twice past the 30 s cooldown: three refreshes, each failing.
    for (const [step, advanceMs] of [11 * 60_000, 31_000, 31_000].entries()) {
      vi.setSystemTime(Date.now() + advanceMs);
      jwks.enqueue((_req, res) => void res.writeHead(500).end());
      expect(await post()).toBe(200);
      await vi.waitFor(() => expect(jwks.requests).toHaveLength(step + 2));
    }
    const warnings = lines.filter((line) => line.includes('JWKS refresh failed')).map((line) => JSON.parse(line));
    expect(warnings).toEqual([
      expect.objectContaining({ level: 'WARN', error: 'the JWKS answered HTTP 500, not 200', stale_for_ms: 59 * 60_000 }),
    ]);
    for (const token of tokens) expect(lines.join('')).not.toContain(token);
  });
});
