/**
 * The Users pages and the roles in the web UI, through the real app with plain fetch, the
 * session cookie and the CSRF token: admins create users, reset passwords, change roles and
 * delete users with forms (refusals explained in a role=alert, the password never echoed);
 * non-admins are neither offered nor allowed project settings, drone control or users, but
 * run and cancel builds and change their own password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { canLogIn, logIn, sessionLive, webRequest, type WebSession } from '../helpers/web-session.ts';

const ADMIN_PASSWORD = 'ui-users-admin-pw';
let queen: TestQueen;
let repo: GitRepo;
let admin: WebSession;

before(async () => {
  [queen, repo] = await Promise.all([startTestQueen({ HIVE_ADMIN_PASSWORD: ADMIN_PASSWORD }), createGitRepo({ files: { 'a.txt': 'a\n' } })]);
  admin = await logIn(queen.url, 'admin', ADMIN_PASSWORD);
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

const page = (path: string, session: WebSession) => webRequest(queen.url, path, { session });
const post = (path: string, session: WebSession, fields: Record<string, string> = {}) =>
  webRequest(queen.url, path, { method: 'POST', session, body: new URLSearchParams({ _csrf: session.csrf, ...fields }) });
const alertText = (html: string) => /<p class="alert" role="alert"[^>]*>([^<]*)</.exec(html)?.[1];
const statusText = (html: string) => /<p class="notice" role="status">([^<]*)</.exec(html)?.[1];

/** Creates a user through the form; returns the user's page path. */
async function createByForm(username: string, password: string, isAdmin = false): Promise<string> {
  const res = await post('/users', admin, { username, password, ...(isAdmin ? { isAdmin: 'true' } : {}) });
  assert.equal(res.status, 303, await res.text());
  const location = res.headers.get('location')!;
  assert.match(location, /^\/users\/[0-9a-f-]{36}\?done=created$/);
  return location.replace(/\?.*$/, '');
}

