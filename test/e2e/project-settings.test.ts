/**
 * A project's settings page in a real browser: plugins added from their generated forms,
 * reordered with the keyboard-usable buttons, switched off and saved in order; a plugin
 * config error pointing at its field; write-only secrets; branch rules; the forge token;
 * a page opened before someone else's change, whose save is refused (the project's version
 * as If-Match); and a build run by a real drone that uses what was set.
 *
 * With HIVE_UPDATE_SCREENSHOT=1 it also writes docs/settings-plugins.png (the README shows it).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { GitRepo } from '../helpers/git-repo.ts';
import type { TestQueen } from '../helpers/queen.ts';
import { step } from './browser.ts';
import { openUiStage, type UiStage } from './ui-stage.ts';

const PASSWORD = 'e2e-settings-password';
const SECRET_VALUE = 's3cr3t-value-from-the-browser';
const FORGE_TOKEN = 'ghp_forge-token-typed-in-the-browser';

const REGISTRY_PASSWORD = 'ghp_settings-page-registry-token';
let stage: UiStage;
let queen: TestQueen;
let page: Page;
let projectId: string;
let settingsUrl: string;
let cspViolations: string[];

before(async () => {
  let repo: GitRepo;
  ({ queen, repo, page, cspViolations } = stage = await openUiStage({
    password: PASSWORD,
    repoFiles: { 'README.md': 'settings e2e\n' },
    drone: { name: 'settings-drone', capacity: 1 },
    viewport: { width: 1100, height: 900 },
    acceptDialogs: true, // the confirm() of Remove buttons
  }));
  const created = await queen.api('POST', '/api/projects', {
    name: 'settings-e2e', repoUrl: repo.url, config: { phases: { test: ['echo "greeting=$GREETING token=$TOKEN"'] } },
  });
  projectId = created.body.id;
  settingsUrl = `${queen.url}/projects/${projectId}/settings`;
});

after(() => stage?.close());

const project = async () => (await queen.api('GET', `/api/projects/${projectId}`)).body;
const card = (name: string) => page.locator(`.plugin-card[data-plugin="${name}"]`);
const pluginsForm = () => page.locator('#plugins-section form');
const focusedLabel = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? null);

describe('project settings page', { concurrency: false }, () => {
  it('adds plugins from their generated forms, reorders and disables them, and saves them in order', () => step(page, 'settings-plugins', async () => {
    await page.goto(settingsUrl);
    await page.locator('#plugins-section [data-plugins-empty]').waitFor();

    await page.getByLabel('Add a plugin').selectOption('env');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await card('env').getByLabel('Vars').fill('GREETING=hello from settings');
    await card('env').getByLabel('Secrets').fill('TOKEN=API_TOKEN');

    await page.getByLabel('Add a plugin').selectOption('node');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await card('node').getByLabel('Version').fill('22');
    await card('node').getByLabel('Image').uncheck();
    await card('node').getByLabel('Install').selectOption('none');

    // Keyboard use: the moved card keeps the focus on its button.
    await page.getByRole('button', { name: 'Move node up' }).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await page.locator('.plugin-card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.plugin)), ['node', 'env']);
    assert.equal(await focusedLabel(), 'Move node down', 'node is first now, so focus moved to its other arrow');
    await card('node').getByLabel('Enabled').uncheck();

    await pluginsForm().getByRole('button', { name: 'Save plugins' }).click();
    await pluginsForm().getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).plugins, [
      { name: 'node', enabled: false, config: { version: '22', image: false, install: 'none' } },
      { name: 'env', enabled: true, config: { vars: { GREETING: 'hello from settings' }, secrets: { TOKEN: 'API_TOKEN' } } },
    ]);

    // What was saved is what the page shows after a reload.
    await page.reload();
    if (process.env.HIVE_UPDATE_SCREENSHOT === '1') {
      await page.locator('#plugins-section').screenshot({ path: fileURLToPath(new URL('../../docs/settings-plugins.png', import.meta.url)) });
    }
    assert.equal(await card('node').getByLabel('Version').inputValue(), '22');
    assert.equal(await card('node').getByLabel('Enabled').isChecked(), false);
    assert.equal(await card('node').getByLabel('Install').inputValue(), 'none');
    assert.equal(await card('env').getByLabel('Vars').inputValue(), 'GREETING=hello from settings');
  }));

  it('names the plugin field the queen refused, and saves nothing', () => step(page, 'settings-plugin-error', async () => {
    await card('node').getByLabel('Version').fill('not a version!');
    await pluginsForm().getByRole('button', { name: 'Save plugins' }).click();
    await pluginsForm().getByRole('alert').filter({ hasText: 'plugins[0].config.version' }).waitFor();
    assert.equal(await card('node').getByLabel('Version').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'version');
    assert.equal((await project()).plugins[0].config.version, '22', 'nothing changed');

    await card('node').getByLabel('Remove node').click();
    await pluginsForm().getByRole('button', { name: 'Save plugins' }).click();
    await pluginsForm().getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).plugins.map((p: { name: string }) => p.name), ['env']);
  }));

  it('edits a list of objects item by item (docker services), and points at an item\'s refused field', () => step(page, 'settings-plugin-list-of-objects', async () => {
    await page.getByLabel('Add a plugin').selectOption('docker');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const docker = card('docker');
    await docker.getByRole('button', { name: 'Add service' }).click();
    await docker.locator('.array-item').nth(0).getByLabel(/^Name \*/).fill('db');
    await docker.locator('.array-item').nth(0).getByLabel('Image').fill('postgres:16');
    await docker.locator('.array-item').nth(0).getByLabel('Env').fill('POSTGRES_PASSWORD=test');
    await docker.getByRole('button', { name: 'Add service' }).click();
    await docker.locator('.array-item').nth(1).getByLabel(/^Name \*/).fill('cache');
    await docker.locator('.array-item').nth(1).getByLabel('Image').fill('redis:7');
    await docker.locator('.array-item').nth(0).getByRole('button', { name: 'Remove this service' }).click();
    await docker.getByRole('button', { name: 'Add service' }).click();
    await docker.locator('.array-item').nth(1).getByLabel(/^Name \*/).fill('db');
    await docker.locator('.array-item').nth(1).getByLabel('Image').fill('postgres:16');
    const ids = await docker.locator('.array-item input[name="name"]').evaluateAll((els) => els.map((e) => e.id));
    assert.equal(new Set(ids).size, ids.length, `ids stay unique: ${ids.join(', ')}`);
    await docker.getByLabel('Enabled').uncheck(); // the test drone has no Docker label
    await pluginsForm().getByRole('button', { name: 'Save plugins' }).click();
    await pluginsForm().getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const saved = (await project()).plugins.find((p: { name: string }) => p.name === 'docker');
    assert.deepEqual(saved, { name: 'docker', enabled: false, config: { privileged: false, services: [{ name: 'cache', image: 'redis:7' }, { name: 'db', image: 'postgres:16' }] } });

    // A service name the plugin refuses: the error names services[1].name, and that field takes the focus.
    await docker.locator('.array-item').nth(1).getByLabel(/^Name \*/).fill('Not A Host');
    await pluginsForm().getByRole('button', { name: 'Save plugins' }).click();
    await pluginsForm().getByRole('alert').filter({ hasText: 'services[1].name' }).waitFor();
    assert.equal(await docker.locator('.array-item').nth(1).getByLabel(/^Name \*/).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), 'Not A Host');

    await docker.getByRole('button', { name: 'Remove docker' }).click();
    await pluginsForm().getByRole('button', { name: 'Save plugins' }).click();
    await pluginsForm().getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).plugins.map((p: { name: string }) => p.name), ['env']);
  }));

  it('keeps secrets write-only: names listed, values never shown', () => step(page, 'settings-secrets', async () => {
    await page.reload();
    await page.getByLabel('Name', { exact: true }).last().fill('API_TOKEN');
    const form = page.getByRole('form', { name: 'Add or replace a secret' });
    await form.getByLabel('Value').fill(SECRET_VALUE);
    await form.getByRole('button', { name: 'Save secret' }).click();
    await page.locator('.secret-list code', { hasText: 'API_TOKEN' }).waitFor();
    assert.deepEqual((await project()).secrets, ['API_TOKEN']);
    assert.ok(!(await page.content()).includes(SECRET_VALUE), 'the value is not on the page');
  }));

  it('adds a registry login, password write-only, and removes it', () => step(page, 'settings-registry-logins', async () => {
    await page.goto(settingsUrl);
    const form = page.getByRole('form', { name: 'Add or replace a registry login' });
    await form.getByLabel('Registry').fill('ghcr.io');
    await form.getByLabel('User name').fill('acme-ci');
    await form.getByLabel('Password or token').fill(REGISTRY_PASSWORD);
    await form.getByRole('button', { name: 'Save login' }).click();
    await page.locator('#registry-logins-section code', { hasText: 'ghcr.io' }).waitFor();
    assert.deepEqual((await project()).registryLogins, [{ registry: 'ghcr.io', username: 'acme-ci' }]);
    const stored = (await queen.api('GET', `/api/projects/${projectId}`)).text;
    assert.ok(!stored.includes(REGISTRY_PASSWORD) && !(await page.content()).includes(REGISTRY_PASSWORD), 'the password is shown nowhere');
    await page.locator('#registry-logins-section').getByRole('button', { name: 'Remove' }).click();
    await page.locator('#registry-logins-section').getByText('No registry logins yet.').waitFor();
    assert.deepEqual((await project()).registryLogins, []);
  }));

  it('saves branch rules', () => step(page, 'settings-branch-rules', async () => {
    const form = page.getByRole('form', { name: 'Branch rules' });
    await form.getByLabel('Build branches matching').fill('main\nrelease/*');
    await form.getByLabel(/Build pull\/merge requests/).uncheck();
    await form.getByLabel('Build pushed tags').check();
    await form.getByRole('button', { name: 'Save branch rules' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.deepEqual((await project()).branchRules, {
      include: ['main', 'release/*'], pullRequests: false, forks: false, skipDrafts: true, tags: true, cancelSuperseded: false,
    });
  }));

  it('sets the default priority and a concurrency limit, and lifts the limit again', () => step(page, 'settings-queue', async () => {
    await page.reload();
    const form = page.getByRole('form', { name: 'Repository and build' });
    await form.getByLabel('Default priority').fill('12');
    await form.getByLabel('Builds at once').fill('2');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    let saved = await project();
    assert.deepEqual([saved.defaultPriority, saved.maxConcurrent], [12, 2]);

    await form.getByLabel('Builds at once').fill('');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    saved = await project();
    assert.deepEqual([saved.defaultPriority, saved.maxConcurrent], [12, null]);
  }));

  it('chooses fresh or incremental workspaces and the caches an incremental one keeps', () => step(page, 'settings-workspace', async () => {
    await page.reload();
    const form = page.getByRole('form', { name: 'Repository and build' });
    assert.equal(await form.getByLabel('Each build starts from').inputValue(), 'incremental');
    await form.getByLabel('Each build starts from').selectOption('fresh');
    await form.getByLabel(/Caches kept between builds/).fill('node_modules\n.cache/');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    let saved = await project();
    assert.deepEqual([saved.workspace, saved.workspaceCaches], ['fresh', ['node_modules', '.cache/']]);

    await form.getByLabel('Each build starts from').selectOption('incremental');
    await form.getByLabel(/Caches kept between builds/).fill('');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    saved = await project();
    assert.deepEqual([saved.workspace, saved.workspaceCaches], ['incremental', []]);
  }));

  it('sets and removes the forge token without ever showing it', () => step(page, 'settings-forge', async () => {
    const form = page.getByRole('form', { name: 'Forge', exact: true });
    await form.getByLabel('Forge', { exact: true }).selectOption('github');
    await form.getByLabel('Repository on the forge').fill('acme/settings-e2e');
    await form.getByLabel('API token for commit statuses').fill(FORGE_TOKEN);
    await form.getByRole('button', { name: 'Save forge settings' }).click();
    await page.getByRole('button', { name: 'Remove API token' }).waitFor();
    let saved = await project();
    assert.equal(saved.provider, 'github');
    assert.equal(saved.forgeRepo, 'acme/settings-e2e');
    assert.equal(saved.hasForgeToken, true);
    assert.ok(!(await page.content()).includes(FORGE_TOKEN));
    assert.equal(await page.getByLabel('API token for commit statuses').getAttribute('placeholder'), 'set; leave empty to keep it');

    await page.getByRole('button', { name: 'Remove API token' }).click();
    await page.getByLabel('API token for commit statuses').and(page.locator('[placeholder="not set"]')).waitFor();
    saved = await project();
    assert.equal(saved.hasForgeToken, false);
    assert.equal(saved.provider, 'github', 'removing the token left the rest');
  }));

  it('runs a build with what the settings page set: env plugin variables and the masked secret', () => step(page, 'settings-build', async () => {
    const job = (await queen.api('POST', `/api/projects/${projectId}/jobs`, { branch: 'main' })).body;
    assert.equal((await queen.waitForJob(job.id)).status, 'passed');
    const log = (await queen.api('GET', `/api/jobs/${job.id}/log`)).text;
    assert.match(log, /greeting=hello from settings token=\*{8}/);
    assert.ok(!log.includes(SECRET_VALUE));
  }));

  it('removes a secret', () => step(page, 'settings-remove-secret', async () => {
    await page.goto(settingsUrl);
    await page.getByRole('button', { name: 'Remove' }).and(page.locator('.secret-list button')).click();
    await page.locator('#secrets-section').getByText('No secrets yet.').waitFor();
    assert.deepEqual((await project()).secrets, []);
  }));

  it('refuses to save a page opened before someone else changed the project, keeping their change', () => step(page, 'settings-stale-page', async () => {
    await page.goto(settingsUrl);
    const form = page.getByRole('form', { name: 'Repository and build' });
    // Someone else saves through the API after this page was opened.
    const theirs = await queen.api('PATCH', `/api/projects/${projectId}`, { defaultPriority: 42 });
    assert.equal(theirs.status, 200);
    await form.getByLabel('Default priority').fill('7');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByRole('alert').filter({ hasText: 'Someone else changed this project since this page was opened' }).waitFor();
    let saved = await project();
    assert.equal(saved.defaultPriority, 42, 'their change is still there');
    assert.equal(saved.version, theirs.body.version, 'nothing was written');

    // The link loads the current settings; saved from there, the change applies.
    await form.getByRole('link', { name: 'Reload the page' }).click();
    await page.locator('input[name="defaultPriority"][value="42"]').waitFor();
    await form.getByLabel('Default priority').fill('7');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    saved = await project();
    assert.equal(saved.defaultPriority, 7);
    assert.equal(saved.version, theirs.body.version + 1);
  }));

  it('works under the Content-Security-Policy: no page broke a directive', () => {
    assert.deepEqual(cspViolations, []);
  });
});
