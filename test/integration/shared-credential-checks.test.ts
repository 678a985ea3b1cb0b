/**
 * API calls that arrive together share their credential lookup (routes/auth-middleware.ts
 * with util/fresh-reads.ts) — and still never pass with a credential revoked before they
 * were made: a revoked personal token, a logged-out session and a removed user are refused
 * on the very next call, also while a burst of calls with the same credential is under way.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, sessionApi, webRequest, type WebSession } from '../helpers/web-session.ts';

let queen: TestQueen;
before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: 'shared-checks-admin-1' });
});
after(async () => {
  await queen?.stop();
});

/** A read of an unknown job's log: 404 once the credential passed, 401 when it did not. */
const UNKNOWN_LOG = '/api/jobs/00000000-0000-4000-8000-000000000000/log';
const readAs = async (auth: { token?: string; session?: WebSession }) => {
  const res = await webRequest(queen.url, UNKNOWN_LOG, {
    session: auth.session,
    headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {},
  });
  await res.body?.cancel();
  return res.status;
};
const burst = (n: number, auth: { token?: string; session?: WebSession }) => Promise.all(Array.from({ length: n }, () => readAs(auth)));

async function userWithToken(username: string) {
  const password = `${username}-password-1`;
  const created = await queen.api('POST', '/api/users', { username, password });
  assert.equal(created.status, 201, created.text);
  const session = await logIn(queen.url, username, password);
  const made = await sessionApi(queen.url, session, 'POST', '/api/tokens', { name: 'reader' });
  assert.equal(made.status, 201, made.text);
  return { userId: created.body.id as string, session, token: made.body.token as string, tokenId: made.body.id as string };
}

it('a burst of calls with one token passes; once the token is revoked, every later call is refused', async () => {
  const { session, token, tokenId } = await userWithToken('reader-a');
  assert.deepEqual(new Set(await burst(40, { token })), new Set([404]));
  // Revoked while a burst is under way: calls made before may pass, every call made after may not.
  const during = burst(40, { token });
  const revoked = await sessionApi(queen.url, session, 'DELETE', `/api/tokens/${tokenId}`);
  assert.equal(revoked.status, 204, revoked.text);
  const afterwards = burst(40, { token });
  assert.ok((await during).every((s) => s === 404 || s === 401));
  assert.deepEqual(new Set(await afterwards), new Set([401]));
  assert.equal(await readAs({ token }), 401);
});

it('a logged-out session is refused on the next call, also after a burst', async () => {
  const { session } = await userWithToken('reader-b');
  assert.deepEqual(new Set(await burst(40, { session })), new Set([404]));
  const during = burst(40, { session });
  const logout = await webRequest(queen.url, '/logout', { method: 'POST', session, body: new URLSearchParams({ _csrf: session.csrf }) });
  assert.equal(logout.status, 303);
  const afterwards = burst(40, { session });
  assert.ok((await during).every((s) => s === 404 || s === 401));
  assert.deepEqual(new Set(await afterwards), new Set([401]));
});

it("a removed user's token is refused on the next call", async () => {
  const { userId, token } = await userWithToken('reader-c');
  const during = burst(40, { token });
  assert.equal((await queen.api('DELETE', `/api/users/${userId}`)).status, 204);
  const afterwards = burst(40, { token });
  assert.ok((await during).every((s) => s === 404 || s === 401));
  assert.deepEqual(new Set(await afterwards), new Set([401]));
});

it('a token made admin or unmade acts with its role as it is now', async () => {
  const { userId, token } = await userWithToken('reader-d');
  const usersAs = async () => (await queen.api('GET', '/api/users', undefined, { authorization: `Bearer ${token}` })).status;
  assert.equal(await usersAs(), 403);
  assert.equal((await queen.api('PATCH', `/api/users/${userId}`, { isAdmin: true })).status, 200);
  assert.equal(await usersAs(), 200);
  assert.equal((await queen.api('PATCH', `/api/users/${userId}`, { isAdmin: false })).status, 200);
  assert.equal(await usersAs(), 403);
});
