/** For admins: one user — reset their password, make or unmake them an admin, delete them. */
import type { UserView } from '../../server/auth/user-admin.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../server/auth/passwords.ts';
import { RelTime } from '../components/times.tsx';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';
import { userPath } from '../../common/urls.ts';
import { RoleLabel } from './users.tsx';

export interface UserPageData {
  user: UserView;
  notice?: string;
  error?: string;
}

export function UserPage({ ctx, data }: { ctx: PageContext; data: UserPageData }) {
  const { user } = data;
  const self = user.id === ctx.user?.id;
  const path = userPath(user.id);
  return (
    <Layout ctx={ctx} title={`User ${user.username}`} nav="users">
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/users">Users</a> › <span aria-current="page">{user.username}</span></nav>
      <h1>{user.username} <RoleLabel isAdmin={user.isAdmin} /></h1>
      <p class="muted small">Created <RelTime at={user.createdAt} />{self ? ' · this is you' : ''}</p>
      {data.notice ? <p class="notice" role="status">{data.notice}</p> : ''}
      {data.error ? <p class="alert" role="alert">{data.error}</p> : ''}

      <section class="card" aria-labelledby="reset-title">
        <h2 id="reset-title" class="h3">Reset password</h2>
        <form method="post" action={`${path}/password`} class="stack narrow-form">
          <CsrfField token={ctx.csrf} />
          <label for="reset-password">New password</label>
          <input id="reset-password" name="password" type="password" required minlength={MIN_PASSWORD_LENGTH} maxlength={MAX_PASSWORD_LENGTH}
            autocomplete="new-password" aria-describedby="reset-password-hint" />
          <p class="hint" id="reset-password-hint">
            {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters. {self ? 'Your other sessions' : `${user.username}'s sessions`} end; API tokens keep working.
          </p>
          <button type="submit">Reset password</button>
        </form>
      </section>

      <section class="card" aria-labelledby="role-title">
        <h2 id="role-title" class="h3">Role</h2>
        <p>{user.isAdmin
          ? `${user.username} is an admin: they manage projects, drones and users.`
          : `${user.username} is a user: they see builds and run, cancel and re-run them.`}</p>
        <form method="post" action={`${path}/role`} class="inline"
          data-confirm={user.isAdmin && self ? 'Remove your own admin rights? You lose access to this page.' : undefined}>
          <CsrfField token={ctx.csrf} />
          <input type="hidden" name="isAdmin" value={user.isAdmin ? 'false' : 'true'} />
          <button type="submit">{user.isAdmin ? 'Remove admin rights' : 'Make admin'}</button>
        </form>
      </section>

      <section class="card danger-zone" aria-labelledby="delete-user-title">
        <h2 id="delete-user-title" class="h3">Delete user</h2>
        {self ? <p>You cannot delete your own account; another admin can.</p> : (
          <>
            <p>Deletes {user.username}: their sessions end and their API tokens stop working. Their builds stay.</p>
            <form method="post" action={`${path}/delete`} class="inline" data-confirm={`Delete the user ${user.username}?`}>
              <CsrfField token={ctx.csrf} />
              <button type="submit" class="danger">Delete {user.username}</button>
            </form>
          </>
        )}
      </section>
    </Layout>
  );
}