describe('the Users pages', () => {
  it('are in the navigation for admins, with labelled fields', async () => {
    const html = await (await page('/users', admin)).text();
    assert.match(html, /<a href="\/users" aria-current="page">Users<\/a>/);
    assert.match(html, /<tr data-user="admin">/);
    for (const id of ['new-username', 'new-user-password']) assert.match(html, new RegExp(`<label for="${id}">`));
    assert.match(html, /<label class="check"><input type="checkbox" name="isAdmin"/);
  });

  it('create a user and say so', async () => {
    const path = await createByForm('ivy', 'ivy-password-1');
    const html = await (await page(`${path}?done=created`, admin)).text();
    assert.equal(statusText(html), 'User created.');
    assert.match(html, /<h1>ivy <span class="muted">user<\/span><\/h1>/);
    assert.ok(await canLogIn(queen.url, 'ivy', 'ivy-password-1'));
    assert.match(await (await page('/users', admin)).text(), /<tr data-user="ivy">/);
  });

  it('explain a refused user in an alert, keep the username and never echo the password', async () => {
    const bad = await post('/users', admin, { username: 'Not Valid', password: 'secret-password-9' });
    assert.equal(bad.status, 400);
    const html = await bad.text();
    assert.match(alertText(html)!, /^Cannot create the user: The username may contain lowercase letters/);
    assert.match(html, /id="new-username"[^>]*value="Not Valid"/);
    assert.ok(!html.includes('secret-password-9'));

    const short = await post('/users', admin, { username: 'shorty', password: 'short' });
    assert.equal(short.status, 400);
    assert.match(alertText(await short.text())!, /at least 8 characters/);

    const twice = await post('/users', admin, { username: 'ivy', password: 'ivy-password-2' });
    assert.equal(twice.status, 409);
    assert.match(alertText(await twice.text())!, /&quot;ivy&quot; already exists/);
    assert.ok(await canLogIn(queen.url, 'ivy', 'ivy-password-1'), 'the first ivy is untouched');
  });

  it('reset a password, ending that user\'s sessions', async () => {
    const path = await createByForm('jack', 'jack-password-1');
    const jack = await logIn(queen.url, 'jack', 'jack-password-1');
    const tooShort = await post(`${path}/password`, admin, { password: 'nope' });
    assert.equal(tooShort.status, 400);
    assert.match(alertText(await tooShort.text())!, /at least 8 characters/);
    assert.equal(await sessionLive(queen.url, jack), true, 'a refused reset changes nothing');

    const res = await post(`${path}/password`, admin, { password: 'jack-password-2' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${path}?done=password`);
    assert.equal(await sessionLive(queen.url, jack), false);
    assert.ok(await canLogIn(queen.url, 'jack', 'jack-password-2'));
  });

  it('make and unmake admins, but never the last one', async () => {
    const adminPath = /<a href="(\/users\/[0-9a-f-]{36})">admin<\/a>/.exec(await (await page('/users', admin)).text())![1];
    const refused = await post(`${adminPath}/role`, admin, { isAdmin: 'false' });
    assert.equal(refused.status, 409);
    assert.match(alertText(await refused.text())!, /last admin/);

    const path = await createByForm('kate', 'kate-password-1');
    const promoted = await post(`${path}/role`, admin, { isAdmin: 'true' });
    assert.equal(promoted.status, 303);
    const html = await (await page(`${path}?done=admin`, admin)).text();
    assert.equal(statusText(html), 'They are an admin now.');
    assert.match(html, /<button type="submit">Remove admin rights<\/button>/);
    const kate = await logIn(queen.url, 'kate', 'kate-password-1');
    assert.equal((await page('/users', kate)).status, 200);
    assert.equal((await post(`${path}/role`, admin, { isAdmin: 'false' })).status, 303);
    assert.equal((await page('/users', kate)).status, 403, 'unmade at once');
  });

  it('delete a user, ending their sessions, but not yourself', async () => {
    const path = await createByForm('liam', 'liam-password-1');
    const liam = await logIn(queen.url, 'liam', 'liam-password-1');
    const res = await post(`${path}/delete`, admin);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/users?done=deleted');
    assert.equal(await sessionLive(queen.url, liam), false);
    assert.equal((await page(path, admin)).status, 404);

    const adminPath = /<a href="(\/users\/[0-9a-f-]{36})">admin<\/a>/.exec(await (await page('/users', admin)).text())![1];
    const own = await (await page(adminPath, admin)).text();
    assert.ok(!own.includes(`action="${adminPath}/delete"`), 'no delete button on your own page');
    const self = await post(`${adminPath}/delete`, admin);
    assert.equal(self.status, 409);
    assert.match(alertText(await self.text())!, /your own account/);
  });

  it('need the CSRF token', async () => {
    const res = await webRequest(queen.url, '/users', { method: 'POST', session: admin, body: new URLSearchParams({ username: 'csrf', password: 'csrf-password' }) });
    assert.equal(res.status, 403);
    assert.equal(await canLogIn(queen.url, 'csrf', 'csrf-password'), false);
  });
});

describe('a non-admin in the web UI', () => {
  let mia: WebSession;
  let projectId: string;

  before(async () => {
    projectId = (await queen.api('POST', '/api/projects', { name: 'ui-roles', repoUrl: repo.url })).body.id;
    await createByForm('mia', 'mia-password-1');
    mia = await logIn(queen.url, 'mia', 'mia-password-1');
  });

  it('is not offered users, new projects, settings or drone control', async () => {
    const dashboard = await (await page('/', mia)).text();
    assert.ok(!dashboard.includes('href="/users"'), 'no Users link');
    assert.ok(!dashboard.includes('href="/projects/new"'), 'no New project');
    const project = await (await page(`/projects/${projectId}`, mia)).text();
    assert.match(project, /Run tests/);
    assert.ok(!project.includes(`/projects/${projectId}/settings`), 'no Settings link');
    // The same pages do offer them to an admin (so the checks above can fail).
    assert.ok((await (await page('/', admin)).text()).includes('href="/users"'));
    assert.ok((await (await page(`/projects/${projectId}`, admin)).text()).includes(`/projects/${projectId}/settings`));
  });

  it('is refused those pages and actions with 403', async () => {
    for (const path of ['/users', '/projects/new', `/projects/${projectId}/settings`]) {
      const res = await page(path, mia);
      assert.equal(res.status, 403, path);
      assert.match(await res.text(), /<p role="alert">Only admins can /);
    }
    const drone = '00000000-0000-4000-8000-000000000000';
    for (const path of ['/users', `/drones/${drone}/drain`, `/drones/${drone}/disconnect`]) {
      assert.equal((await post(path, mia, { username: 'x', password: 'xxxxxxxx' })).status, 403, path);
    }
    // An admin gets past the role check to "not connected".
    assert.equal((await post(`/drones/${drone}/drain`, admin)).status, 404);
  });

  it('runs and cancels builds', async () => {
    const run = await post(`/projects/${projectId}/run`, mia, { branch: 'main', type: 'TEST' });
    assert.equal(run.status, 303);
    const buildPath = run.headers.get('location')!;
    const jobId = buildPath.split('/').pop()!;
    assert.equal((await queen.api('GET', `/api/jobs/${jobId}`)).body.trigger.author.username, 'mia');
    const cancel = await post(`${buildPath}/cancel`, mia);
    assert.equal(cancel.status, 303);
    assert.equal((await queen.waitForJob(jobId)).status, 'cancelled');
  });

  it('changes their own password: current one required, other sessions end, this one stays', async () => {
    const other = await logIn(queen.url, 'mia', 'mia-password-1');
    const wrong = await post('/account/password', mia, { current: 'not-it', password: 'mia-password-2' });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /role="alert">The current password is wrong/);
    const ok = await post('/account/password', mia, { current: 'mia-password-1', password: 'mia-password-2' });
    assert.equal(ok.status, 200);
    assert.equal(await sessionLive(queen.url, mia), true);
    assert.equal(await sessionLive(queen.url, other), false);
    assert.ok(await canLogIn(queen.url, 'mia', 'mia-password-2'));
  });
});
