/** Rendering pages: the layout's context (assets, user, CSRF token) and HTML responses. */
import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { PageContext } from '../../web/layout.tsx';
import type { LiveSession } from '../auth/sessions.ts';
import { assetUrls } from './ui-assets.ts';

export type UiVariables = { session?: LiveSession };
export type UiEnv = { Variables: UiVariables };
export type UiContext = Context<UiEnv>;

export async function pageContext(c: UiContext): Promise<PageContext> {
  const session = c.get('session');
  return { assets: await assetUrls(), user: session?.user, csrf: session?.csrfToken };
}

/** A whole page (with doctype) or a fragment; never cached, since pages show live state. */
export async function html(c: Context, node: JSX.Element, status = 200, page = true): Promise<Response> {
  const body = await node.toString();
  c.header('Cache-Control', 'no-store');
  return c.html(page ? `<!doctype html>${body}` : body, status as 200);
}
