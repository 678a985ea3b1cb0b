/**
 * Web UI authentication through the real app: unauthenticated pages redirect to the
 * login page, logging in sets an HttpOnly SameSite session cookie, forms and
 * cookie-authenticated API calls need the CSRF token, personal API tokens are shown once
 * and can be revoked, and no password or token appears where it should not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

const PASSWORD = 'ui-auth-password-1';
let queen: TestQueen;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
});
after(async () => {
  await queen?.stop();
});

interface Session { cookie: string; csrf: string }

async function request(path: string, init: RequestInit & { session?: Session } = {}) {
  const headers = new Headers(init.headers);
  if (init.session) headers.set('cookie', init.session.cookie);
  return fetch(`${queen.url}${path}`, { redirect: 'manual', ...init, headers });
}

async function login(username = 'admin', password = PASSWORD): Promise<Session> {
  const res = await request('/login', { method: 'POST', body: new URLSearchParams({ username, password, next: '/drones' }) });
  assert.equal(res.status, 303, await res.text());
  assert.equal(res.headers.get('location'), '/drones');
  const setCookie = res.headers.get('set-cookie')!;
  assert.match(setCookie, /^hive_session=[\w-]{40,};/);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Lax/);
  const cookie = setCookie.split(';')[0];
  const page = await (await request('/account', { session: { cookie, csrf: '' } })).text();
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)![1];
  return { cookie, csrf };
}

describe('web UI authentication', () => {
  it('redirects unauthenticated pages to the login page with the way back', async () => {
    for (const path of ['/', '/drones', '/account', '/projects/new', '/builds/00000000-0000-4000-8000-000000000000']) {
      const res = await request(path);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('location'), path === '/' ? '/login' : `/login?next=${encodeURIComponent(path)}`);
    }
    assert.equal((await request('/login')).status, 200);
    assert.equal((await request('/static/style.css')).status, 200);
    // The API stays JSON: 401, no redirect.
    const api = await request('/api/projects');
    assert.equal(api.status, 401);
    assert.equal((await api.json()).error.code, 'unauthorized');
  });

  it('refuses a wrong password without telling which part was wrong, and never echoes it', async () => {
    for (const [username, password] of [['admin', 'not-the-password'], ['nobody', PASSWORD]]) {
      const res = await request('/login', { method: 'POST', body: new URLSearchParams({ username, password }) });
      assert.equal(res.status, 401);
      const text = await res.text();
      assert.match(text, /Wrong username or password/);
      assert.ok(!text.includes(password));
      assert.equal(res.headers.get('set-cookie'), null);
    }
  });

  it('refuses a login posted from another site', async () => {
    const res = await request('/login', {
      method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD }), headers: { origin: 'https://evil.example' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('only follows `next` to paths on this site', async () => {
    const res = await request('/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD, next: '//evil.example/x' }) });
    assert.equal(res.headers.get('location'), '/');
  });

  it('serves pages to a session and needs the CSRF token for every form', async () => {
    const session = await login();
    assert.equal((await request('/drones', { session })).status, 200);
    const noToken = await request('/account/tokens', { method: 'POST', session, body: new URLSearchParams({ name: 'x' }) });
    assert.equal(noToken.status, 403);
    const wrongToken = await request('/account/tokens', { method: 'POST', session, body: new URLSearchParams({ name: 'x', _csrf: 'nope' }) });
    assert.equal(wrongToken.status, 403);
    const crossSite = await request('/account/tokens', {
      method: 'POST', session, body: new URLSearchParams({ name: 'x', _csrf: session.csrf }), headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(crossSite.status, 403);
    const list = await queen.api('GET', '/api/tokens');
    assert.deepEqual(list.body.tokens, [], 'no refused form created anything');
  });

  it('lets a session use the API: reads freely, writes with the CSRF header only', async () => {
    const session = await login();
    assert.equal((await request('/api/projects', { session })).status, 200);
    const body = JSON.stringify({ name: 'via-cookie', repoUrl: '/srv/git/x' });
    const headers = { 'content-type': 'application/json' };
    assert.equal((await request('/api/projects', { method: 'POST', session, body, headers })).status, 403);
    const ok = await request('/api/projects', { method: 'POST', session, body, headers: { ...headers, 'x-csrf-token': session.csrf } });
    assert.equal(ok.status, 201);
  });

  it('creates a personal API token shown once, which then works and can be revoked', async () => {
    const session = await login();
    const created = await request('/account/tokens', { method: 'POST', session, body: new URLSearchParams({ name: 'laptop', _csrf: session.csrf }) });
    assert.equal(created.status, 201);
    const page = await created.text();
    const token = /<code id="new-token-value">(hive_[\w-]+)<\/code>/.exec(page)![1];
    // It works as the user, and the tokens page no longer shows it.
    const me = await fetch(`${queen.url}/api/tokens`, { headers: { authorization: `Bearer ${token}` } });
    const listed = (await me.json()).tokens;
    assert.equal(listed.length, 1);
    assert.equal(listed[0].name, 'laptop');
    assert.ok(listed[0].lastUsedAt, 'last use is recorded');
    assert.ok(!JSON.stringify(listed).includes(token));
    const again = await (await request('/account', { session })).text();
    assert.ok(again.includes('laptop'));
    assert.ok(!again.includes(token), 'shown once only');

    const revoke = await request(`/account/tokens/${listed[0].id}/revoke`, { method: 'POST', session, body: new URLSearchParams({ _csrf: session.csrf }) });
    assert.equal(revoke.status, 303);
    const refused = await fetch(`${queen.url}/api/projects`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 401);
  });

  it('manages tokens over the REST API', async () => {
    const create = await queen.api('POST', '/api/tokens', { name: 'ci' });
    assert.equal(create.status, 201);
    assert.match(create.body.token, /^hive_/);
    const list = await queen.api('GET', '/api/tokens');
    const row = list.body.tokens.find((t: { id: string }) => t.id === create.body.id);
    assert.equal(row.name, 'ci');
    assert.equal(row.token, undefined);
    assert.equal((await queen.api('POST', '/api/tokens', { name: '' })).status, 400);
    assert.equal((await queen.api('DELETE', `/api/tokens/${create.body.id}`)).status, 204);
    assert.equal((await queen.api('DELETE', `/api/tokens/${create.body.id}`)).status, 404);
    const triggerAs = await fetch(`${queen.url}/api/projects`, { headers: { authorization: `Bearer ${create.body.token}` } });
    assert.equal(triggerAs.status, 401);
  });

  it('accepts the session cookie on /api/events only from this site', async () => {
    const session = await login();
    const url = `${queen.url.replace('http', 'ws')}/api/events`;
    const open = (headers: Record<string, string>) => new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    });
    const host = new URL(queen.url).host;
    assert.equal(await open({ cookie: session.cookie, origin: `http://${host}` }), 101);
    assert.equal(await open({ cookie: session.cookie, origin: 'https://evil.example' }), 401);
    assert.equal(await open({ cookie: 'hive_session=forged', origin: `http://${host}` }), 401);
  });

  it('changes the password, which logs out the other sessions', async () => {
    const first = await login();
    const second = await login();
    const bad = await request('/account/password', { method: 'POST', session: first, body: new URLSearchParams({ _csrf: first.csrf, current: 'wrong', password: 'new-password-1' }) });
    assert.equal(bad.status, 400);
    const ok = await request('/account/password', { method: 'POST', session: first, body: new URLSearchParams({ _csrf: first.csrf, current: PASSWORD, password: 'new-password-1' }) });
    assert.equal(ok.status, 200);
    assert.equal((await request('/account', { session: first })).status, 200);
    assert.equal((await request('/account', { session: second })).status, 303);
    await login('admin', 'new-password-1');
  });

  it('logs out: the cookie is cleared and the session ends', async () => {
    const session = await login('admin', 'new-password-1');
    const res = await request('/logout', { method: 'POST', session, body: new URLSearchParams({ _csrf: session.csrf }) });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie')!, /hive_session=;/);
    assert.equal((await request('/', { session })).status, 303);
  });
});
