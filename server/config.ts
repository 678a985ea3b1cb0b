/**
 * The queen's configuration: a pure function of the environment, validated in full at
 * start so a typo fails loudly ("Expected HIVE_PORT to be …, got …") instead of later.
 * This is the only module of the queen that reads the environment. Secrets may be given
 * as `NAME_FILE` (a path whose contents are the value), for Docker/Kubernetes secrets.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../common/config-error.ts';
import { parseBooleanEnv } from '../common/boolean-env.ts';
import { gitTimeoutsFromEnv, type GitTimeouts } from '../common/git/git-timeouts.ts';

export interface QueenConfig {
  port: number;
  host: string;
  /** Where PGlite's data, repository mirrors and other state live. */
  dataDir: string;
  /** PostgreSQL URL; when absent the embedded PGlite under dataDir is used. */
  databaseUrl?: string;
  /** The public base URL of the web UI (links in commit statuses). */
  publicUrl: string;
  adminToken?: string;
  droneToken?: string;
  /** Whether shared drone tokens connect drones that have no token of their own (server/auth/drone-credentials.ts). */
  sharedDroneTokens: boolean;
  /** Bearer token Prometheus scrapes `/metrics` with; unset, `/metrics` answers 404. */
  metricsToken?: string;
  /** Behind a reverse proxy: the client address is the first X-Forwarded-For entry (login throttle, logs). */
  trustProxy: boolean;
  /** Password of the `admin` user created at first start; generated (and printed once) when absent. */
  adminPassword?: string;
  /** 32-byte key for secrets at rest (hex or base64); generated into dataDir when absent. */
  secretKey?: string;
  /** Whether `hive start` runs a drone beside the queen. */
  localDrone: boolean;
  localDroneCapacity?: number;
  /** How long a drone may be silent before its jobs are given up (ms). */
  leaseMs: number;
  /** How often drones send heartbeats (ms). */
  heartbeatMs: number;
  /** Default whole-job timeout (ms) when the project sets none. */
  defaultJobTimeoutMs: number;
  /** How often an open `/api/events` socket's session or token is checked again (ms). */
  eventsRecheckMs: number;
  /** How often the embedded database checks whether tables need VACUUM/ANALYZE (ms). */
  dbMaintenanceMs: number;
  /** Days a finished job's log is kept; 0 keeps logs forever. */
  logRetentionDays: number;
  /** The logs of each project's newest this many builds are kept whatever their age; 0 for none. */
  keepBuilds: number;
  /** Days webhook delivery records are kept (they make redeliveries idempotent); 0 keeps them forever. */
  webhookDeliveryRetentionDays: number;
  /** Request body limit for the API (bytes). */
  maxBodyBytes: number;
  /** Request body limit for webhooks (bytes); GitHub caps its payloads at 25 MB. */
  webhookMaxBytes: number;
  /** The files one trigger may send, in all (bytes); multipart triggers get this beside maxBodyBytes. */
  maxUploadBytes: number;
  logLevel: string;
  /** npm packages to load as plugins besides the built-ins. */
  plugins: string[];
  /** Where plugin packages are looked up (`node_modules` from here upwards). */
  pluginDir: string;
  /** The environment git runs with on the queen: only what git needs (proxies, CA files, PATH). */
  gitEnv: Record<string, string>;
  /** How long the queen's fetches may take to connect, stall and run (HIVE_GIT_*; common/git/git-timeouts.ts). */
  gitTimeouts: GitTimeouts;
}

const GIT_ENV_PASSTHROUGH = [
  'PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SSH_AUTH_SOCK', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
];

type Env = Record<string, string | undefined>;

/** A century: beyond it a retention is "forever" anyway, and the cutoff date stays valid. */
const MAX_RETENTION_DAYS = 36_500;

function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name];
  if (direct) return direct;
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new ConfigError(`Expected ${name}_FILE to be a readable file, got "${file}"`, { cause });
  }
}

function integer(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Expected ${name} to be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}


function token(env: Env, name: string): string | undefined {
  const value = readSecret(env, name);
  if (value !== undefined && value.length < 16) {
    throw new ConfigError(`Expected ${name} to be at least 16 characters, got ${value.length}`);
  }
  return value;
}

