/**
 * Users and roles through the REST API of a real queen: admins manage users (create,
 * reset password, make/unmake admin, delete) with the guard rails — there is always an
 * admin, a reset ends the user's sessions, a deleted user's sessions and tokens stop
 * working — and non-admins, by session or personal token, use builds but cannot manage
 * projects, drones or users. No answer and no log line carries a password or its hash.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { canLogIn, logIn, sessionApi, sessionLive, type WebSession } from '../helpers/web-session.ts';

const ADMIN_PASSWORD = 'users-admin-password-1';
const logLines: string[] = [];
let queen: TestQueen;
let repo: GitRepo;

before(async () => {
  // A logger of our own, unredacted, to check that no password is ever handed to it.
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  [queen, repo] = await Promise.all([
    startTestQueen({ HIVE_ADMIN_PASSWORD: ADMIN_PASSWORD }, undefined, { log }),
    createGitRepo({ files: { 'README.md': '# users test\n' } }),
  ]);
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

/** Every password this file sets, to look for where none may appear. */
const passwordsUsed = new Set<string>([ADMIN_PASSWORD]);

async function asToken(token: string, method: string, path: string, body?: unknown) {
  return queen.api(method, path, body, { authorization: `Bearer ${token}` });
}

async function createUser(username: string, password: string, isAdmin = false) {
  passwordsUsed.add(password);
  const res = await queen.api('POST', '/api/users', { username, password, isAdmin });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string; username: string; isAdmin: boolean; createdAt: string };
}

async function personalToken(session: WebSession, name = 'cli'): Promise<string> {
  const res = await sessionApi(queen.url, session, 'POST', '/api/tokens', { name });
  assert.equal(res.status, 201, res.text);
  return res.body.token;
}

const userCount = async () => (await queen.api('GET', '/api/users')).body.users.length;
const adminId = async () => (await queen.api('GET', '/api/users')).body.users.find((u: { username: string }) => u.username === 'admin').id;

