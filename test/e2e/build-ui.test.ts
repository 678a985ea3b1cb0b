/**
 * The web UI in a real browser, end to end against a real queen, a real drone process and
 * a real git repository: log in, create a project, trigger a build and watch its log
 * stream in, see its status change without a reload, cancel a running build, re-run it,
 * and get sent to the login page without a session.
 *
 * With HIVE_UPDATE_SCREENSHOT=1 it also writes docs/build-page.png (the README shows it).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { GitRepo } from '../helpers/git-repo.ts';
import type { TestQueen } from '../helpers/queen.ts';
import { step } from './browser.ts';
import { openUiStage, type UiStage } from './ui-stage.ts';

const PASSWORD = 'e2e-password-4711';
const SCREENSHOT = fileURLToPath(new URL('../../docs/build-page.png', import.meta.url));

// Prints `count` coloured lines, one per 100 ms, with a warning on stderr halfway.
const LINES_SH = `n=$(cat count)
i=1
while [ $i -le $n ]; do
  printf '\\033[32m✓\\033[0m line %d \\033[2m(%d ms)\\033[0m\\n' $i $((i * 100))
  if [ $i -eq 5 ]; then echo "warning: something to look at" >&2; fi
  i=$((i+1))
  sleep 0.1
done
printf '\\033[38;2;255;0;16mtrue colour\\033[0m\\n'
printf '\\033[1;32m%d passing\\033[0m\\n' $n
`;

let stage: UiStage;
let queen: TestQueen;
let repo: GitRepo;
let context: BrowserContext;
let page: Page;
let projectUrl: string;
let cspViolations: string[];

before(async () => {
  // Not signed in: the first test logs in through the form.
  ({ queen, repo, context, page, cspViolations } = stage = await openUiStage({
    password: PASSWORD,
    repoFiles: { 'lines.sh': LINES_SH, count: '20\n' },
    drone: { name: 'e2e-drone', capacity: 2 },
    signedIn: false,
    viewport: { width: 1280, height: 860 },
  }));
  await repo.commit({ branch: 'slow', files: { count: '3000\n' }, message: 'a long build' });
});

after(() => stage?.close());

const headerStatus = () => page.locator('#build-header').getAttribute('data-status');
const logLine = (text: string | RegExp) => page.locator('#log .ln-tx').filter({ hasText: text });

describe('web UI', { concurrency: false }, () => {
  it('sends an unauthenticated visit to the login page, and back after logging in', () => step(page, 'login', async () => {
    await page.goto(`${queen.url}/drones`);
    assert.match(page.url(), /\/login\?next=%2Fdrones$/);

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${queen.url}/drones`);
    await page.locator('tr[data-drone="e2e-drone"]').waitFor();
  }));

  it('creates a project pointing at a local git repository', () => step(page, 'create-project', async () => {
    await page.goto(`${queen.url}/`);
    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByLabel('Name', { exact: true }).fill('web-e2e');
    await page.getByLabel('Git URL').fill(repo.url);
    await page.locator('#f-phase-environment').fill('echo "sh: $(command -v sh)"');
    await page.locator('#f-phase-prepare').fill("printf '\\033[1mPreparing\\033[0m the workspace\\n'");
    await page.locator('#f-phase-test').fill('sh lines.sh');
    await page.locator('#f-phase-cleanup').fill('echo cleaned up');
    await page.getByLabel(/Environment variables/).fill('GREETING=hello');
    await page.getByRole('button', { name: 'Create project' }).click();
    // The generated webhook secret is shown once before going on to the project.
    assert.match((await page.locator('code.secret-value').textContent())!, /\S{16,}/);
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
    projectUrl = page.url();
    assert.equal(await page.locator('h1').textContent(), 'web-e2e');
    const project = (await queen.api('GET', `/api/projects/${projectUrl.split('/').pop()}`)).body;
    assert.deepEqual(project.config, {
      phases: { environment: ['echo "sh: $(command -v sh)"'], prepare: ["printf '\\033[1mPreparing\\033[0m the workspace\\n'"], test: ['sh lines.sh'], cleanup: ['echo cleaned up'] },
      env: { GREETING: 'hello' },
    });
  }));

  it('triggers a build and shows its log live, then its final status without a reload', () => step(page, 'live-build', async () => {
    await page.goto(projectUrl);
    await page.getByRole('button', { name: 'Run tests', exact: true }).click();
    await page.waitForURL(/\/builds\/[0-9a-f-]{36}$/);
    // Anything reloading the page would lose this marker.
    await page.evaluate(() => ((window as any).hiveMarker = 'same page'));

    await logLine(/line 3 \(/).waitFor();
    const early = await page.locator('#log').innerText();
    assert.ok(!early.includes('line 20 ('), 'line 3 shows while the build still runs');
    assert.ok(!['passed', 'failed'].includes((await headerStatus())!), 'the build is not over yet');

    await page.locator('#build-header[data-status="passed"]').waitFor();
    await logLine('20 passing').waitFor();
    assert.equal(await page.evaluate(() => (window as any).hiveMarker), 'same page');
    await page.locator('.phase[data-phase="test"] .cmd[data-state="passed"]').waitFor();
    assert.match((await page.locator('.phase[data-phase="test"] .cmd-exit').textContent())!, /exit 0/);
    await page.locator('#log-info', { hasText: 'complete' }).waitFor();

    // Colours are rendered, stderr is marked, each line links to itself.
    assert.ok(await page.locator('#log .ln-tx .f-c2', { hasText: '✓' }).count() > 0);
    // True colour is applied through the CSSOM (the CSP forbids style attributes).
    const trueColour = page.locator('#log .ln-tx [data-fg]', { hasText: 'true colour' });
    assert.equal(await trueColour.evaluate((el) => getComputedStyle(el).color), 'rgb(255, 0, 16)');
    await page.locator('#log .ln.err', { hasText: 'warning: something to look at' }).waitFor();
    const third = page.locator('#log .ln', { has: page.locator('.ln-tx', { hasText: /line 3 \(/ }) });
    await third.locator('a.ln-no').click();
    assert.match(page.url(), /#L\d+$/);
    // The highlight follows the hash change: wait for it rather than read it at once.
    await page.locator('#log .ln.hl', { has: page.locator('.ln-tx', { hasText: /line 3 \(/ }) }).waitFor();

    // The raw log downloads with the session cookie.
    const href = (await page.getByRole('link', { name: 'Download raw log' }).getAttribute('href'))!;
    const raw = await page.evaluate(async (url) => (await fetch(url)).text(), href);
    assert.match(raw, /\$ sh lines\.sh\n/);

    if (process.env.HIVE_UPDATE_SCREENSHOT === '1') {
      await page.goto(page.url().replace(/#.*$/, ''));
      await page.locator('#log-info', { hasText: 'complete' }).waitFor();
      await page.locator('#log').evaluate((el) => (el.scrollTop = 0));
      await page.locator('#log .ln-no', { hasText: /^1$/ }).waitFor();
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
    }
  }));

  it('cancels a running build and re-runs it', () => step(page, 'cancel-rerun', async () => {
    await page.goto(projectUrl);
    await page.locator('#run-branch').fill('slow');
    await page.getByRole('button', { name: 'Run tests', exact: true }).click();
    await page.waitForURL(/\/builds\/[0-9a-f-]{36}$/);
    const cancelledUrl = page.url();
    await logLine(/line 2 \(/).waitFor();

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#build-header[data-status="cancelled"]').waitFor();
    await page.locator('#build-header .alert', { hasText: 'Cancelled by admin' }).waitFor();

    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => /\/builds\/[0-9a-f-]{36}$/.test(url.pathname) && url.href !== cancelledUrl);
    await page.locator('#build-header', { hasText: 're-run of #' }).waitFor();
    await page.locator('#build-header .branch', { hasText: 'slow' }).waitFor();
    await logLine(/line 1 \(/).waitFor();
    await page.locator('#build-header[data-status="running"]').waitFor();

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#build-header[data-status="cancelled"]').waitFor();
  }));

  it('lists a new build on the project page and the dashboard as it happens', () => step(page, 'live-lists', async () => {
    await page.goto(projectUrl);
    await page.locator('#live-state[data-state="live"]').waitFor();
    const projectId = projectUrl.split('/').pop();
    const job = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body;
    await page.locator(`tr[data-job-id="${job.id}"]`).waitFor();
    await page.locator(`tr[data-job-id="${job.id}"][data-status="passed"]`).waitFor();

    await page.goto(`${queen.url}/`);
    const row = page.locator('tr[data-project-id]', { hasText: 'web-e2e' });
    await row.locator(`text=#${job.number}`).waitFor();
  }));

  it('shows a build that changed between the page\'s render and its subscription, on the project page and the dashboard', () => step(page, 'render-subscribe-gap', async () => {
    const held = await context.newPage();
    try {
      // The page's sockets open only when the test says so: what happens before is the gap.
      await held.addInitScript(() => {
        const Real = window.WebSocket;
        let released = false;
        const waiting: (() => void)[] = [];
        (window as unknown as { releaseSockets: () => void }).releaseSockets = () => {
          released = true;
          for (const open of waiting.splice(0)) open();
        };
        window.WebSocket = class extends Real {
          override set onopen(handler: ((ev: Event) => void) | null) {
            super.onopen = (ev: Event) => (released ? handler?.call(this, ev) : waiting.push(() => handler?.call(this, ev)));
          }
          override get onopen() {
            return super.onopen;
          }
        } as typeof WebSocket;
      });
      const projectId = projectUrl.split('/').pop()!;
      for (const [url, shows] of [
        [projectUrl, (job: { id: string }) => held.locator(`tr[data-job-id="${job.id}"][data-status="passed"]`)],
        [`${queen.url}/`, (job: { number: number }) => held.locator('tr[data-project-id]', { hasText: 'web-e2e' }).locator(`text=#${job.number}`)],
      ] as const) {
        await held.goto(url);
        const job = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body;
        await queen.waitForJob(job.id);
        await held.evaluate(() => (window as unknown as { releaseSockets: () => void }).releaseSockets());
        await shows(job).waitFor();
      }
    } finally {
      await held.close();
    }
  }));

  it('works under the Content-Security-Policy: no page broke a directive', () => {
    assert.deepEqual(cspViolations, []);
  });

  it('logs out', () => step(page, 'logout', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${queen.url}/`);
    assert.match(page.url(), /\/login$/);
  }));
});
