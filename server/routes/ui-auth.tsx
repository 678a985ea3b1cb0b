/** Logging in and out of the web UI. */
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { LoginPage } from '../../web/pages/login.tsx';
import type { AuthFailures } from '../auth/auth-failures.ts';
import { requestAddress } from '../auth/client-address.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { badCharacter } from '../util/bad-chars.ts';
import { decoyHash, verifyPassword } from '../auth/passwords.ts';
import { SESSION_COOKIE, createSession, endSession, loadSession, sessionCookieOptions } from '../auth/sessions.ts';
import type { Db } from '../db/client.ts';
import { findUserByUsername } from '../db/users.ts';
import type { Logger } from '../logger.ts';
import { fromSameSite } from './auth-middleware.ts';
import { html, pageContext, type UiEnv } from './ui-render.tsx';
import { requireSession, safeNext } from './ui-session.ts';

export interface AuthRouteDeps {
  db: Db;
  log: Logger;
  secureCookies: boolean;
  trustProxy: boolean;
  authFailures?: AuthFailures;
  /** Tests make the limits small. */
  throttle?: LoginThrottle;
}

export function registerAuthRoutes(ui: Hono<UiEnv>, deps: AuthRouteDeps) {
  const { db, log } = deps;
  const throttle = deps.throttle ?? new LoginThrottle();

  ui.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    // Already logged in: go on.
    if (await loadSession(db, getCookie(c, SESSION_COOKIE))) return c.redirect(next, 303);
    return html(c, <LoginPage ctx={await pageContext(c)} next={next} />);
  });

  ui.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 200) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    const ctx = await pageContext(c);
    // Login CSRF (logging a victim into the attacker's account) is refused by origin.
    if (!fromSameSite(c)) return html(c, <LoginPage ctx={ctx} next={next} error="Log in from this site's own login page." />, 403);
    const address = requestAddress(c, deps.trustProxy);
    const verdict = throttle.check(username, address);
    if (verdict.waitMs > 0) {
      const minutes = Math.ceil(verdict.waitMs / 60_000);
      deps.authFailures?.report('login', address, `throttled (${verdict.scope})`, { username });
      const whom = verdict.scope === 'address' ? 'from your address' : 'for this user from your address';
      c.header('Retry-After', String(Math.ceil(verdict.waitMs / 1000)));
      return html(c, <LoginPage ctx={ctx} next={next} username={username} error={`Too many failed attempts ${whom}; try again in ${minutes} min.`} />, 429);
    }
    // A name no column can hold (NUL, lone surrogates) names no user.
    const user = username && !badCharacter(username) ? await findUserByUsername(db, username) : undefined;
    // Unknown users cost the same scrypt as known ones, so timing does not tell which exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !ok) {
      throttle.fail(username, address);
      // Counted and logged at warn (rate-limited per address); without it, at info.
      if (deps.authFailures) deps.authFailures.report('login', address, 'wrong username or password', { username });
      else log.info({ username }, 'failed login');
      return html(c, <LoginPage ctx={ctx} next={next} username={username} error="Wrong username or password." />, 401);
    }
    throttle.succeed(username, address);
    const session = await createSession(db, user.id);
    setCookie(c, SESSION_COOKIE, session.cookieValue, sessionCookieOptions(deps.secureCookies, session.expiresAt));
    log.info({ username }, 'logged in');
    return c.redirect(next, 303);
  });

  ui.post('/logout', requireSession(db), async (c) => {
    await endSession(db, getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(deps.secureCookies));
    return c.redirect('/login', 303);
  });
}
