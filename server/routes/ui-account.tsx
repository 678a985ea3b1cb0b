/** The account page: personal API tokens and the password. */
import type { Hono } from 'hono';
import { AccountPage, type AccountPageData } from '../../web/pages/account.tsx';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.ts';
import { createUserToken, listTokensOf, revokeTokenOf } from '../auth/user-tokens.ts';
import type { Db } from '../db/client.ts';
import { deleteUserSessions } from '../db/sessions.ts';
import { findUser, setUserPassword } from '../db/users.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { html, pageContext, type UiContext, type UiEnv } from './ui-render.tsx';
import { formBody } from './form-input.ts';
import { requireSession } from './ui-session.ts';

export function registerAccountRoutes(ui: Hono<UiEnv>, deps: { db: Db }) {
  const { db } = deps;
  const auth = requireSession(db);

  const page = async (c: UiContext, extra: Omit<AccountPageData, 'tokens'> = {}, status = 200) => {
    const tokens = await listTokensOf(db, c.get('session')!.user.id);
    return html(c, <AccountPage ctx={await pageContext(c)} data={{ tokens, ...extra }} />, status);
  };

  ui.get('/account', auth, async (c) => page(c));

  ui.post('/account/tokens', auth, async (c) => {
    const body = await formBody(c);
    try {
      const { token, row } = await createUserToken(db, c.get('session')!.user.id, String(body.name ?? ''));
      // Answered directly (no redirect), so the token appears once and is in no URL or history entry.
      return page(c, { created: { name: row.name, token } }, 201);
    } catch (err) {
      if (err instanceof ValidationError) return page(c, { error: `Cannot create the token: ${err.message}` }, 400);
      throw err;
    }
  });

  ui.post('/account/tokens/:id/revoke', auth, async (c) => {
    try {
      await revokeTokenOf(db, c.get('session')!.user.id, c.req.param('id'));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    return c.redirect('/account', 303);
  });

  ui.post('/account/password', auth, async (c) => {
    const body = await formBody(c);
    const session = c.get('session')!;
    const user = await findUser(db, session.user.id);
    const current = String(body.current ?? '');
    const next = String(body.password ?? '');
    if (!user || !(await verifyPassword(current, user.passwordHash))) return page(c, { error: 'The current password is wrong.' }, 400);
    const problem = passwordProblem(next);
    if (problem) return page(c, { error: problem }, 400);
    await setUserPassword(db, user.id, await hashPassword(next));
    await deleteUserSessions(db, user.id, session.idHash);
    return page(c, { notice: 'Password changed; your other sessions were logged out.' });
  });
}
