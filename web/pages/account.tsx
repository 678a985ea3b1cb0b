/** The signed-in user's API tokens (created, shown once, revoked) and password. */
import type { ApiToken } from '../../server/db/tokens.ts';
import { RelTime } from '../components/times.tsx';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';

export interface AccountPageData {
  tokens: ApiToken[];
  /** A token just created: its only appearance. */
  created?: { name: string; token: string };
  notice?: string;
  error?: string;
}

export function AccountPage({ ctx, data }: { ctx: PageContext; data: AccountPageData }) {
  return (
    <Layout ctx={ctx} title="Account" nav="account">
      <h1>Account</h1>
      {data.notice ? <p class="notice" role="status">{data.notice}</p> : ''}
      {data.error ? <p class="alert" role="alert">{data.error}</p> : ''}
      <section class="card" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <p class="muted small">Tokens act as you on the REST API, the CLI and <code>/api/events</code>: send <code>Authorization: Bearer &lt;token&gt;</code>.</p>
        {data.created ? (
          <div class="notice" role="status" id="new-token">
            <p>Token <strong>{data.created.name}</strong> created. Copy it now: it is not shown again.</p>
            <p class="token-line"><code id="new-token-value">{data.created.token}</code></p>
          </div>
        ) : ''}
        <form method="post" action="/account/tokens" class="row-form">
          <CsrfField token={ctx.csrf} />
          <label for="token-name">Name</label>
          <input id="token-name" name="name" required maxlength={100} placeholder="e.g. laptop CLI" autocomplete="off" />
          <button type="submit" class="primary">Create token</button>
        </form>
        {data.tokens.length === 0 ? <p class="empty">No tokens yet.</p> : (
          <div class="table-wrap">
            <table class="list" id="tokens">
              <caption class="sr-only">Your API tokens</caption>
              <thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {data.tokens.map((t) => (
                  <tr data-token-id={t.id}>
                    <th scope="row">{t.name}</th>
                    <td><RelTime at={t.createdAt} /></td>
                    <td>{t.lastUsedAt ? <RelTime at={t.lastUsedAt} /> : <span class="muted">never</span>}</td>
                    <td>{t.revokedAt ? <span class="muted">revoked <RelTime at={t.revokedAt} /></span> : 'active'}</td>
                    <td>{t.revokedAt ? '' : (
                      <form method="post" action={`/account/tokens/${t.id}/revoke`} class="inline" data-confirm={`Revoke ${t.name}? Programs using it stop working.`}>
                        <CsrfField token={ctx.csrf} />
                        <button type="submit" class="danger" aria-label={`Revoke ${t.name}`}>Revoke</button>
                      </form>
                    )}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <form method="post" action="/account/password" class="stack narrow-form">
          <CsrfField token={ctx.csrf} />
          <label for="current-password">Current password</label>
          <input id="current-password" name="current" type="password" autocomplete="current-password" required />
          <label for="new-password">New password (at least 8 characters)</label>
          <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength={8} />
          <button type="submit">Change password</button>
        </form>
        <p class="muted small">Changing it logs out your other sessions.</p>
      </section>
    </Layout>
  );
}
