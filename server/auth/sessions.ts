/**
 * Browser sessions: the cookie holds 32 random bytes; the database keeps only their
 * sha256, so a leaked database row cannot be replayed as a cookie. Each session carries a
 * random CSRF token that forms send back as a hidden field and scripts as a header.
 * Sessions last two weeks and slide forward while used.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseCookies } from 'hono/utils/cookie';
import type { Db } from '../db/client.ts';
import { deleteExpiredSessions, deleteSession, extendSession, findLiveSession, insertSession } from '../db/sessions.ts';
import { HiveError } from '../errors.ts';
import { hashToken, secretsEqual } from './tokens.ts';

export const SESSION_COOKIE = 'hive_session';
/** The form field and header that carry the CSRF token of cookie-authenticated requests. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_MS = 14 * 24 * 3600_000;
/** Renew a session's expiry when less than this remains, so active users stay logged in. */
const RENEW_BELOW_MS = SESSION_TTL_MS / 2;

/** A cookie-authenticated request whose CSRF token is missing, wrong, or that comes from another site. */
export class CsrfError extends HiveError {
  override readonly status = 403;
  override readonly code = 'csrf_failed';
}

export interface SessionUser {
  id: string;
  username: string;
  isAdmin: boolean;
}

export interface LiveSession {
  idHash: string;
  csrfToken: string;
  user: SessionUser;
  /** When it is due for renewal (ms since the epoch): a kept lookup ends then. */
  renewAt: number;
}

export interface NewSession {
  /** The cookie value; shown to nobody but the browser. */
  cookieValue: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(db: Db, userId: string): Promise<NewSession> {
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  // Logins are rare enough to carry the cleanup of expired sessions.
  await deleteExpiredSessions(db);
  await insertSession(db, { idHash: hashToken(cookieValue), userId, csrfToken, expiresAt });
  return { cookieValue, csrfToken, expiresAt };
}

/** The session a cookie value names, when it is live; renews it when half its time is gone. */
export async function loadSession(db: Db, cookieValue: string | undefined): Promise<LiveSession | undefined> {
  if (!cookieValue || cookieValue.length > 128) return undefined;
  const idHash = hashToken(cookieValue);
  const found = await findLiveSession(db, idHash);
  if (!found) return undefined;
  let expiresAt = found.session.expiresAt.getTime();
  if (expiresAt - Date.now() < RENEW_BELOW_MS) {
    expiresAt = Date.now() + SESSION_TTL_MS;
    await extendSession(db, idHash, new Date(expiresAt));
  }
  const { id, username, isAdmin } = found.user;
  return { idHash, csrfToken: found.session.csrfToken, user: { id, username, isAdmin }, renewAt: expiresAt - RENEW_BELOW_MS };
}

export async function endSession(db: Db, cookieValue: string | undefined): Promise<void> {
  if (cookieValue && cookieValue.length <= 128) await deleteSession(db, hashToken(cookieValue));
}

/** The session cookie's value from a raw `Cookie` header (WebSocket upgrades have no Hono context). */
export function sessionCookieFrom(cookieHeader: string | undefined): string | undefined {
  return cookieHeader ? parseCookies(cookieHeader, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
}

export function csrfMatches(session: LiveSession, given: string | undefined | null): boolean {
  return !!given && secretsEqual(given, session.csrfToken);
}

/**
 * False when a browser tells us the request was made by another site: `Sec-Fetch-Site`
 * (sent by every current browser) or, failing that, an `Origin` whose host is not ours.
 * Requests without either (curl, old browsers) pass; the CSRF token still guards them.
 */
export function sameSite(headers: { origin?: string | null; host?: string | null; fetchSite?: string | null }): boolean {
  if (headers.fetchSite && !['same-origin', 'none'].includes(headers.fetchSite)) return false;
  if (headers.origin && headers.origin !== 'null') {
    try {
      return new URL(headers.origin).host === headers.host;
    } catch {
      return false;
    }
  }
  return !headers.origin;
}

/** Whether the session cookie should be `Secure` (served over https). */
export const secureCookies = (publicUrl: string) => publicUrl.startsWith('https:');

export const sessionCookieOptions = (secure: boolean, expires?: Date) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'Lax' as const,
  secure,
  ...(expires ? { expires } : {}),
});