function password(env: Env, name: string): string | undefined {
  const value = readSecret(env, name);
  if (value !== undefined && (value.length < 8 || value.length > 1024)) {
    throw new ConfigError(`Expected ${name} to be 8 to 1024 characters, got ${value.length}`);
  }
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = readSecret(env, name);
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (cause) {
    throw new ConfigError(`Expected ${name} to be a URL, got a malformed value`, { cause });
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`Expected ${name} to use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

function pluginList(raw: string | undefined): string[] {
  const names = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(n)) {
      throw new ConfigError(`Expected HIVE_PLUGINS to be a comma-separated list of npm package names, got "${n}"`);
    }
  }
  return names;
}

/** `argv` are the command-line flags after the command (e.g. `--no-local-drone`). */
export function loadConfig(env: Env, argv: string[] = []): QueenConfig {
  const unknown = argv.filter((a) => a !== '--no-local-drone');
  if (unknown.length > 0) throw new ConfigError(`Expected no flags other than --no-local-drone, got "${unknown.join(' ')}"`);
  const port = integer(env, 'HIVE_PORT', 8080, 0, 65535);
  const host = env.HIVE_HOST || '0.0.0.0';
  const publicUrl = (url(env, 'HIVE_PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/$/, '');
  return {
    port,
    host,
    dataDir: resolve(env.HIVE_DATA_DIR || './.hive'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    publicUrl,
    adminToken: token(env, 'HIVE_ADMIN_TOKEN'),
    adminPassword: password(env, 'HIVE_ADMIN_PASSWORD'),
    droneToken: token(env, 'HIVE_DRONE_TOKEN'),
    sharedDroneTokens: parseBooleanEnv('HIVE_DRONE_SHARED_TOKEN', env.HIVE_DRONE_SHARED_TOKEN, true),
    metricsToken: token(env, 'HIVE_METRICS_TOKEN'),
    trustProxy: parseBooleanEnv('HIVE_TRUST_PROXY', env.HIVE_TRUST_PROXY, false),
    secretKey: readSecret(env, 'HIVE_SECRET_KEY'),
    localDrone: !argv.includes('--no-local-drone') && parseBooleanEnv('HIVE_LOCAL_DRONE', env.HIVE_LOCAL_DRONE, true),
    localDroneCapacity: env.HIVE_LOCAL_DRONE_CAPACITY ? integer(env, 'HIVE_LOCAL_DRONE_CAPACITY', 1, 1, 1024) : undefined,
    leaseMs: integer(env, 'HIVE_LEASE_MS', 60_000, 1000),
    heartbeatMs: integer(env, 'HIVE_HEARTBEAT_MS', 10_000, 100),
    defaultJobTimeoutMs: integer(env, 'HIVE_JOB_TIMEOUT_MS', 60 * 60_000, 1000),
    dbMaintenanceMs: integer(env, 'HIVE_DB_MAINTENANCE_MS', 60_000, 1000),
    eventsRecheckMs: integer(env, 'HIVE_EVENTS_RECHECK_MS', 30_000, 100),
    // Logs are users' data: kept forever unless the operator opts in (as in Buildbot and
    // Concourse). Deliveries are only bookkeeping, and forges redeliver for days, not
    // weeks (GitHub: 3 days), so a month is safe.
    logRetentionDays: integer(env, 'HIVE_LOG_RETENTION_DAYS', 0, 0, MAX_RETENTION_DAYS),
    keepBuilds: integer(env, 'HIVE_KEEP_BUILDS', 0, 0),
    webhookDeliveryRetentionDays: integer(env, 'HIVE_WEBHOOK_DELIVERY_RETENTION_DAYS', 30, 0, MAX_RETENTION_DAYS),
    maxBodyBytes: integer(env, 'HIVE_MAX_BODY_BYTES', 1024 * 1024, 1024),
    webhookMaxBytes: integer(env, 'HIVE_WEBHOOK_MAX_BYTES', 25 * 1024 * 1024, 1024),
    // An int column holds each file's size, so no limit may pass 2 GiB − 1.
    maxUploadBytes: integer(env, 'HIVE_MAX_UPLOAD_BYTES', 50 * 1024 * 1024, 0, 2 ** 31 - 1),
    logLevel: env.HIVE_LOG_LEVEL || 'info',
    plugins: pluginList(env.HIVE_PLUGINS),
    pluginDir: resolve(env.HIVE_PLUGIN_DIR || '.'),
    gitEnv: Object.fromEntries(
      GIT_ENV_PASSTHROUGH.flatMap((k) => (env[k] ? [[k, env[k] as string]] : [])),
    ),
    gitTimeouts: gitTimeoutsFromEnv(env),
  };
}
