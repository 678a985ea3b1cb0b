/** For admins: every user with their role, and the form that creates one. */
import type { UserView } from '../../server/auth/user-admin.ts';
import { MAX_USERNAME_LENGTH } from '../../server/auth/user-rules.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../server/auth/passwords.ts';
import { RelTime } from '../components/times.tsx';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';
import { userPath } from '../../common/urls.ts';

export interface UsersPageData {
  users: UserView[];
  notice?: string;
  error?: string;
  /** What the create form held when it was refused, to fill it in again (never the password). */
  form?: { username: string; isAdmin: boolean };
}

export function RoleLabel({ isAdmin }: { isAdmin: boolean }) {
  return isAdmin ? <span class="tag">admin</span> : <span class="muted">user</span>;
}

function NewUserForm({ ctx, form, error }: { ctx: PageContext; form?: UsersPageData['form']; error?: string }) {
  return (
    <section class="card" aria-labelledby="new-user-title">
      <h2 id="new-user-title" class="h3">New user</h2>
      {error ? <p class="alert" role="alert" id="new-user-error">{error}</p> : ''}
      <form method="post" action="/users" class="stack narrow-form">
        <CsrfField token={ctx.csrf} />
        <label for="new-username">Username</label>
        <input id="new-username" name="username" required maxlength={MAX_USERNAME_LENGTH} pattern="[a-z0-9][a-z0-9._\-]*"
          value={form?.username ?? ''} autocomplete="off" spellcheck={false} aria-describedby="new-username-hint" />
        <p class="hint" id="new-username-hint">Lowercase letters, digits, ".", "_" and "-"; at most {MAX_USERNAME_LENGTH} characters.</p>
        <label for="new-user-password">Initial password</label>
        <input id="new-user-password" name="password" type="password" required minlength={MIN_PASSWORD_LENGTH} maxlength={MAX_PASSWORD_LENGTH}
          autocomplete="new-password" aria-describedby="new-user-password-hint" />
        <p class="hint" id="new-user-password-hint">{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters. Give it to them privately; they can change it on their Account page.</p>
        <label class="check"><input type="checkbox" name="isAdmin" value="true" checked={!!form?.isAdmin} /> Admin: may also manage projects, drones and users</label>
        <button type="submit" class="primary">Create user</button>
      </form>
    </section>
  );
}

export function UsersPage({ ctx, data }: { ctx: PageContext; data: UsersPageData }) {
  return (
    <Layout ctx={ctx} title="Users" nav="users">
      <h1>Users</h1>
      {data.notice ? <p class="notice" role="status">{data.notice}</p> : ''}
      <p class="muted small">Everyone can see builds and run, cancel and re-run them. Admins also create and change projects, drain and disconnect drones, and manage users.</p>
      <section class="card" aria-labelledby="all-users-title">
        <h2 id="all-users-title" class="h3">All users</h2>
        <div class="table-wrap">
          <table class="list" id="users">
            <caption class="sr-only">Users</caption>
            <thead><tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {data.users.map((u) => (
                <tr data-user={u.username}>
                  <th scope="row">
                    <a href={userPath(u.id)}>{u.username}</a>
                    {u.id === ctx.user?.id ? <span class="muted"> (you)</span> : ''}
                  </th>
                  <td><RoleLabel isAdmin={u.isAdmin} /></td>
                  <td><RelTime at={u.createdAt} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <NewUserForm ctx={ctx} form={data.form} error={data.error} />
    </Layout>
  );
}
