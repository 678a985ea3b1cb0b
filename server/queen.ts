/**
 * Assembles a running queen from its configuration: database, scheduler, event ingest,
 * HTTP API and WebSockets. `main.ts` and the tests both start queens through here.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { loadPlugins, type PluginRegistry } from '../plugins/loader.ts';
import { createApp } from './app.ts';
import { createMetrics } from './metrics.ts';
import { AuthFailures } from './auth/auth-failures.ts';
import { addressOf } from './auth/client-address.ts';
import { ensureAdminUser } from './auth/admin-user.ts';
import { loadSecretBox, type SecretBox } from './auth/secret-box.ts';
import { loadSession, sameSite, sessionCookieFrom } from './auth/sessions.ts';
import { droneFileAccess } from './auth/drone-file-access.ts';
import { bootstrapTokens, verifyToken, type BootstrapResult } from './auth/tokens.ts';
import { droneCredential } from './auth/drone-credentials.ts';
import { socketLink } from './routes/drone-socket-link.ts';
import { DroneCredentialWatch } from './scheduler/drone-credential-watch.ts';
import { KeyedMutex } from '../common/keyed-mutex.ts';
import type { QueenConfig } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { configuredDatabase } from './db/configured-database.ts';
import { CommitStatusReporter } from './forges/status-reporter.ts';
import { loadQueenId } from './queen-identity.ts';
import { QueenPresence } from './scheduler/queen-presence.ts';
import { DroneInfoWrites } from './scheduler/drone-info-writes.ts';
import { Fleet } from './scheduler/fleet.ts';
import { DroneControlRelay } from './live/drone-control-relay.ts';
import { createMirrorService, type MirrorService } from './git/mirror-service.ts';
import { assignmentSpecs } from './jobs/assignment-spec.ts';
import { EventIngest } from './jobs/event-ingest.ts';
import { ClusterRelay } from './live/cluster-relay.ts';
import { PluginHooks } from './jobs/plugin-hooks.ts';
import { sealStoredPluginSecrets } from './jobs/seal-stored-plugin-secrets.ts';
import { JobControl } from './jobs/job-control.ts';
import { JobLifecycle } from './jobs/job-lifecycle.ts';
import { ResultWaits } from './jobs/result-waits.ts';
import { RunControl } from './jobs/run-control.ts';
import { LogTextCache } from './jobs/log-text-cache.ts';
import { LiveBus } from './jobs/live-bus.ts';
import { SpecResolver } from './jobs/spec-resolver.ts';
import { createLogger, type Logger } from './logger.ts';
import { handleEventsSocket, liveJobView } from './routes/events-socket.ts';
import { CredentialRechecks } from './live/credential-rechecks.ts';
import { LiveFanout } from './live/live-fanout.ts';
import { createHash } from 'node:crypto';
import { attachSocketUpgrades } from './routes/socket-upgrades.ts';
import { Dispatcher } from './scheduler/dispatcher.ts';
import { DroneHub } from './scheduler/drone-hub.ts';
import { DroneSession } from './scheduler/drone-session.ts';
import { startPgliteMaintenance } from './db/pglite-maintenance.ts';
import { LeaseReaper } from './scheduler/lease-reaper.ts';
import { RetentionLoop } from './jobs/retention-loop.ts';
import { fireDueSchedule } from './schedules/fire-schedule.ts';
import { ScheduleLoop } from './schedules/schedule-loop.ts';
import { LostJobHandler } from './scheduler/lost-jobs.ts';

/** How long an idle HTTP keep-alive connection stays open (see where it is set). */
const KEEP_ALIVE_MS = 65_000;

export interface StartOptions {
  /** An already open database (tests); otherwise opened from the config. */
  database?: Database;
  log?: Logger;
  /** An extra drone token valid for this process only (the local drone of `hive start`). */
  localDroneToken?: string;
  /** How many unresolved jobs the resolver holds at most (spec-resolver.ts; tests give fewer). */
  resolverPoolLimit?: number;
}

