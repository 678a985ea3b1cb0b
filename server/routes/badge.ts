/**
 * `GET /badge/:projectName.svg?branch=main`: the status badge of a branch's latest
 * finished build (default: the project's default branch), for READMEs. Mounted outside
 * /api because it needs no credentials: anyone may see a public project's badge.
 *
 * A private project's badge needs what the API needs — a session cookie or
 * `Authorization: Bearer <token>` of a user. Without them it answers exactly as for a
 * project that does not exist (404 with a "not found" badge), so badges do not tell
 * strangers which private projects exist. A bearer token that is wrong is a 401, whatever
 * the project.
 *
 * Caching: `no-cache` with an ETag (and Last-Modified, the build's end), so GitHub's camo
 * proxy and browsers revalidate on every view and get a 304 while the badge is unchanged;
 * private badges are `private`, kept out of shared caches.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { loadSession, SESSION_COOKIE } from '../auth/sessions.ts';
import { bearerToken, verifyToken } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { latestBranchStatus } from '../db/branch-status.ts';
import { findProjectByName } from '../db/projects.ts';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { branchBadge, notFoundBadge } from '../badges/badge-status.ts';
import { badgeSvg, type BadgeText } from '../badges/badge-svg.ts';
import { branchName } from './api-schemas.ts';

export interface BadgeDeps {
  db: Db;
  /** Hears of every refused bearer token (counted and logged as the API's are). */
  onRejectedToken?: (c: Context, reason: string) => void;
}

/** Whether the request carries a live session or a valid user token; throws 401 for a bad token. */
async function signedIn(db: Db, c: Context, onRejected?: BadgeDeps['onRejectedToken']): Promise<boolean> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const token = bearerToken(header);
    if (token && (await verifyToken(db, token, ['admin', 'user']))) return true;
    onRejected?.(c, token ? 'invalid or revoked token' : 'malformed Authorization header');
    throw new UnauthorizedError(token ? 'Invalid or revoked token' : 'Malformed Authorization header; expected "Bearer <token>"');
  }
  return !!(await loadSession(db, getCookie(c, SESSION_COOKIE)));
}

/** The SVG with its validators; 304 when the client's copy is current. */
function answer(c: Context, badge: BadgeText, status: 200 | 404, options: { isPrivate: boolean; lastModified?: Date }): Response {
  const body = badgeSvg(badge);
  const etag = `"${createHash('sha256').update(`${status} ${body}`).digest('base64url').slice(0, 22)}"`;
  const headers: Record<string, string> = {
    'Content-Type': 'image/svg+xml; charset=utf-8',
    'Cache-Control': `${options.isPrivate ? 'private' : 'public'}, max-age=0, no-cache, must-revalidate`,
    ETag: etag,
  };
  if (options.isPrivate) headers.Vary = 'Authorization, Cookie';
  if (options.lastModified) headers['Last-Modified'] = options.lastModified.toUTCString();
  if (status === 200 && isCurrent(c, etag, options.lastModified)) return c.body(null, 304, headers);
  return c.body(body, status, headers);
}

/** If-None-Match when sent (it wins), else If-Modified-Since. */
function isCurrent(c: Context, etag: string, lastModified: Date | undefined): boolean {
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
  const since = Date.parse(c.req.header('if-modified-since') ?? '');
  return !!lastModified && Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

export function badgeRoutes(deps: BadgeDeps) {
  const routes = new Hono();
  routes.get('/:file', async (c) => {
    // Hono gives the path segment percent-decoded: "my%20app.svg" is "my app.svg".
    const file = c.req.param('file');
    if (!file.endsWith('.svg')) return c.json({ error: { code: 'not_found', message: 'Badges are /badge/<project name>.svg' } }, 404);
    const name = file.slice(0, -'.svg'.length);
    const branchQuery = c.req.query('branch');
    if (branchQuery !== undefined) {
      const checked = branchName.safeParse(branchQuery);
      if (!checked.success) throw new ValidationError(`branch: ${describeZodError(checked.error)}`);
    }
    const authenticated = c.req.header('authorization') !== undefined ? await signedIn(deps.db, c, deps.onRejectedToken) : undefined;
    const project = name ? await findProjectByName(deps.db, name) : undefined;
    if (!project || (project.private && !(authenticated ?? (await signedIn(deps.db, c, deps.onRejectedToken))))) {
      return answer(c, notFoundBadge, 404, { isPrivate: true });
    }
    const branch = branchQuery ?? project.defaultBranch;
    const latest = await latestBranchStatus(deps.db, project.id, branch);
    return answer(c, branchBadge(branch, latest), 200, { isPrivate: project.private, lastModified: latest?.finishedAt });
  });
  return routes;
}
