/**
 * The queen's HTTP application. `createApp(deps)` returns the Hono app without binding a
 * port, so tests call `app.request()` directly; WebSockets are attached by the server.
 */
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { PluginRegistry } from '../plugins/loader.ts';
import type { SecretBox } from './auth/secret-box.ts';
import type { Db } from './db/client.ts';
import { HiveError, PayloadTooLargeError } from './errors.ts';
import type { JobControl } from './jobs/job-control.ts';
import type { Logger } from './logger.ts';
import { apiRoutes } from './routes/api.ts';
import { requireApiToken } from './routes/auth-middleware.ts';
import { hookRoutes } from './routes/hooks.ts';
import { securityHeaders } from './routes/security-headers.ts';
import type { DroneHub } from './scheduler/drone-hub.ts';
import { errorPage, uiRoutes, wantsHtml } from './routes/ui.tsx';

export interface AppDeps {
  db: Db;
  secretBox: SecretBox;
  plugins: PluginRegistry;
  metrics: Registry;
  control: JobControl;
  hub: DroneHub;
  log: Logger;
  maxBodyBytes: number;
  /** Body limit of `/hooks/*` (webhook payloads are larger than API requests). */
  webhookMaxBytes?: number;
  onCapacityChange(): void;
  /** Base URL users reach the queen by (the web UI shows and links it). */
  publicUrl?: string;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.use('*', securityHeaders());

  const limit = (maxSize: number) => bodyLimit({
    maxSize,
    onError: () => {
      throw new PayloadTooLargeError(`Request body is larger than ${maxSize} bytes`);
    },
  });
  const apiLimit = limit(deps.maxBodyBytes);
  // Webhooks get their own, larger limit: GitHub's push payloads can be several MB.
  app.use('*', (c, next) => (c.req.path.startsWith('/hooks/') ? next() : apiLimit(c, next)));
  app.use('/hooks/*', limit(deps.webhookMaxBytes ?? deps.maxBodyBytes));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/api/*', requireApiToken(deps.db));
  app.route('/api', apiRoutes(deps));
  // Prometheus scrapes with `authorization: Bearer <API token>` (bearer_token in its config).
  app.get('/metrics', requireApiToken(deps.db), async (c) => {
    c.header('Content-Type', deps.metrics.contentType);
    return c.body(await deps.metrics.metrics());
  });
  app.route('/hooks', hookRoutes(deps));
  app.route('/', uiRoutes({ ...deps, publicUrl: deps.publicUrl ?? 'http://localhost:8080' }));

  app.notFound((c) => !c.req.path.startsWith('/api/') && wantsHtml(c)
    ? errorPage(c, 404, `There is no page at ${c.req.path}.`)
    : c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404));

  app.onError((err, c) => {
    if (err instanceof PayloadTooLargeError) {
      // The unread rest of the body is still on the wire: close the connection after answering.
      c.header('Connection', 'close');
    }
    if (err instanceof HiveError && err.status < 500) {
      return c.json({ error: { code: err.code, message: err.message } }, err.status as 400);
    }
    if (err instanceof HTTPException) {
      return c.json({ error: { code: 'http_error', message: err.message } }, err.status);
    }
    deps.log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'internal_error', message: 'Internal error; see the queen log' } }, 500);
  });

  return app;
}
