/**
 * The Users pages, for admins: the list with the create form, and one user's page with
 * reset password, role and delete. Forms post here and the guard rails of user-admin.ts
 * apply; a refusal shows the page again with the reason, a success redirects (so reloading
 * never repeats it) to a page that says what happened.
 */
import type { Hono } from 'hono';
import { UserPage } from '../../web/pages/user.tsx';
import { UsersPage, type UsersPageData } from '../../web/pages/users.tsx';
import { userPath } from '../../common/urls.ts';
import { createUser, removeUser, resetUserPassword, setUserRole, userView } from '../auth/user-admin.ts';
import type { Db } from '../db/client.ts';
import { findUser, listUsers, type User } from '../db/users.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { uuid } from './api-schemas.ts';
import { html, pageContext, type UiContext, type UiEnv } from './ui-render.tsx';
import { formBody } from './form-input.ts';
import { requireAdmin, requireSession } from './ui-session.ts';

/** What the redirect after a success says; fixed texts, so a crafted link cannot put words on the page. */
const DONE_NOTICES: Record<string, string> = {
  created: 'User created.',
  password: 'Password reset; their sessions were logged out.',
  admin: 'They are an admin now.',
  user: 'They are no longer an admin.',
  deleted: 'The user was deleted; their sessions and API tokens no longer work.',
};

/** A refusal the form can explain (bad input, last admin); anything else is the error page's. */
const explainable = (err: unknown): err is ValidationError | ConflictError => err instanceof ValidationError || err instanceof ConflictError;

async function userOr404(db: Db, id: string | undefined): Promise<User> {
  const user = id && uuid.safeParse(id).success ? await findUser(db, id) : undefined;
  if (!user) throw new NotFoundError('No such user; they may have been deleted');
  return user;
}

export function registerUserRoutes(ui: Hono<UiEnv>, deps: { db: Db; log: Logger }) {
  const { db, log } = deps;
  const guard = [requireSession(db), requireAdmin('manage users')] as const;
  const actor = (c: UiContext) => c.get('session')!.user;

  const listPage = async (c: UiContext, extra: Omit<UsersPageData, 'users'> = {}, status = 200) => {
    const users = (await listUsers(db)).map(userView);
    return html(c, <UsersPage ctx={await pageContext(c)} data={{ users, ...extra }} />, status);
  };
  const userPage = async (c: UiContext, user: User, extra: { notice?: string; error?: string } = {}, status = 200) =>
    html(c, <UserPage ctx={await pageContext(c)} data={{ user: userView(user), ...extra }} />, status);
  const statusOf = (err: ValidationError | ConflictError) => (err instanceof ConflictError ? 409 : 400);

  ui.get('/users', ...guard, async (c) => listPage(c, { notice: DONE_NOTICES[c.req.query('done') ?? ''] }));

  ui.post('/users', ...guard, async (c) => {
    const body = await formBody(c);
    const form = { username: String(body.username ?? '').trim(), isAdmin: body.isAdmin === 'true' };
    try {
      const user = await createUser(db, { ...form, password: String(body.password ?? '') });
      log.info({ username: user.username, isAdmin: user.isAdmin, by: actor(c).username }, 'user created');
      return c.redirect(`${userPath(user.id)}?done=created`, 303);
    } catch (err) {
      if (explainable(err)) return listPage(c, { error: `Cannot create the user: ${err.message}`, form }, statusOf(err));
      throw err;
    }
  });

  ui.get('/users/:id', ...guard, async (c) => {
    const user = await userOr404(db, c.req.param('id'));
    return userPage(c, user, { notice: DONE_NOTICES[c.req.query('done') ?? ''] });
  });

  ui.post('/users/:id/password', ...guard, async (c) => {
    const user = await userOr404(db, c.req.param('id'));
    const body = await formBody(c);
    const session = c.get('session')!;
    try {
      // Your own reset keeps this session, as the Account page does.
      await resetUserPassword(db, user.id, String(body.password ?? ''), user.id === session.user.id ? session.idHash : undefined);
    } catch (err) {
      if (explainable(err)) return userPage(c, user, { error: err.message }, statusOf(err));
      throw err;
    }
    log.info({ username: user.username, by: actor(c).username }, 'user password reset; their sessions ended');
    return c.redirect(`${userPath(user.id)}?done=password`, 303);
  });

  ui.post('/users/:id/role', ...guard, async (c) => {
    const user = await userOr404(db, c.req.param('id'));
    const isAdmin = (await formBody(c)).isAdmin === 'true';
    try {
      await setUserRole(db, user.id, isAdmin);
    } catch (err) {
      if (explainable(err)) return userPage(c, user, { error: err.message }, statusOf(err));
      throw err;
    }
    log.info({ username: user.username, isAdmin, by: actor(c).username }, 'user role changed');
    // Someone who just gave up their own admin rights can no longer see this page.
    if (!isAdmin && user.id === actor(c).id) return c.redirect('/', 303);
    return c.redirect(`${userPath(user.id)}?done=${isAdmin ? 'admin' : 'user'}`, 303);
  });

  ui.post('/users/:id/delete', ...guard, async (c) => {
    const user = await userOr404(db, c.req.param('id'));
    try {
      await removeUser(db, user.id, actor(c).id);
    } catch (err) {
      if (explainable(err)) return userPage(c, user, { error: err.message }, statusOf(err));
      throw err;
    }
    log.info({ username: user.username, by: actor(c).username }, 'user deleted with their sessions and tokens');
    return c.redirect('/users?done=deleted', 303);
  });
}
