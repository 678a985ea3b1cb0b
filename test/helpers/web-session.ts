/**
 * A browser's session without a browser: log in through the real login form, then send
 * requests with the session cookie (and, for changes, the CSRF token the pages carry).
 */
import assert from 'node:assert/strict';

export interface WebSession {
  cookie: string;
  csrf: string;
}

/** `fetch` against the queen, without following redirects, as `session` when given. */
export function webRequest(baseUrl: string, path: string, init: RequestInit & { session?: WebSession } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.session) headers.set('cookie', init.session.cookie);
  return fetch(`${baseUrl}${path}`, { redirect: 'manual', ...init, headers });
}

/** Logs in (asserting it works) and reads the CSRF token from the Account page. */
export async function logIn(baseUrl: string, username: string, password: string): Promise<WebSession> {
  const res = await webRequest(baseUrl, '/login', { method: 'POST', body: new URLSearchParams({ username, password }) });
  assert.equal(res.status, 303, `login of ${username} failed: ${res.status}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0];
  const page = await (await webRequest(baseUrl, '/account', { session: { cookie, csrf: '' } })).text();
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  assert.ok(csrf, 'the account page carries the CSRF token');
  return { cookie, csrf };
}

/** Whether a login with these credentials succeeds (without asserting). */
export async function canLogIn(baseUrl: string, username: string, password: string): Promise<boolean> {
  const res = await webRequest(baseUrl, '/login', { method: 'POST', body: new URLSearchParams({ username, password }) });
  await res.body?.cancel();
  return res.status === 303;
}

/** Whether the session is still live (a page answers instead of redirecting to the login). */
export async function sessionLive(baseUrl: string, session: WebSession): Promise<boolean> {
  const res = await webRequest(baseUrl, '/account', { session });
  await res.body?.cancel();
  return res.status === 200;
}

/** A JSON API call authenticated by the session cookie, with the CSRF header for changes. */
export async function sessionApi(baseUrl: string, session: WebSession, method: string, path: string, body?: unknown) {
  const res = await webRequest(baseUrl, path, {
    method,
    session,
    headers: { 'x-csrf-token': session.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}
