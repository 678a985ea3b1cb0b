/** The login form. It posts to itself; the session cookie is set on success. */
import { Layout, type PageContext } from '../layout.tsx';

export function LoginPage({ ctx, next, error, username }: { ctx: PageContext; next: string; error?: string; username?: string }) {
  return (
    <Layout ctx={ctx} title="Log in">
      <section class="card narrow">
        <h1>Log in to Hive</h1>
        {error ? <p class="alert" role="alert" id="login-error">{error}</p> : ''}
        <form method="post" action="/login" class="stack">
          <input type="hidden" name="next" value={next} />
          <label for="username">Username</label>
          <input id="username" name="username" autocomplete="username" required autofocus value={username ?? ''} aria-describedby={error ? 'login-error' : undefined} />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit" class="primary">Log in</button>
        </form>
        <p class="muted small">The first user, <code>admin</code>, gets its password from <code>HIVE_ADMIN_PASSWORD</code> or from the queen's first start, where a generated one is printed once.</p>
      </section>
    </Layout>
  );
}
