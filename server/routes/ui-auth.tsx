/** Logging in and out of the web UI. */
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { LoginPage } from '../../web/pages/login.tsx';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { decoyHash, verifyPassword } from '../auth/passwords.ts';
import { SESSION_COOKIE, createSession, endSession, loadSession, sessionCookieOptions } from '../auth/sessions.ts';
import type { Db } from '../db/client.ts';
import { findUserByUsername } from '../db/users.ts';
import type { Logger } from '../logger.ts';
import { fromSameSite } from './auth-middleware.ts';
import { html, pageContext, type UiEnv } from './ui-render.tsx';
import { requireSession, safeNext } from './ui-session.ts';

export function registerAuthRoutes(ui: Hono<UiEnv>, deps: { db: Db; log: Logger; secureCookies: boolean }) {
  const { db, log } = deps;
  const throttle = new LoginThrottle();

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
    const wait = throttle.retryAfterMs(username);
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60_000);
      return html(c, <LoginPage ctx={ctx} next={next} username={username} error={`Too many failed attempts for this user; try again in ${minutes} min.`} />, 429);
    }
    const user = username ? await findUserByUsername(db, username) : undefined;
    // Unknown users cost the same scrypt as known ones, so timing does not tell which exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !ok) {
      throttle.fail(username);
      log.info({ username }, 'failed login');
      return html(c, <LoginPage ctx={ctx} next={next} username={username} error="Wrong username or password." />, 401);
    }
    throttle.succeed(username);
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
