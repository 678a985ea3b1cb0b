/**
 * The web UI: server-rendered pages (`web/pages`), the fragments their live scripts
 * refresh, form actions, and the static assets. Mounted at `/` beside the API.
 *
 * Middleware is attached per route, never with `use('*')`: this app's routes are merged
 * into the root app, where a catch-all would also run for `/api` and `/hooks`.
 */
import { Hono, type Context } from 'hono';
import { ErrorPage } from '../../web/pages/error-page.tsx';
import type { AuthFailures } from '../auth/auth-failures.ts';
import { CsrfError, secureCookies } from '../auth/sessions.ts';
import type { Db } from '../db/client.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import { HiveError } from '../errors.ts';
import type { JobControl } from '../jobs/job-control.ts';
import type { RunControl } from '../jobs/run-control.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { Fleet } from '../scheduler/fleet.ts';
import { uiAssets, type AssetName } from './ui-assets.ts';
import { registerAccountRoutes } from './ui-account.tsx';
import { registerAuthRoutes } from './ui-auth.tsx';
import { registerBuildRoutes } from './ui-builds.tsx';
import { registerRunRoutes } from './ui-runs.tsx';
import { registerDroneRoutes } from './ui-drones.tsx';
import { registerProjectRoutes } from './ui-projects.tsx';
import { registerUserRoutes } from './ui-users.tsx';
import { html, pageContext, type UiEnv } from './ui-render.tsx';

export interface UiDeps {
  db: Db;
  secretBox: SecretBox;
  plugins: PluginRegistry;
  control: JobControl;
  runs: RunControl;
  hub: DroneHub;
  /** The drones of every queen sharing the database (the drones page). */
  fleet: Fleet;
  log: Logger;
  /** Base URL users reach the queen by (webhook URLs shown in settings, `Secure` cookies over https). */
  publicUrl: string;
  /** Whether the client address is X-Forwarded-For's first entry (HIVE_TRUST_PROXY). */
  trustProxy?: boolean;
  /** Counts and logs failed logins (absent in tests that do not care). */
  authFailures?: AuthFailures;
  /** What the run form may send: HIVE_MAX_UPLOAD_BYTES of files, HIVE_MAX_BODY_BYTES of fields. */
  maxUploadBytes?: number;
  maxBodyBytes?: number;
}

/** Whether a request wants a page (a browser navigation) rather than JSON. */
export const wantsHtml = (c: Context) => (c.req.header('accept') ?? '').includes('text/html');

/** The HTML error page for a status and message (also used by the root app's 404). */
export async function errorPage(c: Context, status: number, message: string): Promise<Response> {
  return html(c, <ErrorPage ctx={await pageContext(c as never)} status={status} message={message} />, status);
}

export function uiRoutes(deps: UiDeps) {
  const ui = new Hono<UiEnv>();
  void uiAssets().catch((err) => deps.log.error({ err }, 'building the web UI assets failed'));

  ui.get('/static/:name', async (c) => {
    const asset = (await uiAssets()).get(c.req.param('name') as AssetName);
    if (!asset) return c.text('Not found', 404);
    const etag = `"${asset.hash}"`;
    // A hashed URL never changes content; anything else revalidates.
    c.header('Cache-Control', c.req.query('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('ETag', etag);
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.type });
  });

  registerAuthRoutes(ui, {
    db: deps.db, log: deps.log, secureCookies: secureCookies(deps.publicUrl), trustProxy: deps.trustProxy ?? false, authFailures: deps.authFailures,
  });
  registerProjectRoutes(ui, deps);
  registerBuildRoutes(ui, deps);
  registerRunRoutes(ui, deps);
  registerDroneRoutes(ui, deps);
  registerAccountRoutes(ui, deps);
  registerUserRoutes(ui, deps);

  ui.onError(async (err, c) => {
    if (err instanceof CsrfError) return errorPage(c, 403, err.message);
    if (err instanceof HiveError && err.status < 500) return errorPage(c, err.status, err.message);
    deps.log.error({ err, path: c.req.path }, 'page failed');
    return errorPage(c, 500, 'The page could not be shown; the queen log has the details.');
  });

  return ui;
}
