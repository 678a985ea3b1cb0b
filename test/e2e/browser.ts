/**
 * A real browser for end-to-end tests: Debian's chromium driven by playwright-core.
 * `.ci/run` installs chromium when it is missing; HIVE_CHROMIUM points elsewhere.
 * `step()` saves a screenshot to test-artifacts/ when what it wraps fails.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { logIn } from '../helpers/web-session.ts';

export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.HIVE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
}

/**
 * Collects the Content-Security-Policy violations Chromium reports in the console of any
 * page of `context`: the pages must work under the queen's CSP, so tests assert none.
 */
export function watchCsp(context: BrowserContext): string[] {
  const violations: string[] = [];
  context.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(`${msg.page()?.url() ?? '?'}: ${msg.text()}`);
  });
  return violations;
}

/** Runs `body`; on failure saves `test-artifacts/<name>.png` of the page, then rethrows. */
export async function step(page: Page, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const file = `${ARTIFACTS_DIR}${name.replace(/[^\w-]+/g, '-')}.png`;
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    throw Object.assign(err as Error, { message: `${(err as Error).message}\n(screenshot: ${file}; page: ${page.url()})` });
  }
}

/** A browser context already signed in (through the real login form) as `username`. */
export async function signedInContext(
  browser: Browser,
  baseUrl: string,
  username: string,
  password: string,
  viewport = { width: 1280, height: 900 },
): Promise<BrowserContext> {
  const { cookie } = await logIn(baseUrl, username, password);
  const eq = cookie.indexOf('=');
  const [name, value] = [cookie.slice(0, eq), cookie.slice(eq + 1)];
  const context = await browser.newContext({ viewport });
  await context.addCookies([{ name, value, url: baseUrl }]);
  return context;
}