export interface Queen {
  url: string;
  port: number;
  database: Database;
  bootstrap: BootstrapResult;
  /** The `admin` user's password when it was generated at this start (to print once). */
  generatedAdminPassword?: string;
  secretBox: SecretBox;
  plugins: PluginRegistry;
  hooks: PluginHooks;
  hub: DroneHub;
  /** Checks connected drones' tokens again each period (a revoked one disconnects its drones). */
  droneCredentials: DroneCredentialWatch;
  bus: LiveBus;
  /** Delivers job events and statuses to every `/api/events` socket. */
  live: LiveFanout;
  /** Every change of a job's state goes through it. */
  lifecycle: JobLifecycle;
  /** Reaps (or, for drones still vouching, extends) expired leases. */
  reaper: LeaseReaper;
  /** This queen's id in the `queens` table (kept in its data dir across restarts). */
  queenId: string;
  /** Writes this queen's and its drones' liveness (queens sharing a database read it). */
  presence: QueenPresence;
  control: JobControl;
  dispatcher: Dispatcher;
  resolver: SpecResolver;
  /** The queen's repository mirrors: in the git host process on PGlite, in the queen on PostgreSQL (mirror-service.ts). */
  mirrors: MirrorService;
  ingest: EventIngest;
  /** Commit statuses to GitHub/GitLab, fed by 'job-status' events. */
  statuses: CommitStatusReporter;
  /** Removes old job logs and webhook deliveries (at start, then hourly). */
  retention: RetentionLoop;
  /** Fires project schedules at their due times. */
  schedules: ScheduleLoop;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function startQueen(config: QueenConfig, options: StartOptions = {}): Promise<Queen> {
  const log = options.log ?? createLogger(config.logLevel);
  // The mirrors first: on PGlite their git host starts while this process is small
  // (mirror-service.ts says why that matters).
  const databaseKind = options.database?.kind ?? (config.databaseUrl ? 'postgres' : 'pglite');
  const mirrors = createMirrorService(databaseKind, { dir: join(config.dataDir, 'mirrors'), env: config.gitEnv, timeouts: config.gitTimeouts, log });
  const mirrorsStarted = mirrors.start();
  try {
    return await assembleQueen(config, options, log, mirrors, mirrorsStarted);
  } catch (err) {
    // A start that failed half-way (a database that cannot be opened, a port in use) must
    // not leave the git host process behind.
    await mirrorsStarted.catch(() => {});
    await mirrors.stop().catch(() => {});
    throw err;
  }
}

/** The rest of the start, once the mirrors are starting: the database, the services, the server. */
async function assembleQueen(config: QueenConfig, options: StartOptions, log: Logger, mirrors: MirrorService, mirrorsStarted: Promise<void>): Promise<Queen> {
  const database = options.database ?? (await openDatabase(configuredDatabase(config)));
  await mirrorsStarted;
  const { db } = database;
  const queenId = await loadQueenId(config.dataDir);
  const hub = new DroneHub();
  const presence = new QueenPresence({
    db, hub, log, queenId, beatMs: config.heartbeatMs, leaseMs: config.leaseMs,
    // The relay (created below, before the first pass) announces only while others are live.
    refreshPeers: database.notifier.shared ? () => relay.refreshPeers() : undefined,
  });
  // Before any drone can connect: its earlier run's drones are gone, other queens' are not.
  await presence.open(`${hostname()}:${config.port}`);
  const bootstrap = await bootstrapTokens(db, config);
  for (const { kind, count } of bootstrap.replaced) log.info({ kind, count }, `the ${kind} token from the environment replaced the earlier ones`);
  for (const kind of bootstrap.revokedGiven) log.warn({ kind }, `the ${kind} token in the environment was revoked or rotated through the API and stays revoked; update or remove the variable`);
  const { generatedPassword: generatedAdminPassword } = await ensureAdminUser(db, config.adminPassword);
  const secretBox = await loadSecretBox(config.secretKey, join(config.dataDir, 'secret.key'));

  const plugins = await loadPlugins({ names: config.plugins, resolveFrom: config.pluginDir });
  for (const f of plugins.failures) log.error({ plugin: f.name, error: f.error }, 'plugin failed to load; starting without it');
  // Rows from before secret plugin fields were sealed: sealed now (seal-stored-plugin-secrets.ts).
  await sealStoredPluginSecrets(db, secretBox, plugins, log);
  const bus = new LiveBus();
  // Logs' shared text for readers, kept as this queen stores the events of the jobs it ingests.
  const logTexts = new LogTextCache(db);
  bus.on('job-events', (jobId, events, attempt, lease) => lease && logTexts.stored({ jobId, attempt }, lease, events));
  hub.setMaxListeners(0); // services listen (the dispatcher, the live fan-out), once each, not one per socket
  // Every change of a job's state goes through the lifecycle; the services below react
  // to its events (created → resolver, runnable/slot-freed → dispatcher, runnable →
  // other queens) and to the bus's job-status (hooks, commit statuses, pages).
  const lifecycle = new JobLifecycle({ db, bus, hub, log });
  const dispatcher = new Dispatcher({
    db, hub, lifecycle, log, leaseMs: config.leaseMs,
    prepareSpecs: (batch) => assignmentSpecs(db, secretBox, batch),
  });
  const relay = new ClusterRelay({ db, bus, hub, notifier: database.notifier, log, lifecycle, queenId });
  await relay.start();
  // Greetings of one drone name take turns — hellos here, and probes asked by other queens.
  const droneGreetings = new KeyedMutex();
  const droneControl = new DroneControlRelay({ db, hub, notifier: database.notifier, log, queenId, heartbeatMs: config.heartbeatMs, greetings: droneGreetings });
  await droneControl.start();
  const fleet = new Fleet({ db, hub, log, queenId, control: droneControl });
  const resolver = new SpecResolver({
    db, lifecycle, place: (resolution) => dispatcher.place(resolution), log, secretBox, mirrors, defaultTimeoutMs: config.defaultJobTimeoutMs, plugins, publicUrl: config.publicUrl,
    poolLimit: options.resolverPoolLimit,
  });
  const hooks = new PluginHooks({ db, bus, plugins, log, publicUrl: config.publicUrl, secretBox });
  const statuses = new CommitStatusReporter({ db, secretBox, log, publicUrl: config.publicUrl });
  bus.on('job-status', (job) => statuses.report(job));
  const ingest = new EventIngest({ db, lifecycle, log, bus, hub });
  const lost = new LostJobHandler({ db, lifecycle, log });
  const reaper = new LeaseReaper({ db, hub, lost, log, leaseMs: config.leaseMs, queenId });
  const control = new JobControl({ db, lifecycle, hub, log, relay });
  const runs = new RunControl({ db, lifecycle, control, log });
  const waits = new ResultWaits({ db, bus });
  const schedules = new ScheduleLoop({
    db, log, notifier: database.notifier,
    fire: (project, schedule, dueAt) => fireDueSchedule(control, project, schedule, dueAt),
  });
  const retention = new RetentionLoop({
    db, log,
    policy: { logRetentionDays: config.logRetentionDays, keepBuilds: config.keepBuilds, webhookDeliveryRetentionDays: config.webhookDeliveryRetentionDays },
  });
  const metrics = createMetrics({ db, bus, hub, retention });
  const authFailures = new AuthFailures(log, metrics);
  const app = createApp({
    db, changes: database.changes, logTexts, secretBox, plugins, metrics, control, runs, waits, hub, fleet, log, maxBodyBytes: config.maxBodyBytes, webhookMaxBytes: config.webhookMaxBytes, publicUrl: config.publicUrl,
    metricsToken: config.metricsToken, trustProxy: config.trustProxy, authFailures, schedules,
    maxUploadBytes: config.maxUploadBytes,
    droneFileAccess: droneFileAccess(db, { sharedTokens: config.sharedDroneTokens }, options.localDroneToken),
  });

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // An idle keep-alive connection stays open 65 s, not node's 5 s. A client that reuses it
  // after its own timer — a load balancer's (60 s on many), or fetch's, whose 4 s is kept
  // by a clock of about a second — otherwise meets a connection the queen just closed, and
  // a request fails ("fetch failed", a 502 behind a proxy) without having been read.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Node's rule: longer than the keep-alive, or a request's headers could be cut short.
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  const droneInfoWrites = new DroneInfoWrites({ db, log });
  const live = new LiveFanout({ db, bus, log, hub, view: liveJobView });
  live.start();
  const eventsRechecks = new CredentialRechecks(config.eventsRecheckMs, log);
  const droneCredentials = new DroneCredentialWatch({ db, log, periodMs: config.eventsRecheckMs });
  // Sockets opened with one credential share its re-check; the key is a hash, not the secret.
  const credentialKey = (kind: string, secret: string) => `${kind}:${createHash('sha256').update(secret).digest('base64url')}`;
  const sockets = attachSocketUpgrades(server, {
    log,
    onRejected: (kind, req) => authFailures.report(kind, addressOf(req, config.trustProxy), kind === 'drone' ? 'bad drone token' : 'bad token for /api/events'),
    // A silent drone is pinged each heartbeat period and dropped a period later (20–30 s
    // at the default); watchers are checked half as often: there are many more of them.
    dronePingMs: Math.max(config.heartbeatMs, 500),
    watcherPingMs: Math.max(config.heartbeatMs * 2, 1000),
    authorizeDrone: (token) => droneCredential(db, token, options.localDroneToken),
    authorizeEvents: async (token, req) => {
      if (token) {
        const tokenValid = async () => !!(await verifyToken(db, token, ['admin', 'user']));
        return (await tokenValid()) ? { key: credentialKey('token', token), stillAllowed: tokenValid } : undefined;
      }
      // A browser's socket: its session cookie, and only from our own pages.
      const h = req.headers;
      const fetchSite = h['sec-fetch-site'] as string | undefined;
      if (!sameSite({ origin: h.origin, host: h.host, fetchSite })) return undefined;
      const cookie = sessionCookieFrom(h.cookie);
      const sessionLive = async () => !!(await loadSession(db, cookie));
      return (await sessionLive()) ? { key: credentialKey('session', cookie ?? ''), stillAllowed: sessionLive } : undefined;
    },
    onDrone: (ws, credential, req, liveness) => {
      const session = new DroneSession(
        {
          db, hub, lifecycle, ingest, lost, log, heartbeatMs: config.heartbeatMs, leaseMs: config.leaseMs, queenId,
          policy: { sharedTokens: config.sharedDroneTokens }, credentials: droneCredentials, greetings: droneGreetings,
          onRefused: (reason) => authFailures.report('drone', addressOf(req, config.trustProxy), reason),
          infoWrites: droneInfoWrites, otherQueens: droneControl,
        },
        socketLink(ws, liveness),
        credential,
      );
      ws.on('message', (raw, binary) => void session.receive(raw as Buffer, binary));
      ws.on('close', () => void session.closed());
    },
    onEvents: (ws, credential) => handleEventsSocket(ws, { db, fanout: live, log, rechecks: eventsRechecks, credential }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const maintenance = database.pglite
    ? startPgliteMaintenance({ client: database.pglite, log, intervalMs: config.dbMaintenanceMs })
    : undefined;
  await presence.start(`${hostname()}:${port}`);
  reaper.start(Math.max(250, Math.min(config.leaseMs / 4, 5000)));
  retention.start();
  await schedules.start(); // fires, once each, schedules that were due while no queen ran

  // Work left over from before a restart: jobs to resolve, jobs to schedule.
  resolver.kick();
  dispatcher.kick();

  return {
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    port, database, bootstrap, generatedAdminPassword, secretBox, plugins, hooks, hub, droneCredentials, bus, live, lifecycle, reaper, queenId, presence, control, dispatcher, resolver, mirrors, ingest, statuses, retention, schedules, app,
    async close() {
      // Timers stop now; the database closes only after their runs in progress end.
      const timersStopped = Promise.all([reaper.stop(), presence.stop(), maintenance?.stop(), retention.stop(), schedules.stop()]);
      await relay.stop();
      await droneControl.stop();
      sockets.close();
      live.stop();
      eventsRechecks.stop();
      droneCredentials.stop();
      // The git host stops with the resolver: a fetch in progress (up to HIVE_GIT_TIMEOUT_MS)
      // is killed rather than waited for; its job stays queued for the next start.
      await Promise.all([dispatcher.stop(), resolver.stop(), mirrors.stop()]);
      await ingest.flushAll();
      await droneInfoWrites.settled();
      await droneInfoWrites.stop();
      await hooks.stop();
      await statuses.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await timersStopped;
      if (!options.database) await database.close();
    },
  };
}
