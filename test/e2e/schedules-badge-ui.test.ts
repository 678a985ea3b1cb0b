/**
 * Schedules and the status badge in a real browser: schedules added, edited and removed
 * on the settings page (a wrong cron expression names the schedule and focuses its field),
 * listed on the project page with their next firing and run from there; the badge's
 * preview and Markdown on the settings page, copied with its button, and the switch that
 * makes the project private — all under the queen's Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { GitRepo } from '../helpers/git-repo.ts';
import type { TestQueen } from '../helpers/queen.ts';
import { step } from './browser.ts';
import { openUiStage, type UiStage } from './ui-stage.ts';

const PASSWORD = 'e2e-schedules-password';

let stage: UiStage;
let queen: TestQueen;
let repo: GitRepo;
let context: BrowserContext;
let page: Page;
let projectId: string;
let cspViolations: string[];

before(async () => {
  ({ queen, repo, context, page, cspViolations } = stage = await openUiStage({
    password: PASSWORD,
    queenEnv: { HIVE_PUBLIC_URL: 'https://ci.example.com' },
    repoFiles: { '.hive.yml': 'phases:\n  test: echo "target=$TARGET"\n' },
    drone: { name: 'ui-drone', capacity: 1 },
    viewport: { width: 1200, height: 1000 },
  }));
  const created = await queen.api('POST', '/api/projects', {
    name: 'web app', repoUrl: repo.url, parameters: [{ name: 'TARGET', default: 'none' }],
  });
  projectId = created.body.id;
});

after(() => stage?.close());

const project = async () => (await queen.api('GET', `/api/projects/${projectId}`)).body;

describe('schedules and badge in the web UI', { concurrency: false }, () => {
  it('adds schedules on the settings page; a wrong cron expression names the schedule and takes the focus', () => step(page, 'schedules-add', async () => {
    await page.goto(`${queen.url}/projects/${projectId}/settings`);
    const form = page.getByRole('form', { name: 'Schedules' });
    await form.getByRole('button', { name: 'Add schedule' }).click();
    const first = form.locator('.array-item').nth(0);
    await first.getByLabel('Name', { exact: true }).fill('nightly');
    await first.getByLabel('Cron expression').fill('0 3 * *');
    await first.getByLabel('Time zone').fill('Europe/Berlin');
    await first.getByLabel('Build').selectOption('TEST_AND_DEPLOY');
    await first.getByLabel(/Parameters/).fill('TARGET=staging');
    await form.getByRole('button', { name: 'Add schedule' }).click();
    const second = form.locator('.array-item').nth(1);
    await second.getByLabel('Name', { exact: true }).fill('weekly');
    await second.getByLabel('Cron expression').fill('0 4 * * 0');
    await second.getByLabel('Enabled').uncheck();

    await form.getByRole('button', { name: 'Save schedules' }).click();
    await form.getByRole('alert').filter({ hasText: 'schedule "nightly"' }).waitFor();
    assert.match(await form.getByRole('alert').textContent() ?? '', /schedules\[0\]\.cron: schedule "nightly": "0 3 \* \*" has 4 fields/);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'cron');
    assert.deepEqual((await project()).schedules, [], 'nothing saved');

    await first.getByLabel('Cron expression').fill('0 3 * * *');
    await form.getByRole('button', { name: 'Save schedules' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).schedules, [
      { name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin', type: 'TEST_AND_DEPLOY', params: { TARGET: 'staging' }, enabled: true },
      { name: 'weekly', cron: '0 4 * * 0', type: 'TEST', enabled: false },
    ]);
  }));

  it('lists the schedules on the project page with their next firing, and runs one now', () => step(page, 'schedules-project-page', async () => {
    await page.goto(`${queen.url}/projects/${projectId}`);
    const table = page.getByRole('table', { name: 'Schedules of this project' });
    const nightly = table.getByRole('row').filter({ hasText: 'nightly' });
    assert.match(await nightly.textContent() ?? '', /0 3 \* \* \*\s*Europe\/Berlin/);
    assert.match(await nightly.locator('time').textContent() ?? '', / 03:00:00 (CET|CEST|GMT\+[12])$/);
    assert.match(await table.getByRole('row').filter({ hasText: 'weekly' }).textContent() ?? '', /disabled/);

    await nightly.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/builds\//);
    await page.getByText('scheduled (nightly) by admin').waitFor();
    const jobId = page.url().split('/').pop()!;
    const job = await queen.waitForJob(jobId);
    assert.equal(job.type, 'TEST_AND_DEPLOY');
    assert.deepEqual(job.params, { TARGET: 'staging' });
  }));

  it('removes every schedule', () => step(page, 'schedules-remove', async () => {
    await page.goto(`${queen.url}/projects/${projectId}/settings`);
    const form = page.getByRole('form', { name: 'Schedules' });
    await form.getByRole('button', { name: 'Remove this schedule' }).first().click();
    await form.getByRole('button', { name: 'Remove this schedule' }).first().click();
    await form.getByRole('button', { name: 'Save schedules' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).schedules, []);
  }));

  it('shows the badge with its Markdown, copies it, and makes the project private', () => step(page, 'badge-settings', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: queen.url });
    await page.goto(`${queen.url}/projects/${projectId}/settings#badge-section`);
    const section = page.locator('#badge-section');
    const preview = section.getByRole('img', { name: 'Build status of main' });
    await preview.waitFor();
    assert.ok(await preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the badge loads in an <img>');
    const markdown = `[![build](https://ci.example.com/badge/web%20app.svg?branch=main)](https://ci.example.com/projects/${projectId})`;
    assert.equal(await section.locator('#badge-markdown').textContent(), markdown);
    await section.getByRole('button', { name: 'Copy' }).click();
    await section.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), markdown);

    await section.getByLabel('Private').check();
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal((await project()).private, true);
    assert.equal((await fetch(`${queen.url}/badge/web%20app.svg`)).status, 404, 'strangers no longer see it');
    await page.reload();
    assert.ok(await section.getByRole('img', { name: 'Build status of main' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      'signed in, the preview still shows');
    assert.deepEqual(cspViolations, []);
  }));
});