describe('admins manage users', () => {
  it('creates a user, lists and reads it, never showing a password or hash', async () => {
    const created = await createUser('alice', 'alice-password-1');
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'id', 'isAdmin', 'username']);
    assert.equal(created.isAdmin, false);

    const list = await queen.api('GET', '/api/users');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.users.map((u: { username: string }) => u.username), ['admin', 'alice']);
    const read = await queen.api('GET', `/api/users/${created.id}`);
    assert.deepEqual(read.body, created);
    for (const text of [list.text, read.text]) {
      assert.ok(!text.includes('scrypt$') && !/password/i.test(text), text);
    }
    assert.ok(await canLogIn(queen.url, 'alice', 'alice-password-1'));
  });

  it('refuses bad usernames and passwords with 400 naming the field, creating nothing', async () => {
    const before = await userCount();
    const cases: [unknown, RegExp][] = [
      [{ username: '', password: 'long-enough-1' }, /username: needs at least 1 character/],
      [{ username: 'Alice', password: 'long-enough-1' }, /username: may contain lowercase letters/],
      [{ username: 'has space', password: 'long-enough-1' }, /username: may contain/],
      [{ username: '-dash', password: 'long-enough-1' }, /username: .*starts with a letter or digit/],
      [{ username: 'x'.repeat(65), password: 'long-enough-1' }, /username: may have at most 64 characters/],
      [{ username: 'shortpw', password: 'seven77' }, /password: needs at least 8 characters/],
      [{ username: 'longpw', password: 'x'.repeat(1025) }, /password: may have at most 1024 characters/],
      [{ username: 'nopw' }, /password/],
      [{ username: 'extra', password: 'long-enough-1', role: 'root' }, /role|unrecognized/i],
      [{ username: 'flag', password: 'long-enough-1', isAdmin: 'yes' }, /isAdmin/],
    ];
    for (const [body, message] of cases) {
      const res = await queen.api('POST', '/api/users', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'validation_error');
      assert.match(res.body.error.message, message);
    }
    assert.equal((await queen.api('POST', '/api/users', '{"username": ')).status, 400);
    assert.equal(await userCount(), before);
    // The limits themselves are fine.
    await createUser('x'.repeat(64), 'x'.repeat(1024));
    await createUser('b.o_b-2', 'b0b-pass');
  });

  it('refuses a second user of the same name with 409', async () => {
    const before = await userCount();
    const again = await queen.api('POST', '/api/users', { username: 'alice', password: 'another-password' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
    assert.match(again.body.error.message, /"alice" already exists/);
    assert.equal(await userCount(), before);
  });

  it('answers unknown and malformed user ids with 404', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      assert.equal((await queen.api('GET', `/api/users/${id}`)).status, 404);
      assert.equal((await queen.api('PATCH', `/api/users/${id}`, { isAdmin: true })).status, 404);
      const del = await queen.api('DELETE', `/api/users/${id}`);
      assert.equal(del.status, 404);
      assert.equal(del.body.error.code, 'not_found');
    }
  });

  it('refuses a PATCH that changes nothing or carries a bad password', async () => {
    const carol = await createUser('carol', 'carol-password-1');
    for (const body of [{}, { password: 'short' }, { username: 'renamed' }, { isAdmin: 'no' }]) {
      const res = await queen.api('PATCH', `/api/users/${carol.id}`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.ok(await canLogIn(queen.url, 'carol', 'carol-password-1'), 'nothing changed');
  });

  it('resets a password: the old one stops working and every session of that user ends; tokens stay', async () => {
    const dave = await createUser('dave', 'dave-password-1');
    const first = await logIn(queen.url, 'dave', 'dave-password-1');
    const second = await logIn(queen.url, 'dave', 'dave-password-1');
    const token = await personalToken(first);

    passwordsUsed.add('dave-password-2');
    const reset = await queen.api('PATCH', `/api/users/${dave.id}`, { password: 'dave-password-2' });
    assert.equal(reset.status, 200);
    assert.equal(reset.body.username, 'dave');
    assert.ok(!reset.text.includes('dave-password-2'));

    assert.equal(await sessionLive(queen.url, first), false);
    assert.equal(await sessionLive(queen.url, second), false);
    assert.equal((await asToken(token, 'GET', '/api/projects')).status, 200, 'API tokens are separate credentials');
    assert.equal(await canLogIn(queen.url, 'dave', 'dave-password-1'), false);
    assert.ok(await canLogIn(queen.url, 'dave', 'dave-password-2'));
  });

  it('keeps the session an admin resets their own password from, and ends their others', async () => {
    const here = await logIn(queen.url, 'admin', ADMIN_PASSWORD);
    const elsewhere = await logIn(queen.url, 'admin', ADMIN_PASSWORD);
    passwordsUsed.add('admin-password-2');
    const res = await sessionApi(queen.url, here, 'PATCH', `/api/users/${await adminId()}`, { password: 'admin-password-2' });
    assert.equal(res.status, 200, res.text);
    assert.equal(await sessionLive(queen.url, here), true);
    assert.equal(await sessionLive(queen.url, elsewhere), false);
    // Back, so the rest of the file can log in as before.
    assert.equal((await sessionApi(queen.url, here, 'PATCH', `/api/users/${await adminId()}`, { password: ADMIN_PASSWORD })).status, 200);
  });

  it('deletes a user: their sessions end, their tokens stop working, they cannot log in', async () => {
    const erin = await createUser('erin', 'erin-password-1');
    const session = await logIn(queen.url, 'erin', 'erin-password-1');
    const token = await personalToken(session);
    assert.equal((await asToken(token, 'GET', '/api/projects')).status, 200);

    assert.equal((await queen.api('DELETE', `/api/users/${erin.id}`)).status, 204);
    assert.equal(await sessionLive(queen.url, session), false);
    assert.equal((await asToken(token, 'GET', '/api/projects')).status, 401);
    assert.equal(await canLogIn(queen.url, 'erin', 'erin-password-1'), false);
    assert.equal((await queen.api('GET', `/api/users/${erin.id}`)).status, 404);
    assert.equal((await queen.api('DELETE', `/api/users/${erin.id}`)).status, 404);
  });

  it('refuses to delete your own account', async () => {
    const session = await logIn(queen.url, 'admin', ADMIN_PASSWORD);
    const res = await sessionApi(queen.url, session, 'DELETE', `/api/users/${await adminId()}`);
    assert.equal(res.status, 409);
    assert.match(res.body.error.message, /your own account/);
    assert.equal(await sessionLive(queen.url, session), true);
  });
});

