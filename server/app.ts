/**
 * The queen's HTTP application. `createApp(deps)` returns the Hono app without binding a
 * port, so tests call `app.request()` directly; WebSockets are attached by the server.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { SecretBox } from './auth/secret-box.ts';
import type { Db } from './db/client.ts';
import { HiveError, PayloadTooLargeError } from './errors.ts';
import type { JobControl } from './jobs/job-control.ts';
import type { Logger } from './logger.ts';
import { apiRoutes } from './routes/api.ts';
import { requireApiToken } from './routes/auth-middleware.ts';
import type { DroneHub } from './scheduler/drone-hub.ts';

export interface AppDeps {
  db: Db;
  secretBox: SecretBox;
  control: JobControl;
  hub: DroneHub;
  log: Logger;
  maxBodyBytes: number;
  onCapacityChange(): void;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();

  app.use('*', bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new PayloadTooLargeError(`Request body is larger than ${deps.maxBodyBytes} bytes`);
    },
  }));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/api/*', requireApiToken(deps.db));
  app.route('/api', apiRoutes(deps));

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404));

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
