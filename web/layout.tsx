/**
 * The frame of every page: head (one stylesheet, deferred module scripts), a skip link,
 * the navigation and the signed-in user. The CSRF token sits in a meta tag for scripts
 * and in a hidden field of each form.
 */
import type { Child } from 'hono/jsx';
import type { SessionUser } from '../server/auth/sessions.ts';
import type { AssetName, AssetUrls } from '../server/routes/ui-assets.ts';

export interface PageContext {
  assets: AssetUrls;
  user?: SessionUser;
  csrf?: string;
}

export interface LayoutProps {
  ctx: PageContext;
  title: string;
  nav?: 'dashboard' | 'drones' | 'users' | 'account';
  scripts?: AssetName[];
  /** Marks pages that keep a live connection (for the connection indicator). */
  live?: boolean;
  children?: Child;
}

export function CsrfField({ token }: { token?: string }) {
  return <input type="hidden" name="_csrf" value={token ?? ''} />;
}

export function Layout({ ctx, title, nav, scripts = [], live, children }: LayoutProps) {
  const link = (key: LayoutProps['nav'], href: string, text: string) => (
    <a href={href} aria-current={nav === key ? 'page' : undefined}>{text}</a>
  );
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {ctx.csrf ? <meta name="csrf-token" content={ctx.csrf} /> : ''}
        <title>{`${title} · Hive`}</title>
        <link rel="stylesheet" href={ctx.assets['style.css']} />
        <link rel="icon" href="data:," />
        {ctx.user ? <script type="module" src={ctx.assets['live.js']}></script> : ''}
        {scripts.map((s) => <script type="module" src={ctx.assets[s]}></script>)}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="topbar">
          <a class="brand" href="/">⬡ Hive</a>
          {ctx.user ? (
            <nav aria-label="Main">
              {link('dashboard', '/', 'Dashboard')}
              {link('drones', '/drones', 'Drones')}
              {ctx.user.isAdmin ? link('users', '/users', 'Users') : ''}
              {link('account', '/account', 'Account')}
            </nav>
          ) : ''}
          {ctx.user ? (
            <div class="who">
              {live ? <span id="live-state" class="live-state" role="status" data-state="connecting">connecting…</span> : ''}
              <span class="muted">{ctx.user.username}</span>
              <form method="post" action="/logout" class="inline">
                <CsrfField token={ctx.csrf} />
                <button type="submit" class="link-button">Log out</button>
              </form>
            </div>
          ) : ''}
        </header>
        <main id="main" tabindex={-1}>{children}</main>
      </body>
    </html>
  );
}
