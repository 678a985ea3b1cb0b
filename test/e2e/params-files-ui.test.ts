/**
 * Build parameters and uploaded files in a real browser: parameters declared on the
 * settings page (a default outside the choices names the parameter and takes the focus),
 * then a build run from the project page's form with a choice from a select, a text value
 * and a file picked in the file dialog — the build page shows the values and the file, and
 * the build's commands print them. All under the queen's Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { GitRepo } from '../helpers/git-repo.ts';
import type { TestQueen } from '../helpers/queen.ts';
import { step } from './browser.ts';
import { openUiStage, type UiStage } from './ui-stage.ts';

const PASSWORD = 'e2e-params-password';

let stage: UiStage;
let queen: TestQueen;
let repo: GitRepo;
let page: Page;
let projectId: string;
let cspViolations: string[];

before(async () => {
  ({ queen, repo, page, cspViolations } = stage = await openUiStage({
    password: PASSWORD,
    repoFiles: { '.hive.yml': 'phases:\n  test:\n    - echo "deploying $VERSION to $TARGET"\n    - cat release-notes.txt\n' },
    drone: { name: 'params-ui-drone', capacity: 1 },
    viewport: { width: 1200, height: 1000 },
  }));
  projectId = (await queen.api('POST', '/api/projects', { name: 'release', repoUrl: repo.url })).body.id;
});

after(() => stage?.close());

const project = async () => (await queen.api('GET', `/api/projects/${projectId}`)).body;

describe('parameters and files in the web UI', { concurrency: false }, () => {
  it('declares parameters on the settings page; a default outside the choices is named and focused', () => step(page, 'params-settings', async () => {
    await page.goto(`${queen.url}/projects/${projectId}/settings`);
    const form = page.getByRole('form', { name: 'Parameters' });
    await form.getByRole('button', { name: 'Add parameter' }).click();
    const target = form.locator('.array-item').nth(0);
    await target.getByLabel('Name', { exact: true }).fill('TARGET');
    await target.getByLabel('Description').fill('Where the release goes');
    await target.getByLabel('Choices').fill('staging\nproduction');
    await target.getByLabel('Default').fill('prod');
    await form.getByRole('button', { name: 'Add parameter' }).click();
    const version = form.locator('.array-item').nth(1);
    await version.getByLabel('Name', { exact: true }).fill('VERSION');
    await version.getByLabel('Default').fill('1.0');

    await form.getByRole('button', { name: 'Save parameters' }).click();
    await form.getByRole('alert').filter({ hasText: 'parameters[0].default: must be one of the choices ("staging", "production")' }).waitFor();
    assert.equal(await target.getByLabel('Default').evaluate((el) => el === document.activeElement), true, 'the default takes the focus');
    assert.deepEqual((await project()).parameters, [], 'nothing saved');

    await target.getByLabel('Default').fill('staging');
    await form.getByRole('button', { name: 'Save parameters' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).parameters, [
      { name: 'TARGET', description: 'Where the release goes', default: 'staging', choices: ['staging', 'production'] },
      { name: 'VERSION', default: '1.0' },
    ]);
  }));

  it('runs a build with a chosen value, a typed value and a file from the file dialog', () => step(page, 'params-run', async () => {
    await page.goto(`${queen.url}/projects/${projectId}`);
    const form = page.locator('form[action$="/run"]');
    const target = form.getByLabel('TARGET');
    assert.equal(await target.evaluate((el) => el.tagName), 'SELECT');
    assert.equal(await target.inputValue(), 'staging', 'the default is chosen');
    await form.getByText('Where the release goes').waitFor();
    const version = form.getByLabel('VERSION');
    assert.equal(await version.inputValue(), '1.0', 'the default is filled in');

    await target.selectOption('production');
    await version.fill('2.5.0');
    const chooser = page.waitForEvent('filechooser');
    await form.getByLabel(/^Files/).click();
    await (await chooser).setFiles([{ name: 'release-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Fixed the flux capacitor.\n') }]);
    await form.getByRole('button', { name: 'Run tests', exact: true }).click();

    await page.waitForURL(/\/builds\/[0-9a-f-]{36}$/);
    const params = page.locator('#build-params');
    await params.filter({ hasText: 'TARGET = production' }).waitFor();
    await params.filter({ hasText: 'VERSION = 2.5.0' }).waitFor();
    await page.locator('#build-files').filter({ hasText: 'release-notes.txt 26 B' }).waitFor();
    await page.locator('#build-header[data-status="passed"]').waitFor();
    await page.locator('#log .ln-tx').filter({ hasText: 'deploying 2.5.0 to production' }).waitFor();
    await page.locator('#log .ln-tx').filter({ hasText: 'Fixed the flux capacitor.' }).waitFor();

    const jobId = page.url().split('/').pop()!;
    const job = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    assert.deepEqual(job.params, { TARGET: 'production', VERSION: '2.5.0' });
    assert.equal(job.trigger.source.type, 'ui');
  }));

  it('says on the project page why a run was refused, keeping nothing', () => step(page, 'params-refused', async () => {
    await queen.api('PATCH', `/api/projects/${projectId}`, { parameters: [{ name: 'TARGET', choices: ['staging'] }] });
    // The page still offers "production": the declarations changed after it was loaded.
    await page.goto(`${queen.url}/projects/${projectId}`);
    await page.evaluate(() => {
      const select = document.querySelector<HTMLSelectElement>('select[name="param.TARGET"]')!;
      select.add(new Option('production', 'production', true, true));
    });
    await page.locator('form[action$="/run"]').getByRole('button', { name: 'Run tests', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'params.TARGET: "production" is not one of the choices ("staging")' }).waitFor();
    const { jobs } = (await queen.api('GET', `/api/projects/${projectId}/jobs`)).body;
    assert.equal(jobs.length, 1, 'only the first build');
    assert.deepEqual(cspViolations, []);
  }));
});
