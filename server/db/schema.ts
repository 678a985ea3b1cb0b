/**
 * The one drizzle schema, served by PGlite (embedded) and PostgreSQL alike.
 * Migrations in `migrations/` are generated from this file by `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import {
  boolean, check, customType, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import type { FinalJobStatus, JobSpec, JobStatus, JobType, PhaseName, PhaseStatus, WorkspaceMode } from '../../common/protocol/index.ts';
import type { JobRef, JobTrigger } from '../../common/job-summary.ts';

/** Bytes; both drivers give a Buffer (PGlite through the parser pglite-client.ts sets). */
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** A plugin as a job was resolved with: enabled, its config validated by its schema. */
export interface JobPlugin {
  name: string;
  config: unknown;
}

export interface PluginRef {
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
}

/**
 * Per-project build settings (validated by `projectConfigSchema` in server/jobs/repo-config.ts);
 * `.hive.yml` at the built commit merges over them.
 */
export interface ProjectConfig {
  phases?: Partial<Record<PhaseName, string[]>>;
  env?: Record<string, string>;
  image?: string;
  /** Whole-job timeout in seconds. */
  timeout?: number;
  labels?: string[];
  services?: { name: string; image: string; env?: Record<string, string>; command?: string[] }[];
  branches?: Record<string, Omit<ProjectConfig, 'branches' | 'retryOnLostDrone' | 'processFallback'>>;
  /** Re-queue a job whose drone was lost instead of ending it `errored`. */
  retryOnLostDrone?: boolean;
  /** A job with an image may run as plain processes on a drone without Docker (default: it waits for one). */
  processFallback?: boolean;
}

/** Which triggers build. Globs use `*` (within a path segment) and `**` (across). */
export interface BranchRules {
  include?: string[];
  exclude?: string[];
  /** Build pull/merge requests (default true). */
  pullRequests?: boolean;
  /** Build pull requests from forks (default false); fork builds never get secrets. */
  forks?: boolean;
  /** Build pushed tags (default false). */
  tags?: boolean;
  /** Skip draft pull requests until ready for review (default true). */
  skipDrafts?: boolean;
  /** Cancel queued and running builds of the same branch or PR when a newer commit arrives. */
  cancelSuperseded?: boolean;
}

/** A build parameter a trigger may set; its value becomes an environment variable of the job. */
export interface ParameterDef {
  /** `[A-Z][A-Z0-9_]*`, not `HIVE_*` nor `PATH`. */
  name: string;
  description?: string;
  /** Used when a trigger leaves the parameter out (no default: the variable is not set). */
  default?: string;
  /** When given, the only values a trigger may choose (the UI shows a select). */
  choices?: string[];
}

/** A timed trigger of a project (cron: five fields, or six with seconds first). */
export interface ScheduleDef {
  /** Unique in the project; firings are remembered by it. */
  name: string;
  cron: string;
  /** Default: the project's default branch. */
  branch?: string;
  type?: JobType;
  params?: Record<string, string>;
  /** Default true. */
  enabled?: boolean;
  /** IANA name the cron expression is read in; default: the queen's time zone (`TZ`). */
  timezone?: string;
}

