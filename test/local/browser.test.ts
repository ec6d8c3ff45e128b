// The demo page in headless Chromium (Debian's `chromium` driven by playwright-core): sign in,
// mint a stream token, subscribe, press buttons, watch the page update live.
//
// Locally the test is skipped, with a message, when /usr/bin/chromium is missing; in CI
// (`CI` set) it fails instead — .ci/run installs Chromium first. The screenshot in docs/demo.png
// is written when missing or with UPDATE_DEMO_SCREENSHOT=1 (else to the OS temp directory).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/local/lambda.ts';
import { startLocalStack, type LocalStack } from '../../src/local/stack.ts';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
const inCi = Boolean(process.env.CI);
if (!haveChromium && !inCi) {
  console.warn(`[browser test] skipped: no Chromium at ${executablePath}. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); in CI this test fails instead.`);
}

const root = projectRoot();
const screenshot = !existsSync(join(root, 'docs/demo.png')) || process.env.UPDATE_DEMO_SCREENSHOT === '1' ? join(root, 'docs/demo.png') : join(tmpdir(), 'perkamo-demo.png');

describe.skipIf(!haveChromium && !inCi)('demo page in headless Chromium', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`Chromium not found at ${executablePath}: .ci/run installs Debian's chromium (apt-get install -y chromium) before npm test`);
    stack = await startLocalStack({ ports: { api: 0, emulator: 0, sqs: 0 }, env: { LOG_LEVEL: 'error' } });
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('signs in, subscribes, and shows points, level and perks changing live', async () => {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 860 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));

    await page.goto(stack.urls.page);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#user-id', 'ada');
    await page.click('#signin-button');
    await page.waitForSelector('#session[data-state="signed-in"]');
    await page.waitForSelector('#stream-state[data-state="open"]');
    await expect.poll(() => page.textContent('#points')).toBe('0');
    expect(stack.emulator.streamCount()).toBe(1);

    await page.fill('#amount', '12900');
    await page.click('#btn-purchase');
    // 12900 cents → floor(12900 / 100) = 129 points: level 2 (Regular), 29 of 150 towards level 3.
    await expect.poll(() => page.textContent('#points'), { timeout: 5000 }).toBe('129');
    expect(await page.textContent('#level')).toBe('2');
    expect(await page.textContent('#level-name')).toBe('Regular');
    expect(await page.getAttribute('.progress', 'aria-valuenow')).toBe('19');

    expect(await page.isHidden('#member-badge')).toBe(true);
    await page.click('#btn-registered');
    await page.waitForSelector('#perks li[data-perk="welcome_member"][data-unlocked="true"]');
    // The badge comes from GET /customer (the customer function), not from the stream.
    await page.waitForSelector('#member-badge:not([hidden])');
    await expect.poll(() => page.textContent('#points')).toBe('179');
    await page.click('#btn-lesson');
    await expect.poll(() => page.textContent('#xp')).toBe('10');
    await page.click('#btn-page');
    await expect.poll(() => page.textContent('#xp')).toBe('11');
    await page.click('#btn-referral');
    await expect.poll(() => page.textContent('#points')).toBe('284');
    await page.waitForSelector('#perks li[data-perk="ambassador"][data-unlocked="true"]');
    expect(await page.textContent('#level')).toBe('3');

    // Every click went through the emit function to the emulator.
    const mine = stack.emulator.ledger().events.filter((e) => e.user_id === 'ada');
    expect(mine.map((e) => e.event)).toEqual(['purchase.completed', 'user.registered', 'lesson.finished', 'page.viewed', 'referral.completed']);
    expect(mine.every((e) => e.transaction_id.startsWith('demo:'))).toBe(true);
    expect(problems).toEqual([]);

    await page.waitForTimeout(450); // let the last bar and colour transitions settle
    const png = await page.screenshot({ path: screenshot, fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
