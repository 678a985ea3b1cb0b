/** Requires `Authorization: Bearer <token>` of an admin or user token on every API call. */
import type { MiddlewareHandler } from 'hono';
import { bearerToken, verifyToken } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { UnauthorizedError } from '../errors.ts';

export type AuthVariables = {
  /** Who makes the request, for the record (job triggers, cancels). */
  actor: string;
};

export function requireApiToken(db: Db): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new UnauthorizedError('Missing "Authorization: Bearer <token>" header');
    const record = await verifyToken(db, token, ['admin', 'user']);
    if (!record) throw new UnauthorizedError('Invalid or revoked token');
    c.set('actor', record.kind === 'admin' ? 'admin' : record.name);
    await next();
  };
}