export const projects = pgTable('projects', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  repoUrl: text('repo_url').notNull(),
  defaultBranch: text('default_branch').notNull().default('main'),
  plugins: jsonb('plugins').$type<PluginRef[]>().notNull().default([]),
  config: jsonb('config').$type<ProjectConfig>().notNull().default({}),
  nextJobNumber: integer('next_job_number').notNull().default(1),
  /**
   * The settings' version: one more at every write of the row's settings (projects.ts),
   * never at a job's number. Writes are conditional on the version they were derived from,
   * and the API shows it as the project's ETag (If-Match: a stale change is refused, 412).
   */
  version: integer('version').notNull().default(1),
  /** The forge that sends webhooks and receives commit statuses. */
  provider: text('provider').$type<'github' | 'gitlab'>(),
  /** `owner/name` on GitHub, the path with namespace on GitLab: how webhooks find the project. */
  forgeRepo: text('forge_repo'),
  /** API base URL (GitHub Enterprise, self-hosted GitLab); null means the public service. */
  forgeApiUrl: text('forge_api_url'),
  /** Encrypted (secret-box) token for the forge API. Write-only through the API. */
  forgeTokenEnc: text('forge_token_enc'),
  /** Encrypted webhook secret (needed in clear to check signatures, so encrypted, not hashed). */
  webhookSecretEnc: text('webhook_secret_enc'),
  /** Encrypted JSON `{username?, password?}` or `{sshKey}` for cloning private repositories. */
  cloneCredentialsEnc: text('clone_credentials_enc'),
  /** Encrypted secret env vars: name → secret-box ciphertext. */
  secretsEnc: jsonb('secrets_enc').$type<Record<string, string>>().notNull().default({}),
  /**
   * Logins to container registries for pulling the project's images: registry host →
   * its user name (shown) and secret-box ciphertext of its password (write-only).
   */
  registryLoginsEnc: jsonb('registry_logins_enc').$type<Record<string, { username: string; passwordEnc: string }>>().notNull().default({}),
  branchRules: jsonb('branch_rules').$type<BranchRules>().notNull().default({}),
  /**
   * Set by an admin: the repository's `.hive.yml` may ask for trusted settings (privileged
   * containers, lifted limits, fewer labels). Never for builds of forks.
   */
  trusted: boolean('trusted').notNull().default(false),
  /** Priority of its jobs when a trigger names none (−100…100). */
  defaultPriority: integer('default_priority').notNull().default(0),
  /** At most this many of its jobs assigned or running at once; null: no limit. */
  maxConcurrent: integer('max_concurrent'),
  /** What a trigger may set (server/jobs/job-params.ts). */
  parameters: jsonb('parameters').$type<ParameterDef[]>().notNull().default([]),
  schedules: jsonb('schedules').$type<ScheduleDef[]>().notNull().default([]),
  /** Private projects' badges need authentication like everything else; public ones are served to anyone. */
  private: boolean('private').notNull().default(false),
  /**
   * How drones prepare a build's directory: `incremental` updates a work tree the drone
   * keeps per project and slot (drone/workspaces/), `fresh` clones a new one every build.
   */
  workspace: text('workspace').$type<WorkspaceMode>().notNull().default('incremental'),
  /** What an incremental tree keeps between builds: gitignore patterns of ignored paths (node_modules, .cache/). */
  workspaceCaches: jsonb('workspace_caches').$type<string[]>().notNull().default([]),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('projects_name_unique').on(t.name)]);

// What a job builds and why: shown as they are by the API and the live events, so defined in common/.
export type { JobRef, JobTrigger } from '../../common/job-summary.ts';

export type JobPhases = Partial<Record<PhaseName, { status: PhaseStatus; durationMs: number }>>;

/** A drone's end of a job it finished after the queen had reaped it (jobs.late_result). */
export interface LateResult {
  status: FinalJobStatus;
  message: string | null;
  /** When the drone finished (its clock), ISO. */
  finishedAt: string;
}

/**
 * A run: several jobs of one trigger — `times: N` of the same commit, or one job per
 * combination of a `.hive.yml` matrix. Its status is derived from its jobs' (runs.ts).
 */
export const runs = pgTable('runs', {
  id: uuid('id').primaryKey(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  type: text('type').$type<JobType>().notNull(),
  ref: jsonb('ref').$type<JobRef>().notNull(),
  trigger: jsonb('trigger').$type<JobTrigger>().notNull(),
  /** How many jobs the trigger asked for (a matrix multiplies each by its combinations). */
  times: integer('times').notNull().default(1),
  priority: integer('priority').notNull().default(0),
  params: jsonb('params').$type<Record<string, string>>().notNull().default({}),
  uploadId: uuid('upload_id'),
  createdAt: createdAt(),
}, (t) => [index('runs_project_idx').on(t.projectId, t.createdAt)]);

/** Files sent with a trigger; the drone writes them into the workspace before the first phase. */
export const uploadFiles = pgTable('upload_files', {
  uploadId: uuid('upload_id').notNull(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  size: integer('size').notNull(),
  content: bytea('content').notNull(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.uploadId, t.name] })]);

/**
 * The last time each schedule fired (the firing's due time, not when it ran): queens
 * sharing a database claim a firing with a conditional update, so it happens once.
 */
export const scheduleFirings = pgTable('schedule_firings', {
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  lastDueAt: timestamp('last_due_at', { withTimezone: true }).notNull(),
}, (t) => [primaryKey({ columns: [t.projectId, t.name] })]);

