/**
 * An open `/api/events` socket lives only as long as the credential it was opened with:
 * revoking the token or logging out closes it (code 4401), while sockets whose credential
 * is still good stay open through the same re-checks.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';

const PASSWORD = 'events-auth-password';
let queen: TestQueen;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD, HIVE_EVENTS_RECHECK_MS: '100' });
});
after(() => queen?.stop());

function openSocket(headers: Record<string, string>): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${queen.url.replace(/^http/, 'ws')}/api/events`, { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

it('closes a socket whose token is revoked, and keeps one whose token is good', async () => {
  const created = await queen.api('POST', '/api/tokens', { name: 'short-lived' });
  assert.equal(created.status, 201);
  const revoked = await openSocket({ authorization: `Bearer ${created.body.token}` });
  const kept = await openSocket({ authorization: `Bearer ${ADMIN_TOKEN}` });

  assert.equal((await queen.api('DELETE', `/api/tokens/${created.body.id}`)).status, 204);
  const { code, reason } = await revoked.closed;
  assert.equal(code, 4401);
  assert.match(reason, /session ended or your token was revoked/);
  assert.equal(kept.ws.readyState, WebSocket.OPEN, 'the admin token is still good');
  kept.ws.close();

  await assert.rejects(openSocket({ authorization: `Bearer ${created.body.token}` }), /401/);
});

it('closes a browser socket when its session logs out', async () => {
  const session = await logIn(queen.url, 'admin', PASSWORD);
  const browserHeaders = { cookie: session.cookie, origin: queen.url };
  const socket = await openSocket(browserHeaders);

  const logout = await webRequest(queen.url, '/logout', { method: 'POST', session, body: new URLSearchParams({ _csrf: session.csrf }) });
  assert.equal(logout.status, 303);
  assert.equal((await socket.closed).code, 4401);
  await assert.rejects(openSocket(browserHeaders), /401/);
});
