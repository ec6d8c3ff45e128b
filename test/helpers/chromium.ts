// The browser tests' shared plumbing: Debian's Chromium through playwright-core (no browser
// download), skipped locally with a message when it is missing and failing in CI (`CI` set:
// .ci/run installs it first); and the pictures kept in docs/.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultPorts } from '../../dev/stack/dev-config.ts';
import { projectRoot } from '../../dev/stack/lambda.ts';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
const inCi = Boolean(process.env.CI);

/** True when the browser tests must be skipped (locally, without Chromium); says so once per file. */
export function skipWithoutChromium(what: string): boolean {
  const skip = !haveChromium && !inCi;
  if (skip) console.warn(`[${what}] skipped: no Chromium at ${executablePath}. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); in CI this test fails instead.`);
  return skip;
}

export async function launchChromium(): Promise<Browser> {
  if (!haveChromium) throw new Error(`Chromium not found at ${executablePath}: .ci/run installs Debian's chromium (apt-get install -y chromium) before npm test`);
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page whose script errors and console errors are collected in the returned list. */
export async function pageWithProblems(browser: Browser, width: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 860 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  return { page, problems };
}

/** docs/<name> when it is missing or UPDATE_DEMO_SCREENSHOT=1, else a file in the OS temp directory. */
export function screenshotPath(name: string): string {
  const kept = join(projectRoot(), 'docs', name);
  return !existsSync(kept) || process.env.UPDATE_DEMO_SCREENSHOT === '1' ? kept : join(tmpdir(), `perkamo-${name}`);
}

/**
 * The ports a browser test's stack uses: `npm start`'s defaults (3000, 4001, 4566) when the test
 * writes the picture kept in docs/ — it shows what a user sees — and free ports otherwise.
 */
export function screenshotPorts(screenshot: string): { api: number; emulator: number; sqs: number } {
  return screenshot.startsWith(join(projectRoot(), 'docs')) ? { ...defaultPorts } : { api: 0, emulator: 0, sqs: 0 };
}