describe('there is always an admin', () => {
  it('refuses to un-admin or delete the last admin, and allows it once there is another', async () => {
    const id = await adminId();
    const demote = await queen.api('PATCH', `/api/users/${id}`, { isAdmin: false });
    assert.equal(demote.status, 409);
    assert.equal(demote.body.error.code, 'conflict');
    assert.match(demote.body.error.message, /last admin/);
    const del = await queen.api('DELETE', `/api/users/${id}`);
    assert.equal(del.status, 409);
    assert.match(del.body.error.message, /last admin/);
    // A refused PATCH changes nothing, not even the password it also carried.
    passwordsUsed.add('never-applied-1');
    assert.equal((await queen.api('PATCH', `/api/users/${id}`, { isAdmin: false, password: 'never-applied-1' })).status, 409);
    assert.ok(await canLogIn(queen.url, 'admin', ADMIN_PASSWORD));

    const frank = await createUser('frank', 'frank-password-1', true);
    const demoted = await queen.api('PATCH', `/api/users/${id}`, { isAdmin: false });
    assert.equal(demoted.status, 200);
    assert.equal(demoted.body.isAdmin, false);
    // Now frank is the last one.
    assert.equal((await queen.api('PATCH', `/api/users/${frank.id}`, { isAdmin: false })).status, 409);
    assert.equal((await queen.api('PATCH', `/api/users/${id}`, { isAdmin: true })).body.isAdmin, true);
  });

  it('lets only one of two admins demoting each other at the same moment succeed', async () => {
    const users = (await queen.api('GET', '/api/users')).body.users as { id: string; username: string; isAdmin: boolean }[];
    const admins = users.filter((u) => u.isAdmin);
    assert.deepEqual(admins.map((u) => u.username), ['admin', 'frank']);
    const results = await Promise.all(admins.map((u) => queen.api('PATCH', `/api/users/${u.id}`, { isAdmin: false })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const left = (await queen.api('GET', '/api/users')).body.users.filter((u: { isAdmin: boolean }) => u.isAdmin);
    assert.equal(left.length, 1);
    // Restore: admin is an admin again for the rest of the file.
    assert.equal((await queen.api('PATCH', `/api/users/${await adminId()}`, { isAdmin: true })).status, 200);
  });
});

describe('what non-admins may do', () => {
  let project: { id: string };
  let session: WebSession;
  let token: string;
  let grace: { id: string };

  before(async () => {
    project = (await queen.api('POST', '/api/projects', { name: 'roles', repoUrl: repo.url })).body;
    grace = await createUser('grace', 'grace-password-1');
    session = await logIn(queen.url, 'grace', 'grace-password-1');
    token = await personalToken(session);
  });

  /** The same call by grace's session (with CSRF) and by her personal token. */
  const asGrace = async (method: string, path: string, body?: unknown) => {
    const bySession = await sessionApi(queen.url, session, method, path, body);
    const byToken = await asToken(token, method, path, body);
    return [bySession, byToken];
  };

  it('refuses them user management, project changes and drone control with 403', async () => {
    const userId = await adminId();
    const refused: [string, string, unknown?][] = [
      ['GET', '/api/users'],
      ['POST', '/api/users', { username: 'mallory', password: 'mallory-password' }],
      ['GET', `/api/users/${userId}`],
      ['PATCH', `/api/users/${grace.id}`, { isAdmin: true }],
      ['PATCH', `/api/users/${userId}`, { password: 'taken-over-1' }],
      ['DELETE', `/api/users/${userId}`],
      ['POST', '/api/projects', { name: 'mine', repoUrl: '/srv/git/mine' }],
      ['PATCH', `/api/projects/${project.id}`, { defaultBranch: 'evil' }],
      ['POST', `/api/projects/${project.id}/webhook-secret`],
      ['DELETE', `/api/projects/${project.id}`],
      ['POST', '/api/drones/00000000-0000-4000-8000-000000000000/drain'],
    ];
    for (const [method, path, body] of refused) {
      for (const res of await asGrace(method, path, body)) {
        assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
        assert.equal(res.body.error.code, 'forbidden');
        assert.match(res.body.error.message, /^Only admins can /);
      }
    }
    assert.ok(await canLogIn(queen.url, 'admin', ADMIN_PASSWORD), 'the admin password is unchanged');
    assert.equal((await queen.api('GET', `/api/projects/${project.id}`)).body.defaultBranch, 'main');
    assert.equal((await queen.api('GET', `/api/users/${grace.id}`)).body.isAdmin, false);
    assert.ok(!(await queen.api('GET', '/api/users')).body.users.some((u: { username: string }) => u.username === 'mallory'));
  });

  it('lets them read everything and run, cancel and re-run builds', async () => {
    for (const path of ['/api/projects', `/api/projects/${project.id}`, `/api/projects/${project.id}/jobs`, '/api/drones', '/api/plugins', '/api/tokens']) {
      for (const res of await asGrace('GET', path)) assert.equal(res.status, 200, `GET ${path}`);
    }
    for (const res of await asGrace('POST', `/api/projects/${project.id}/jobs`, { message: 'by grace' })) {
      assert.equal(res.status, 201, res.text);
      // No drone here: the job waits in the queue, so cancelling it is always possible.
      const cancel = await asToken(token, 'POST', `/api/jobs/${res.body.id}/cancel`);
      assert.equal(cancel.status, 200, cancel.text);
      assert.equal(cancel.body.status, 'cancelled');
      const rerun = await sessionApi(queen.url, session, 'POST', `/api/jobs/${res.body.id}/rerun`);
      assert.equal(rerun.status, 201, rerun.text);
      const detail = await queen.api('GET', `/api/jobs/${rerun.body.id}`);
      assert.equal(detail.body.trigger.author.username, 'grace');
    }
  });

  it('gives a personal token its owner\'s role as it is now', async () => {
    assert.equal((await asToken(token, 'GET', '/api/users')).status, 403);
    assert.equal((await queen.api('PATCH', `/api/users/${grace.id}`, { isAdmin: true })).status, 200);
    assert.equal((await asToken(token, 'GET', '/api/users')).status, 200, 'promoted: the token is an admin\'s now');
    assert.equal((await sessionApi(queen.url, session, 'GET', '/api/users')).status, 200, 'so is the session');
    assert.equal((await queen.api('PATCH', `/api/users/${grace.id}`, { isAdmin: false })).status, 200);
    assert.equal((await asToken(token, 'GET', '/api/users')).status, 403, 'demoted: at once');
    // The bootstrap admin token is an admin's, whoever holds it.
    assert.equal((await asToken(ADMIN_TOKEN, 'GET', '/api/users')).status, 200);
  });
});

describe('secrets', () => {
  it('never logs a password, and logs who changed which user', () => {
    const text = logLines.join('');
    for (const password of passwordsUsed) assert.ok(!text.includes(password), `a log line contains the password ${password.slice(0, 3)}…`);
    assert.ok(!text.includes('scrypt$'));
    assert.match(text, /"username":"alice".*"by":"admin".*"msg":"user created"/);
    assert.match(text, /"msg":"user deleted with their sessions and tokens"/);
  });
});
