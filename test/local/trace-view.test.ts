// The local trace view: `npm start`'s stack with the OpenTelemetry layer (the built one, loaded in
// this process as `npm start` loads it) exporting OTLP to the stack's own HTTP API, the traces page
// listing and drawing what arrived. The HTTP part runs everywhere; the page runs in headless
// Chromium (skipped locally without it, failing in CI, as test/local/browser.test.ts).
// docs/traces.png is written when missing or with UPDATE_DEMO_SCREENSHOT=1.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../dev/stack/dev-config.ts';
import { startLocalStack, type LocalStack } from '../../dev/stack/stack.ts';
import type { TraceSummary, ViewSpan } from '../../dev/stack/trace-store.ts';
import { launchChromium, pageWithProblems, screenshotPath, screenshotPorts, skipWithoutChromium } from '../helpers/chromium.ts';

const screenshot = screenshotPath('traces.png');

let stack: LocalStack;
beforeAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  stack = await startLocalStack({ ports: screenshotPorts(screenshot), otel: true, pollers: false, env: { LOG_LEVEL: 'error' } });
}, 60_000);
afterAll(() => stack?.close());

const traceparent = () => {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const traceId = hex(32);
  return { traceId, header: `00-${traceId}-${hex(16)}-01` };
};

async function emit(userId: string, header: string) {
  const response = await fetch(`${stack.urls.api}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await mintDevToken(userId)}`, traceparent: header },
    body: JSON.stringify({ user_id: userId, event: 'page.viewed', transaction_id: `tv-${header}` }),
  });
  expect(response.status).toBe(200);
  return response.headers.get('x-perkamo-request-id');
}

describe('the stack receives the layer\'s exports', () => {
  it('an emit over HTTP: its trace is listed, with the invocation, Perkamo and HTTP spans and the request id', async () => {
    expect(stack.otel.loaded).toBe(true);
    expect(stack.urls.traces).toBe(`${stack.urls.api}/traces`);
    const { traceId, header } = traceparent();
    const requestId = await emit('tv-http', header);
    // Exported before the function answered (no Runtime API here: in the invocation).
    const list = (await (await fetch(`${stack.urls.api}/dev/traces`)).json()) as { traces: TraceSummary[] };
    const summary = list.traces.find((t) => t.traceId === traceId);
    expect(summary).toMatchObject({ name: 'POST /events', functionName: 'perkamo-lambda-local-emit', errors: 0, requestIds: [requestId] });
    const { spans } = (await (await fetch(`${stack.urls.api}/dev/traces/${traceId}`)).json()) as { spans: ViewSpan[] };
    const invocation = spans.find((s) => s.name === 'POST /events')!;
    const operation = spans.find((s) => s.name === 'perkamo emit')!;
    const call = spans.find((s) => s.kind === 'client')!;
    expect(invocation.kind).toBe('server');
    expect(operation.parentSpanId).toBe(invocation.spanId);
    expect(call.parentSpanId).toBe(operation.spanId);
    expect(call.attributes['perkamo.request_id']).toBe(requestId);
    expect(operation.durationMs).toBeGreaterThan(0);
    expect(invocation.durationMs).toBeGreaterThanOrEqual(operation.durationMs);
  });

  it('unknown trace: 404 with a reason; an unreadable export: 400', async () => {
    const missing = await fetch(`${stack.urls.api}/dev/traces/${'0'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('trace_not_found');
    const bad = await fetch(`${stack.urls.api}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff]) });
    expect(bad.status).toBe(400);
  });
});

describe.skipIf(skipWithoutChromium('trace view browser test'))('the traces page in headless Chromium', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(() => browser?.close());

  it('the demo page links an event to its trace; the trace shows its spans, durations and request id; the list updates live', async () => {
    const { page, problems } = await pageWithProblems(browser!, 1280);

    await page.goto(stack.urls.page);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.isVisible('#traces-link')).toBe(true);
    await page.fill('#user-id', 'grace');
    await page.click('#signin-button');
    await page.waitForSelector('#stream-state[data-state="open"]');
    await page.click('#btn-purchase');
    const link = await page.waitForSelector('#log li a.trace-link');
    const traceId = (await link.getAttribute('data-trace-id'))!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const entry = (await page.textContent('#log li:has(a.trace-link)'))!;
    const requestId = /\((req_[^)]+|[^)\s]+)\)/.exec(entry)?.[1];
    expect(requestId, entry).toBeDefined();

    // The link opens the trace (in a new tab for people; here in this one).
    await page.goto(new URL((await link.getAttribute('href'))!, stack.urls.api).href);
    await page.waitForSelector(`body[data-trace="${traceId}"]`);
    expect(await page.textContent('#trace-title')).toBe('POST /events');
    const names = await page.$$eval('.span-row .label', (labels) => labels.map((l) => l.firstChild?.textContent));
    expect(names).toEqual(['POST /events', 'perkamo emit', 'POST']);
    const durations = await page.$$eval('.span-row .ms', (cells) => cells.map((c) => c.textContent));
    expect(durations.every((d) => /^\d+(\.\d)? ms$|^\d+\.\d\d s$/.test(d ?? ''))).toBe(true);
    expect(await page.textContent('#trace-meta')).toContain(requestId!);
    // The Perkamo call's attributes, request id included.
    await page.click('.span-row[data-kind="client"]');
    expect(await page.textContent('#detail tr[data-key="perkamo.request_id"] td:last-child')).toBe(requestId);
    expect(await page.textContent('#detail tr[data-key="http.response.status_code"] td:last-child')).toBe('200');
    expect(await page.getAttribute(`#trace-list a[data-trace-id="${traceId}"]`, 'aria-current')).toBe('true');

    // Live: another invocation shows up in the open page's list without a reload.
    await page.waitForSelector('#live[data-state="open"]');
    const before = await page.$$eval('#trace-list li', (items) => items.length);
    const next = traceparent();
    await emit('grace', next.header);
    await page.waitForSelector(`#trace-list a[data-trace-id="${next.traceId}"]`, { timeout: 5000 });
    expect(await page.$$eval('#trace-list li', (items) => items.length)).toBe(before + 1);
    expect(problems).toEqual([]);

    await page.goto(`${stack.urls.api}/traces#${traceId}`);
    await page.waitForSelector(`body[data-trace="${traceId}"]`);
    await page.click('.span-row[data-kind="client"]');
    const png = await page.screenshot({ path: screenshot, fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
