/** Shared by the web UI benchmarks: a queen with a logged-in browser. */
import type { BrowserContext } from 'playwright-core';
import { launchBrowser, signedInContext } from '../test/e2e/browser.ts';
import { startTestQueen, type TestQueen } from '../test/helpers/queen.ts';

export const PASSWORD = 'bench-password-1';

export async function loggedInBrowser(): Promise<{ queen: TestQueen; context: BrowserContext; close(): Promise<void> }> {
  const queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
  const browser = await launchBrowser();
  const context = await signedInContext(browser, queen.url, 'admin', PASSWORD);
  return {
    queen,
    context,
    async close() {
      await browser.close();
      await queen.stop();
    },
  };
}
