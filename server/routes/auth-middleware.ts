/**
 * Authenticates every API call: `Authorization: Bearer <token>` of an admin or user token,
 * or — for the web UI's own scripts and links such as the raw log download — the browser's
 * session cookie. Cookie-authenticated calls that change something must also carry the
 * session's CSRF token (header `X-CSRF-Token`) and must not come from another site.
 *
 * Authorization has two roles. Admins are the bootstrap admin token (`HIVE_ADMIN_TOKEN`),
 * sessions of admin users and personal tokens of admin users; everyone else is a user.
 * Routes that only admins may call say so with `adminOnly`. A personal token carries its
 * owner's role as it is now, so unmaking an admin takes effect on their tokens at once.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import {
  CSRF_HEADER, CsrfError, SESSION_COOKIE, csrfMatches, loadSession, sameSite, type LiveSession, type SessionUser,
} from '../auth/sessions.ts';
import { bearerToken, hashToken, verifyToken } from '../auth/tokens.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Db } from '../db/client.ts';
import { rowReads } from '../db/row-reads.ts';
import { touchToken, type ApiToken } from '../db/tokens.ts';
import { findUser, type User } from '../db/users.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';

export type AuthVariables = {
  /** Who makes the request, for the record (job triggers, cancels). */
  actor: string;
  /** The user behind the request: the session's, or the owner of a personal token. */
  user?: SessionUser;
  /** Set when the request is authenticated by the session cookie. */
  session?: LiveSession;
  /** Whether the caller may do what only admins may (see the module comment). */
  isAdmin: boolean;
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** `last used` is advisory: write it at most this often per token, not on every call. */
const TOUCH_EVERY_MS = 60_000;

export const isSafeMethod = (method: string) => SAFE_METHODS.has(method);

/** Whether the request comes from our own pages (see `sameSite`). */
export const fromSameSite = (c: Context) =>
  sameSite({ origin: c.req.header('origin'), host: c.req.header('host'), fetchSite: c.req.header('sec-fetch-site') });

/** `onRejected` hears of every refused bearer token (counted and logged by the caller). */
export function requireApiToken(
  db: Db,
  onRejected?: (c: Context, reason: string) => void,
  changes?: ChangeFeed,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  // Lookups are shared and never older than the call (a token revoked before it is
  // refused): kept until a change on the embedded database, shared between calls that
  // arrive together on PostgreSQL (row-reads.ts). A session is looked up again once it
  // is due for renewal, so that the lookup renews it.
  const credentials = rowReads<TokenLookup | undefined>(changes, 'auth');
  const sessions = rowReads<LiveSession | undefined>(changes, 'auth', { validUntil: (session) => session?.renewAt });
  const touched = new WeakSet<ApiToken>();
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const token = bearerToken(header);
      if (!token) {
        onRejected?.(c, 'malformed Authorization header');
        throw new UnauthorizedError('Malformed Authorization header; expected "Bearer <token>"');
      }
      const found = token.length > 512 ? undefined : await credentials.read(hashToken(token), () => lookUpToken(db, token));
      const record = found?.record;
      if (!record) {
        onRejected?.(c, 'invalid or revoked token');
        throw new UnauthorizedError('Invalid or revoked token');
      }
      // Callers sharing one lookup share its record: one of them writes `last used`.
      if ((!record.lastUsedAt || Date.now() - record.lastUsedAt.getTime() > TOUCH_EVERY_MS) && !touched.has(record)) {
        touched.add(record);
        await touchToken(db, record.id);
      }
      const owner = found.owner;
      if (owner) c.set('user', { id: owner.id, username: owner.username, isAdmin: owner.isAdmin });
      c.set('actor', owner?.username ?? (record.kind === 'admin' ? 'admin' : record.name));
      c.set('isAdmin', record.kind === 'admin' || !!owner?.isAdmin);
      return next();
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = cookie ? await sessions.read(hashToken(cookie), () => loadSession(db, cookie)) : undefined;
    if (!session) throw new UnauthorizedError('Missing "Authorization: Bearer <token>" header');
    if (!isSafeMethod(c.req.method) && (!fromSameSite(c) || !csrfMatches(session, c.req.header(CSRF_HEADER)))) {
      throw new CsrfError(`Cookie-authenticated ${c.req.method} requests need the session's ${CSRF_HEADER} header`);
    }
    c.set('session', session);
    c.set('user', session.user);
    c.set('actor', session.user.username);
    c.set('isAdmin', session.user.isAdmin);
    return next();
  };
}

/** An active token and the user who owns it (personal tokens), as one shared lookup. */
interface TokenLookup {
  record: ApiToken;
  owner?: User;
}

async function lookUpToken(db: Db, token: string): Promise<TokenLookup | undefined> {
  const record = await verifyToken(db, token, ['admin', 'user']);
  if (!record) return undefined;
  return { record, owner: record.userId ? await findUser(db, record.userId) : undefined };
}

/** Refuses (403) callers who are not admins; `what` completes "Only admins can …". */
export function adminOnly(what: string): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (!c.get('isAdmin')) throw new ForbiddenError(`Only admins can ${what}`);
    return next();
  };
}
