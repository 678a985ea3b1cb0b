/**
 * The queen's HTTP application. `createApp(deps)` returns the Hono app without binding a
 * port, so tests call `app.request()` directly; WebSockets are attached by the server.
 */
import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import { apiBodyLimit } from './routes/body-limit.ts';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnreachable } from './db/database-unreachable.ts';
import type { PluginRegistry } from '../plugins/loader.ts';
import type { AuthFailures } from './auth/auth-failures.ts';
import { requestAddress } from './auth/client-address.ts';
import type { SecretBox } from './auth/secret-box.ts';
import { bearerToken, secretsEqual } from './auth/tokens.ts';
import type { ChangeFeed } from './db/change-feed.ts';
import type { Db } from './db/client.ts';
import { HiveError, NotFoundError, PayloadTooLargeError, UnauthorizedError } from './errors.ts';
import type { JobControl } from './jobs/job-control.ts';
import type { LogTextCache } from './jobs/log-text-cache.ts';
import type { ResultWaits } from './jobs/result-waits.ts';
import type { RunControl } from './jobs/run-control.ts';
import type { Logger } from './logger.ts';
import type { ScheduleLoop } from './schedules/schedule-loop.ts';
import { apiRoutes } from './routes/api.ts';
import { JobLogRows } from './routes/api-job-log.ts';
import { requireApiToken } from './routes/auth-middleware.ts';
import { hookRoutes } from './routes/hooks.ts';
import { droneFileRoutes, type DroneFileAccess } from './routes/drone-files.ts';
import { isUploadRequest } from './uploads/upload-routes.ts';
import { badgeRoutes } from './routes/badge.ts';
import { cleanQuery } from './routes/request-input.ts';
import { securityHeaders } from './routes/security-headers.ts';
import type { DroneHub } from './scheduler/drone-hub.ts';
import type { Fleet } from './scheduler/fleet.ts';
import { errorPage, uiRoutes, wantsHtml } from './routes/ui.tsx';

export interface AppDeps {
  db: Db;
  /** Changes to cached rows, on the embedded database (change-feed.ts). */
  changes?: ChangeFeed;
  /** Logs' shared text, kept from stored events too (log-text-cache.ts). */
  logTexts?: LogTextCache;
  secretBox: SecretBox;
  plugins: PluginRegistry;
  metrics: Registry;
  control: JobControl;
  /** Runs of several jobs: trigger, cancel, re-run. */
  runs: RunControl;
  /** `?wait=<s>` on the API's job and run endpoints. */
  waits: ResultWaits;
  hub: DroneHub;
  /** The drones of every queen sharing the database: the API's and the drones page's list and actions. */
  fleet: Fleet;
  log: Logger;
  maxBodyBytes: number;
  /** Body limit of `/hooks/*` (webhook payloads are larger than API requests). */
  webhookMaxBytes?: number;
  /** Base URL users reach the queen by (the web UI shows and links it). */
  publicUrl?: string;
  /** The only credential `/metrics` takes (HIVE_METRICS_TOKEN); without it `/metrics` is off (404). */
  metricsToken?: string;
  /** Whether the client address is X-Forwarded-For's first entry (HIVE_TRUST_PROXY). */
  trustProxy?: boolean;
  /** Counts and logs rejected credentials (absent in tests that do not care). */
  authFailures?: AuthFailures;
  /** HIVE_MAX_UPLOAD_BYTES: what the files of one trigger may have in all (default 50 MiB). */
  maxUploadBytes?: number;
  /** Which drone tokens may fetch a job's uploaded files (absent: no drone can). */
  droneFileAccess?: DroneFileAccess;
  /** Told when a project's schedules change. */
  schedules: Pick<ScheduleLoop, 'changing' | 'changed'>;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', cleanQuery());

  const limit = (maxSize: number) => apiBodyLimit(maxSize, () => {
    throw new PayloadTooLargeError(`Request body is larger than ${maxSize} bytes`);
  });
  const apiLimit = limit(deps.maxBodyBytes);
  // Webhooks get their own, larger limit: GitHub's push payloads can be several MB. Triggers
  // with files get theirs from their handlers, which stream them (upload-routes.ts).
  const ownLimit = (c: Context) => c.req.path.startsWith('/hooks/') || isUploadRequest(c.req.method, c.req.path, c.req.header('content-type'));
  // GET and HEAD carry no body (the adapter gives them none): asking for it would only make
  // the adapter build a whole fetch Request per call — a quarter of the queen's CPU for a
  // small log read (profiled, bench/log-reads.ts).
  const hasBody = (c: Context) => c.req.method !== 'GET' && c.req.method !== 'HEAD';
  app.use('*', (c, next) => (!hasBody(c) || ownLimit(c) ? next() : apiLimit(c, next)));
  const webhookLimit = limit(deps.webhookMaxBytes ?? deps.maxBodyBytes);
  app.use('/hooks/*', (c, next) => (hasBody(c) ? webhookLimit(c, next) : next()));

  app.get('/healthz', (c) => c.json({ ok: true }));
  const trustProxy = deps.trustProxy ?? false;
  const rejected = (c: Context, reason: string) => deps.authFailures?.report('api_token', requestAddress(c, trustProxy), reason, { path: c.req.path });
  // A log read's job row is read beside its credential check (api-job-log.ts).
  const logRows = new JobLogRows(deps.db, deps.changes);
  app.use('/api/jobs/:id/log', logRows.prefetch());
  app.use('/api/*', requireApiToken(deps.db, rejected, deps.changes));
  app.route('/api', apiRoutes({ ...deps, logRows }));
  // Prometheus scrapes with `authorization: Bearer <HIVE_METRICS_TOKEN>` (bearer_token in its
  // config) — a credential of its own that opens nothing else; no user or admin token.
  app.get('/metrics', async (c) => {
    if (!deps.metricsToken) {
      throw new NotFoundError('Metrics are off: set HIVE_METRICS_TOKEN on the queen and scrape /metrics with "Authorization: Bearer <that token>"');
    }
    const given = bearerToken(c.req.header('authorization'));
    if (!given || !secretsEqual(given, deps.metricsToken)) {
      deps.authFailures?.report('api_token', requestAddress(c, trustProxy), 'not the metrics token', { path: '/metrics' });
      throw new UnauthorizedError('/metrics takes only HIVE_METRICS_TOKEN, as "Authorization: Bearer <token>"');
    }
    c.header('Content-Type', deps.metrics.contentType);
    return c.body(await deps.metrics.metrics());
  });
  app.route('/hooks', hookRoutes(deps));
  // A drone fetches the files uploaded with its job (drone token and the job's lease).
  if (deps.droneFileAccess) {
    app.route('/drone', droneFileRoutes({
      db: deps.db,
      access: deps.droneFileAccess,
      onRejected: (c, reason) => deps.authFailures?.report('drone', requestAddress(c, trustProxy), reason, { path: c.req.path }),
    }));
  }
  // Status badges for READMEs: no credentials needed, except for private projects (badge.ts).
  app.route('/badge', badgeRoutes({
    db: deps.db,
    onRejectedToken: (c, reason) => deps.authFailures?.report('api_token', requestAddress(c, trustProxy), reason, { path: c.req.path }),
  }));
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
    if (isDatabaseUnreachable(err)) {
      deps.log.warn({ err, path: c.req.path }, 'request refused: the database is unreachable');
      c.header('Retry-After', '1');
      return c.json({ error: { code: 'database_unavailable', message: 'The database cannot be reached; try again shortly' } }, 503);
    }
    deps.log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'internal_error', message: 'Internal error; see the queen log' } }, 500);
  });

  return app;
}
