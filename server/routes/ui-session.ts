/**
 * The web UI's authentication: pages need a live session (else a redirect to the login
 * page, back afterwards); anything that changes something needs the session's CSRF token
 * (hidden form field or header) and must come from our own pages.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { CSRF_FIELD, CSRF_HEADER, CsrfError, SESSION_COOKIE, csrfMatches, loadSession } from '../auth/sessions.ts';
import type { Db } from '../db/client.ts';
import { ForbiddenError } from '../errors.ts';
import { fromSameSite, isSafeMethod } from './auth-middleware.ts';
import type { UiEnv } from './ui-render.tsx';

/** Where to go after logging in: only a path on this site. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login') || next.startsWith('/logout') || next.length > 2000) return '/';
  return next;
}

export function requireSession(db: Db): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const session = await loadSession(db, getCookie(c, SESSION_COOKIE));
    if (!session) {
      const url = new URL(c.req.url);
      const back = isSafeMethod(c.req.method) ? safeNext(url.pathname + url.search) : '/';
      return c.redirect(back === '/' ? '/login' : `/login?next=${encodeURIComponent(back)}`, 303);
    }
    if (!isSafeMethod(c.req.method)) {
      let given = c.req.header(CSRF_HEADER);
      if (!given) {
        const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
        const field = body[CSRF_FIELD];
        given = typeof field === 'string' ? field : undefined;
      }
      if (!fromSameSite(c) || !csrfMatches(session, given)) {
        throw new CsrfError('This form is out of date or came from another site; reload the page and try again');
      }
    }
    c.set('session', session);
    await next();
  };
}

/**
 * After `requireSession`: pages and actions only admins may use (the API's `adminOnly`
 * rule). Others get the 403 page; the pages they can see do not offer these links.
 */
export function requireAdmin(what: string): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    if (!c.get('session')?.user.isAdmin) throw new ForbiddenError(`Only admins can ${what}.`);
    await next();
  };
}
