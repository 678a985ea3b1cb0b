/**
 * Runs in a real browser against a real queen and drone: start a run of 3 from the project
 * page, watch it on its page go to passed without a reload, re-run and cancel it there;
 * the project page shows runs as one row with their builds folded under it, and a matrix
 * run takes the place of its first build live; a build of a run links to its run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { GitRepo } from '../helpers/git-repo.ts';
import type { TestQueen } from '../helpers/queen.ts';
import { step } from './browser.ts';
import { openUiStage, type UiStage } from './ui-stage.ts';
import { createJobGates, GATE_SCRIPT, GATED_COMMAND, type JobGates } from '../helpers/job-gates.ts';

const PASSWORD = 'e2e-password-runs-4711';

let stage: UiStage;
let queen: TestQueen;
let gates: JobGates;
let page: Page;
let projectId: string;
let cspViolations: string[];

before(async () => {
  gates = await createJobGates();
  let repo: GitRepo;
  ({ queen, repo, page, cspViolations } = stage = await openUiStage({
    password: PASSWORD,
    repoFiles: { 'wait.sh': GATE_SCRIPT + 'echo "gate $1"\n' },
    drone: { name: 'e2e-runs', capacity: 2 },
    acceptDialogs: true, // the Cancel form asks first
  }));
  await repo.commit({
    branch: 'matrix',
    files: { '.hive.yml': 'matrix:\n  NODE: ["18", "20"]\nphases:\n  test:\n    - sh wait.sh "$HIVE_JOB_ID"\n' },
  });
  projectId = (await queen.api('POST', '/api/projects', {
    name: 'runs-ui', repoUrl: repo.url, config: { env: gates.env, phases: { test: [GATED_COMMAND] } },
  })).body.id;
});

after(async () => {
  await stage?.close();
  await gates?.remove();
});

const open = (jobId: string) => gates.open(jobId);
const runStatus = () => page.locator('#run-body').getAttribute('data-status');
const runJobIds = () => page.locator('#run-builds tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.jobId!));

describe('runs in the web UI', { concurrency: false }, () => {
  let runUrl: string;

  it('starts a run of 3 from the project page and follows it live to passed', () => step(page, 'run-start', async () => {
    await page.goto(`${queen.url}/projects/${projectId}`);
    await page.getByLabel('Times').fill('3');
    await page.getByRole('button', { name: 'Run tests', exact: true }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    runUrl = page.url();
    await page.getByRole('heading', { name: /Run/ }).waitFor();
    assert.equal(await page.locator('#run-builds tbody tr').count(), 3);
    assert.match(await page.locator('.facts').innerText(), /3 builds of one commit/);
    const ids = await runJobIds();
    for (const id of ids) await open(id);
    await page.locator('#run-body[data-status="passed"]').waitFor();
    assert.match(await page.locator('#run-counts').innerText(), /3 passed/);
    assert.equal(await page.locator('#run-builds tbody tr[data-status="passed"]').count(), 3);
  }));

  it('re-runs the run, then cancels the new one, from its page', () => step(page, 'run-rerun-cancel', async () => {
    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => /\/runs\//.test(url.pathname) && url.href !== runUrl);
    assert.equal(await page.locator('#run-builds tbody tr').count(), 3);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#run-body[data-status="cancelled"]').waitFor();
    assert.equal(await runStatus(), 'cancelled');
    assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0, 'nothing left to cancel');
  }));

  it('shows runs as one row with their builds folded under it, and a matrix run takes its first build\'s place live', () => step(page, 'run-rows', async () => {
    await page.goto(`${queen.url}/projects/${projectId}`);
    const runRows = page.locator('#builds tr.run-row');
    assert.equal(await runRows.count(), 2, 'the two runs');
    assert.equal(await page.locator('#builds tr.run-member:visible').count(), 0, 'folded');
    const first = runRows.first();
    assert.equal(await first.getAttribute('data-status'), 'cancelled');
    await first.getByRole('button', { name: '3 builds' }).click();
    assert.equal(await page.locator(`#builds tr.run-member:visible`).count(), 3);

    // A matrix: the job is a build of its own until its commit is read, then a run of two.
    await page.locator('#live-state[data-state="live"]').waitFor(); // the page follows changes from now on
    const jobId = (await queen.api('POST', `/api/projects/${projectId}/jobs`, { branch: 'matrix' })).body.id;
    const matrixRun = page.locator('#builds tr.run-row').first();
    await page.locator('#builds tr.run-row').nth(2).waitFor();
    await matrixRun.getByRole('button', { name: '2 builds' }).waitFor();
    assert.equal(await page.locator(`#builds tr[data-job-id="${jobId}"]`).count(), 0, 'no longer alone');
    const { runId } = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    const ids = (await queen.api('GET', `/api/runs/${runId}`)).body.jobs.map((j: { id: string }) => j.id);
    assert.equal(ids.length, 2);
    for (const id of ids) await open(id);
    await page.locator('#builds tr.run-row[data-status="passed"]').first().waitFor();
    await matrixRun.getByRole('button', { name: '2 builds' }).click();
    await page.locator('#builds tr.run-member .job-name', { hasText: 'NODE=18' }).waitFor();
    await page.locator('#builds tr.run-member .job-name', { hasText: 'NODE=20' }).waitFor();
  }));

  it('lists a run\'s builds one by one when the list is filtered, each with its name and run', () => step(page, 'run-filtered', async () => {
    await page.goto(`${queen.url}/projects/${projectId}?branch=matrix`);
    assert.equal(await page.locator('#builds tr.run-row').count(), 0);
    assert.deepEqual(await page.locator('#builds tbody tr .job-name').allInnerTexts(), ['NODE=20', 'NODE=18']);
    assert.equal(await page.locator('#builds tbody tr a.tag', { hasText: 'run' }).count(), 2);
    await page.goto(`${queen.url}/projects/${projectId}`);
    await page.locator('#builds tr.run-row').first().getByRole('button', { name: '2 builds' }).click();
  }));

  it('links a build of a run to its run', () => step(page, 'build-run-link', async () => {
    await page.locator('#builds tr.run-member a', { hasText: /^#\d+$/ }).first().click();
    await page.waitForURL(/\/builds\//);
    await page.locator('#build-run').click();
    await page.waitForURL(/\/runs\//);
    await page.locator('#run-body[data-status="passed"]').waitFor();
    assert.equal(await page.locator('#run-builds .job-name').count(), 2);
  }));

  it('keeps a run unfolded when the list is read again as the page goes live', () => step(page, 'run-fold-kept', async () => {
    // The list read again once the page's live socket opens is held until the run is unfolded.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const reloadAsked = new Promise<void>((resolve) => (asked = resolve));
    const listUrl = `${queen.url}/projects/${projectId}`;
    await page.route(listUrl, async (route) => {
      if (route.request().resourceType() !== 'fetch') return route.continue();
      asked();
      await held;
      await route.continue();
    });
    try {
      await page.goto(listUrl);
      await reloadAsked;
      // Rows as first rendered are marked: the reload replaces them all.
      await page.evaluate(() => document.querySelectorAll('#builds tbody tr').forEach((tr) => tr.setAttribute('data-first-render', '')));
      await page.locator('#builds tr.run-row').first().getByRole('button', { name: '2 builds' }).click();
      await page.locator('#builds tr.run-member').first().waitFor();
      release();
      await page.waitForFunction(() => document.querySelectorAll('#builds tbody tr[data-first-render]').length === 0);
      assert.equal(await page.locator('#builds tr.run-row').first().getByRole('button', { name: '2 builds' }).getAttribute('aria-expanded'), 'true');
      assert.equal(await page.locator('#builds tr.run-member:visible').count(), 2, 'the run\'s builds are still shown');
    } finally {
      release();
      await page.unroute(listUrl);
    }
  }));

  it('breaks no content security rule', () => {
    assert.deepEqual(cspViolations, []);
  });
});
