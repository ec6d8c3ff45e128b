// The demo page in headless Chromium (Debian's `chromium` driven by playwright-core): sign in,
// mint a stream token, subscribe, press buttons, watch the page update live.
//
// Locally the test is skipped, with a message, when /usr/bin/chromium is missing; in CI
// (`CI` set) it fails instead — .ci/run installs Chromium first. The screenshot in docs/demo.png
// is written when missing or with UPDATE_DEMO_SCREENSHOT=1 (else to the OS temp directory).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../dev/stack/stack.ts';
import { launchChromium, pageWithProblems, screenshotPath, screenshotPorts, skipWithoutChromium } from '../helpers/chromium.ts';

const screenshot = screenshotPath('demo.png');

describe.skipIf(skipWithoutChromium('browser test'))('demo page in headless Chromium', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // The picture in docs/ shows what `npm start` shows: the default ports.
    stack = await startLocalStack({ ports: screenshotPorts(screenshot), otel: true, env: { LOG_LEVEL: 'error' } });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('signs in, subscribes, and shows points, level and perks changing live', async () => {
    const { page, problems } = await pageWithProblems(browser!, 1100);

    await page.goto(stack.urls.page);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#user-id', 'ada');
    await page.click('#signin-button');
    await page.waitForSelector('#session[data-state="signed-in"]');
    await page.waitForSelector('#stream-state[data-state="open"]');
    await expect.poll(() => page.textContent('#points')).toBe('0');
    expect(stack.emulator.streamCount()).toBe(1);
    // The perks still to unlock, and what unlocks each, come from GET /program (the program function).
    await page.waitForSelector('#perks li[data-perk="loyal_customer"][data-unlocked="false"]');
    expect(await page.textContent('#perks li[data-perk="loyal_customer"] .state')).toBe('locked · unlocks at 500 points');
    expect(await page.textContent('#perks li[data-perk="welcome_member"] .state')).toBe('locked · unlocks on user.registered');
    const perkCount = await page.$$eval('#perks li', (items) => items.length);
    expect(await page.textContent('#perks-to-unlock')).toBe(`${perkCount} of ${perkCount} still to unlock`);
    expect(stack.emulator.ledger().requests.by_route['GET /v1/program']).toBe(1);

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
    expect(await page.textContent('#perks-to-unlock')).toBe(`${perkCount - 2} of ${perkCount} still to unlock`);

    // Every click went through the emit function to the emulator.
    const mine = stack.emulator.ledger().events.filter((e) => e.user_id === 'ada');
    expect(mine.map((e) => e.event)).toEqual(['purchase.completed', 'user.registered', 'lesson.finished', 'page.viewed', 'referral.completed']);
    expect(mine.every((e) => e.transaction_id.startsWith('demo:'))).toBe(true);
    // Each event's log line links to its trace (the layer exports to the stack: the traces page).
    expect(await page.$$eval('#log a.trace-link', (links) => links.length)).toBe(5);
    expect(problems).toEqual([]);

    await page.waitForTimeout(450); // let the last bar and colour transitions settle
    const png = await page.screenshot({ path: screenshot, fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
