/**
 * The one drizzle schema, served by PGlite (embedded) and PostgreSQL alike.
 * Migrations in `migrations/` are generated from this file by `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import {
  boolean, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import type { JobSpec, JobStatus, JobType, PhaseName, PhaseStatus } from '../protocol/index.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export interface PluginRef {
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
}

/** Per-project build settings; `.hive.yml` at the built commit merges over them. */
export interface ProjectConfig {
  phases?: Partial<Record<PhaseName, string[]>>;
  env?: Record<string, string>;
  image?: string;
  /** Whole-job timeout in seconds. */
  timeout?: number;
  labels?: string[];
  /** Re-queue a job whose drone was lost instead of ending it `errored`. */
  retryOnLostDrone?: boolean;
}

export const projects = pgTable('projects', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  repoUrl: text('repo_url').notNull(),
  defaultBranch: text('default_branch').notNull().default('main'),
  plugins: jsonb('plugins').$type<PluginRef[]>().notNull().default([]),
  config: jsonb('config').$type<ProjectConfig>().notNull().default({}),
  nextJobNumber: integer('next_job_number').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('projects_name_unique').on(t.name)]);

export interface JobRef {
  branch?: string;
  sha?: string;
  refspec?: string;
}

export interface JobTrigger {
  source: { type: 'api' | 'ui' | 'cli' | 'webhook' | 'rerun'; provider?: string };
  author?: { name?: string; email?: string; username?: string; avatarUrl?: string };
  message?: string;
  /** For re-runs: the job this one repeats. */
  rerunOf?: string;
  at: string;
}

export type JobPhases = Partial<Record<PhaseName, { status: PhaseStatus; durationMs: number }>>;

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
  cancelRequested: boolean('cancel_requested').notNull().default(false),
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  assignedAt: timestamp('assigned_at', { withTimezone: true }),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('jobs_project_number_unique').on(t.projectId, t.number),
  index('jobs_queue_idx').on(t.createdAt).where(sql`status = 'queued'`),
  index('jobs_active_idx').on(t.status).where(sql`status in ('assigned', 'running')`),
]);

export const jobCommands = pgTable('job_commands', {
  jobId: uuid('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
  idx: integer('idx').notNull(),
  phase: text('phase').$type<PhaseName>().notNull(),
  command: text('command').notNull(),
  exitCode: integer('exit_code'),
  durationMs: integer('duration_ms'),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [primaryKey({ columns: [t.jobId, t.idx] })]);

/**
 * A job's event stream, stored as numbered chunks: each row holds the events
 * `seqFrom..seqTo` as a JSON array, so a gigabyte of output is many modest rows,
 * written in batches and read back page by page.
 */
export const jobLogChunks = pgTable('job_log_chunks', {
  jobId: uuid('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
  seqFrom: integer('seq_from').notNull(),
  seqTo: integer('seq_to').notNull(),
  attempt: integer('attempt').notNull(),
  body: text('body').notNull(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.jobId, t.seqFrom] })]);

export const drones = pgTable('drones', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  labels: jsonb('labels').$type<string[]>().notNull().default([]),
  plugins: jsonb('plugins').$type<string[]>().notNull().default([]),
  capacity: integer('capacity').notNull(),
  speed: real('speed').notNull().default(1),
  connected: boolean('connected').notNull().default(false),
  draining: boolean('draining').notNull().default(false),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('drones_name_unique').on(t.name)]);

export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind').$type<'admin' | 'user' | 'drone'>().notNull(),
  /** sha256 of the token: tokens are random, so a fast hash is enough and lookups stay O(1). */
  tokenHash: text('token_hash').notNull(),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [uniqueIndex('api_tokens_hash_unique').on(t.tokenHash)]);
