/**
 * What a browser test starts from: a queen with an admin password, a git repository,
 * chromium, a drone process when the test builds, and one page in a browser context —
 * signed in as the admin through the real login form, or not — whose Content-Security-
 * Policy violations are collected (the pages must work under the queen's CSP). `close()`
 * stops all of it, the browser first, whatever was started.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { launchBrowser, signedInContext, watchCsp } from './browser.ts';

export interface UiStageOptions {
  /** The admin's password (`HIVE_ADMIN_PASSWORD`). */
  password: string;
  /** More of the queen's environment. */
  queenEnv?: Record<string, string>;
  /** The repository's first commit. */
  repoFiles?: Record<string, string>;
  /** A drone process, for tests that build. */
  drone?: { name: string; capacity: number };
  /** Signed in as the admin (default), or a context without a session. */
  signedIn?: boolean;
  viewport?: { width: number; height: number };
  /** Accept every `confirm()` (Remove and Cancel buttons ask first). */
  acceptDialogs?: boolean;
}

export interface UiStage {
  queen: TestQueen;
  repo: GitRepo;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** CSP violations reported in any page of the context so far. */
  cspViolations: string[];
  close(): Promise<void>;
}

/** What was started so far: all of it is stopped on close, the drone included. */
type Started = Partial<UiStage> & { drone?: TestDrone };

export async function openUiStage(options: UiStageOptions): Promise<UiStage> {
  const started: Started = {};
  try {
    [started.queen, started.repo, started.browser] = await Promise.all([
      startTestQueen({ HIVE_ADMIN_PASSWORD: options.password, ...options.queenEnv }),
      createGitRepo({ files: options.repoFiles ?? { 'README.md': 'a browser test\n' } }),
      launchBrowser(),
    ]);
    const { queen, browser } = started;
    if (options.drone) started.drone = await connectDrone(queen, options.drone);
    const viewport = options.viewport ?? { width: 1280, height: 900 };
    const context = options.signedIn === false
      ? await browser.newContext({ viewport })
      : await signedInContext(browser, queen.url, 'admin', options.password, viewport);
    started.context = context;
    const cspViolations = watchCsp(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    if (options.acceptDialogs) page.on('dialog', (dialog) => void dialog.accept());
    return { queen, repo: started.repo, browser, context, page, cspViolations, close: () => closeStage(started) };
  } catch (err) {
    await closeStage(started);
    throw err;
  }
}

/** Stops what was started, the browser first (its pages hold connections to the queen). */
async function closeStage(stage: Started): Promise<void> {
  await stage.context?.close().catch(() => {});
  await stage.browser?.close();
  await stage.drone?.stop();
  await stage.queen?.stop();
  await stage.repo?.cleanup();
}
