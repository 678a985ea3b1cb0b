/**
 * `/api/users`, for admins only: `GET` lists users, `POST {username, password, isAdmin?}`
 * creates one (201), `GET /:id` reads one, `PATCH /:id {password?, isAdmin?}` resets the
 * password (ending that user's sessions) and/or changes the role, `DELETE /:id` deletes
 * (204; their sessions and tokens end with them). Answers carry `userView`s: never a hash.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { createUser, removeUser, resetUserPassword, setUserRole, userView } from '../auth/user-admin.ts';
import { newPasswordSchema, usernameSchema } from '../auth/user-rules.ts';
import type { Db } from '../db/client.ts';
import { findUser, listUsers } from '../db/users.ts';
import { mustExist } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { adminOnly, type AuthVariables } from './auth-middleware.ts';
import { idParam, readBody } from './request-input.ts';

export const createUserBody = z.strictObject({
  username: usernameSchema,
  password: newPasswordSchema,
  isAdmin: z.boolean().default(false),
});

export const updateUserBody = z
  .strictObject({ password: newPasswordSchema.optional(), isAdmin: z.boolean().optional() })
  .refine((b) => b.password !== undefined || b.isAdmin !== undefined, 'needs "password" or "isAdmin"');

export function userRoutes(db: Db, log: Logger) {
  const api = new Hono<{ Variables: AuthVariables }>();
  const admins = adminOnly('manage users');

  api.get('/', admins, async (c) => c.json({ users: (await listUsers(db)).map(userView) }));

  api.post('/', admins, async (c) => {
    const body = await readBody(c, createUserBody);
    const user = await createUser(db, body);
    log.info({ username: user.username, isAdmin: user.isAdmin, by: c.get('actor') }, 'user created');
    return c.json(userView(user), 201);
  });

  api.get('/:id', admins, async (c) => {
    const id = idParam(c, 'User');
    return c.json(userView(mustExist(await findUser(db, id), 'User', id)));
  });

  api.patch('/:id', admins, async (c) => {
    const id = idParam(c, 'User');
    const body = await readBody(c, updateUserBody);
    let user = mustExist(await findUser(db, id), 'User', id);
    // The role first: when it is refused (last admin), the password stays as it was too.
    if (body.isAdmin !== undefined && body.isAdmin !== user.isAdmin) {
      user = await setUserRole(db, id, body.isAdmin);
      log.info({ username: user.username, isAdmin: user.isAdmin, by: c.get('actor') }, 'user role changed');
    }
    if (body.password !== undefined) {
      // Resetting your own password here keeps the session you do it from, as the Account page does.
      const session = c.get('session');
      user = await resetUserPassword(db, id, body.password, session?.user.id === id ? session.idHash : undefined);
      log.info({ username: user.username, by: c.get('actor') }, 'user password reset; their sessions ended');
    }
    return c.json(userView(user));
  });

  api.delete('/:id', admins, async (c) => {
    const user = await removeUser(db, idParam(c, 'User'), c.get('user')?.id);
    log.info({ username: user.username, by: c.get('actor') }, 'user deleted with their sessions and tokens');
    return c.body(null, 204);
  });

  return api;
}