export const jobs = pgTable('jobs', {
  id: uuid('id').primaryKey(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  number: integer('number').notNull(),
  type: text('type').$type<JobType>().notNull(),
  status: text('status').$type<JobStatus>().notNull().default('queued'),
  ref: jsonb('ref').$type<JobRef>().notNull(),
  trigger: jsonb('trigger').$type<JobTrigger>().notNull(),
  /** The resolved spec with secrets removed; null until resolution succeeds. */
  spec: jsonb('spec').$type<JobSpec>(),
  /**
   * The plugins whose hooks the job runs, each with its config as resolved (project
   * settings with .hive.yml merged in; for a fork's pull request the project's settings
   * alone), whatever the settings say by the time the job ends. Kept on the queen.
   */
  plugins: jsonb('plugins').$type<JobPlugin[]>().notNull().default([]),
  /** Why the job ended errored/cancelled/timed_out, in words. */
  message: text('message'),
  droneId: uuid('drone_id'),
  droneName: text('drone_name'),
  /** Fencing token of the current assignment; events carrying another lease are ignored. */
  lease: text('lease'),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
  /** Highest event seq persisted for the current lease. */
  lastSeq: integer('last_seq').notNull().default(0),
  attempt: integer('attempt').notNull().default(1),
  phases: jsonb('phases').$type<JobPhases>().notNull().default({}),
  /** −100…100; higher goes first, and a waiting job gains a point a minute. */
  priority: integer('priority').notNull().default(0),
  /**
   * Where the job stands in the queue: created_at minus `priority` minutes. Ordering by it
   * is ordering by effective priority (priority + minutes waited), then by age — an
   * index, not a computation per dispatch.
   */
  queueKey: timestamp('queue_key', { withTimezone: true }).notNull().defaultNow(),
  runId: uuid('run_id').references(() => runs.id, { onDelete: 'cascade' }),
  /** The matrix combination this job builds (its variables), null outside a matrix. */
  matrix: jsonb('matrix').$type<Record<string, string>>(),
  /** Parameter values of the trigger (declared names only), environment variables of the job. */
  params: jsonb('params').$type<Record<string, string>>().notNull().default({}),
  /** Files sent with the trigger (upload_files), written into the workspace. */
  uploadId: uuid('upload_id'),
  cancelRequested: boolean('cancel_requested').notNull().default(false),
  /**
   * What the drone reported after the queen had already ended the job as lost (its lease
   * ran out): the job's status stays final, this records the drone's own end.
   */
  lateResult: jsonb('late_result').$type<LateResult>(),
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  assignedAt: timestamp('assigned_at', { withTimezone: true }),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  /** When retention deleted this job's log (its row, status, times and exit codes stay). */
  logPrunedAt: timestamp('log_pruned_at', { withTimezone: true }),
  /**
   * What makes this job the one job of a trigger that must not happen twice — a
   * schedule's due time (`cron:<name>@<due time>`, server/schedules/firing-key.ts); null
   * for the rest. Unique per project, so a second insert of the same firing fails.
   */
  dedupKey: text('dedup_key'),
}, (t) => [
  uniqueIndex('jobs_project_number_unique').on(t.projectId, t.number),
  /** One job per dedup key: a schedule's due time fires exactly once, whichever queen inserts it first. */
  uniqueIndex('jobs_project_dedup_key_unique').on(t.projectId, t.dedupKey).where(sql`dedup_key is not null`),
  /**
   * The retention pass's candidates, oldest first. Partial, so pruned jobs leave the index
   * and each pass reads only the jobs whose logs are still kept.
   */
  index('jobs_log_retention_idx').on(t.finishedAt).where(sql`log_pruned_at is null`),
  index('jobs_queue_idx').on(t.queueKey, t.createdAt, t.id).where(sql`status = 'queued'`),
  index('jobs_run_idx').on(t.runId).where(sql`run_id is not null`),
  index('jobs_active_idx').on(t.status).where(sql`status in ('assigned', 'running')`),
  /** Queued and running counts per project (dashboard, project page) without a table scan. */
  index('jobs_unfinished_idx').on(t.projectId, t.status).where(sql`status in ('queued', 'assigned', 'running')`),
  /** A branch's latest finished build (status badges: server/db/branch-status.ts) without scanning the project's jobs. */
  index('jobs_branch_finished_idx')
    // NULLS FIRST is what a plain `ORDER BY number DESC` asks for, so the index serves the order too.
    .on(t.projectId, sql`(${t.ref}->>'branch')`, t.number.desc().nullsFirst())
    .where(sql`status in ('passed', 'failed', 'errored', 'cancelled', 'timed_out')`),
]);

export const jobCommands = pgTable('job_commands', {
  jobId: uuid('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
  /** Each attempt of a retried job keeps its own commands (and log chunks). */
  attempt: integer('attempt').notNull().default(1),
  idx: integer('idx').notNull(),
  phase: text('phase').$type<PhaseName>().notNull(),
  command: text('command').notNull(),
  exitCode: integer('exit_code'),
  durationMs: integer('duration_ms'),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [primaryKey({ columns: [t.jobId, t.attempt, t.idx] })]);

/**
 * A job's event stream, stored as numbered chunks: each row holds the events
 * `seqFrom..seqTo` as a JSON array, so a gigabyte of output is many modest rows,
 * written in batches and read back page by page. Seqs restart at 1 with each attempt of a
 * retried job; earlier attempts' chunks are kept.
 */
export const jobLogChunks = pgTable('job_log_chunks', {
  jobId: uuid('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
  seqFrom: integer('seq_from').notNull(),
  seqTo: integer('seq_to').notNull(),
  attempt: integer('attempt').notNull(),
  /**
   * The chunk's events' JSON, when small or incompressible; on rows from before 2026-12-04
   * also their compressed form as base64 (log-chunk-body.ts). Stored as it is, never
   * compressed again by TOAST (migration 0020 says why; drizzle has no word for a
   * column's storage).
   */
  body: text('body'),
  /** The events' records compressed, when `body` is null (log-chunk-body.ts); stored as it is too (migration 0022). */
  packed: bytea('packed'),
  /**
   * About the events' size before compression (log-chunk-body.ts): readers take pages of
   * a bounded number of bytes, so reading costs in proportion to a log's size, not to how many batches it was
   * stored in. Null on rows from before it was kept (counted as a full chunk).
   */
  bytes: integer('bytes'),
  createdAt: createdAt(),
}, (t) => [
  primaryKey({ columns: [t.jobId, t.attempt, t.seqFrom] }),
  check('job_log_chunks_body_or_packed', sql`(${t.body} is null) <> (${t.packed} is null)`),
]);

export const drones = pgTable('drones', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  labels: jsonb('labels').$type<string[]>().notNull().default([]),
  plugins: jsonb('plugins').$type<string[]>().notNull().default([]),
  capacity: integer('capacity').notNull(),
  speed: real('speed').notNull().default(1),
  connected: boolean('connected').notNull().default(false),
  draining: boolean('draining').notNull().default(false),
  /**
   * When its queen last heard from it: kept in the queen's memory per heartbeat and written
   * for all its drones in one statement per period (server/scheduler/queen-presence.ts).
   */
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  /** The queen (queens.id) it is, or last was, connected to; `connected` counts only while that queen is live. */
  queenId: uuid('queen_id'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('drones_name_unique').on(t.name)]);

/**
 * The queens sharing this database, one row each (its id is kept in its data directory, so
 * a restarted queen is the same row: server/queen-identity.ts). Each writes `last_seen_at`
 * every `beat_ms`; one that missed three beats is dead: its drones count as disconnected,
 * and other queens reap its drones' expired leases.
 */
export const queens = pgTable('queens', {
  id: uuid('id').primaryKey(),
  /** Where it serves, for people reading the fleet view (host:port or its public URL). */
  address: text('address').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  /** How often it writes last_seen_at: its liveness is judged by its own period. */
  beatMs: integer('beat_ms').notNull(),
});

export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind').$type<'admin' | 'user' | 'drone'>().notNull(),
  /** The user a personal token belongs to (null for the bootstrap admin and drone tokens). */
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  /**
   * A drone's own credential: the one drone name it may connect as. Null on a shared drone
   * token, which connects drones that have no token of their own (if the queen allows it).
   */
  droneName: text('drone_name'),
  /** sha256 of the token: tokens are random, so a fast hash is enough and lookups stay O(1). */
  tokenHash: text('token_hash').notNull(),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('api_tokens_hash_unique').on(t.tokenHash),
  /** One live credential per drone name. */
  uniqueIndex('api_tokens_drone_name_unique').on(t.droneName).where(sql`drone_name is not null and revoked_at is null`),
]);

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  username: text('username').notNull(),
  /** scrypt: `scrypt$N$r$p$salt$hash`, base64 parts. */
  passwordHash: text('password_hash').notNull(),
  isAdmin: boolean('is_admin').notNull().default(false),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('users_username_unique').on(t.username)]);

/** Browser sessions; the cookie holds a random id whose sha256 is the key here. */
export const sessions = pgTable('sessions', {
  idHash: text('id_hash').primaryKey(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** Double-submit token for forms (CSRF). */
  csrfToken: text('csrf_token').notNull(),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** Every accepted webhook delivery, so a redelivery of the same id creates no second job. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey(),
  provider: text('provider').$type<'github' | 'gitlab'>().notNull(),
  deliveryId: text('delivery_id').notNull(),
  event: text('event').notNull(),
  projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  /** `queued`, `ignored: <reason>`, `skipped: [skip ci]` … */
  outcome: text('outcome').notNull(),
  jobIds: jsonb('job_ids').$type<string[]>().notNull().default([]),
}, (t) => [
  uniqueIndex('webhook_deliveries_unique').on(t.provider, t.deliveryId),
  /** Retention deletes by age in batches; without this each batch would scan the table. */
  index('webhook_deliveries_received_idx').on(t.receivedAt),
]);
