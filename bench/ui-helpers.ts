/** Shared by the web UI benchmarks: a queen with a logged-in browser. */
import type { BrowserContext } from 'playwright-core';
import { launchBrowser } from '../test/e2e/browser.ts';
import { startTestQueen, type TestQueen } from '../test/helpers/queen.ts';

export const PASSWORD = 'bench-password-1';

export async function loggedInBrowser(): Promise<{ queen: TestQueen; context: BrowserContext; close(): Promise<void> }> {
  const queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
  const res = await fetch(`${queen.url}/login`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'admin', password: PASSWORD }),
  });
  const value = /hive_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies([{ name: 'hive_session', value, url: queen.url }]);
  return {
    queen,
    context,
    async close() {
      await browser.close();
      await queen.stop();
    },
  };
}
