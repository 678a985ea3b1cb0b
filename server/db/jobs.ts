/** Queries on jobs: creation, the queue, assignment with leases, and final states. */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, getTableColumns, gt, inArray, isNotNull, isNull, lt, lte, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { FinalJobStatus, JobSpec, JobStatus, JobType } from '../../common/protocol/index.ts';
import type { Db } from './client.ts';
import { DuplicateJobError } from '../errors.ts';
import { preparedQueries, preparedQuery } from './prepared-query.ts';
import { jobCommands, jobLogChunks, jobs, projects, type JobPlugin, type JobRef, type JobTrigger } from './schema.ts';

export type Job = typeof jobs.$inferSelect;
export const ACTIVE_STATUSES: JobStatus[] = ['assigned', 'running'];

export interface NewJob {
  projectId: string;
  type: JobType;
  ref: JobRef;
  trigger: JobTrigger;
  /** −100…100 (default 0). */
  priority?: number;
  runId?: string;
  matrix?: Record<string, string>;
  params?: Record<string, string>;
  uploadId?: string;
  /** Makes the job unique in its project (a schedule's firing); a second insert throws DuplicateJobError. */
  dedupKey?: string;
}

/**
 * Inserts a queued job with the project's next number, taken in the same statement (a
 * data-modifying CTE: one round trip, where a transaction of two statements took four);
 * undefined when the project is gone. A `dedupKey` the project's jobs have already throws
 * DuplicateJobError — and, the statement failing whole, takes no number.
 */
export async function insertJob(db: Db, input: NewJob): Promise<Job | undefined> {
  try {
    const [row] = await insertJobQuery(db).execute({
      id: randomUUID(),
      projectId: input.projectId,
      type: input.type,
      ref: input.ref,
      trigger: input.trigger,
      priority: input.priority ?? 0,
      runId: input.runId ?? null,
      // JSON text, or SQL NULL (a null bound as the column would be JSON's `null`).
      matrix: input.matrix == null ? null : JSON.stringify(input.matrix),
      params: input.params ?? {},
      uploadId: input.uploadId ?? null,
      dedupKey: input.dedupKey ?? null,
    });
    return row;
  } catch (err) {
    // No project row: no number (not null) and no project (foreign key) for the job.
    if (isProjectGone(err)) return undefined;
    if (input.dedupKey !== undefined && violates(err, DEDUP_INDEX)) {
      throw new DuplicateJobError(`A job with key ${input.dedupKey} already exists`, { cause: err });
    }
    throw err;
  }
}

/**
 * A placeholder where drizzle's types want a value (a column's, in `.set()` or `.values()`):
 * drizzle binds it as that column's when the query runs.
 */
const bound = <T>(name: string) => sql.placeholder(name) as unknown as T;

/**
 * `insertJob`'s statement, built once per database: every column a trigger may set is
 * given (a value, or what the column's default would be), so it is the same statement for
 * every job — drizzle took 0.25–0.6 ms to build it afresh for each.
 */
const insertJobQuery = preparedQuery((db) => {
  const p = sql.placeholder;
  const taken = db.$with('taken', { number: sql<number>`number` }).as(
    sql`update ${projects} set next_job_number = next_job_number + 1 where id = ${p('projectId')}::uuid returning next_job_number - 1 as number`,
  );
  return db
    .with(taken)
    .insert(jobs)
    .values({
      id: bound<string>('id'),
      projectId: bound<string>('projectId'),
      type: bound<JobType>('type'),
      ref: bound<JobRef>('ref'),
      trigger: bound<JobTrigger>('trigger'),
      number: sql`(select number from ${taken})`,
      priority: bound<number>('priority'),
      // now() is the statement's time, the same as created_at's default.
      queueKey: sql`now() - make_interval(mins => ${p('priority')}::int)`,
      runId: bound<string>('runId'),
      matrix: sql`${p('matrix')}::jsonb`,
      params: bound<Record<string, string>>('params'),
      uploadId: bound<string>('uploadId'),
      dedupKey: bound<string>('dedupKey'),
    })
    .returning()
    .prepare('insert_job');
});

/**
 * What inserting a job of a deleted project meets: no number (not_null_violation on
 * `number`) or no project (foreign_key_violation). Other violations are bugs, not this.
 */
function isProjectGone(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const { code, column, column_name } = e as { code?: unknown; column?: unknown; column_name?: unknown };
    if (code === '23503' || (code === '23502' && (column ?? column_name) === 'number')) return true;
  }
  return false;
}

const DEDUP_INDEX = 'jobs_project_dedup_key_unique';

/** Whether `err` (or an error it wraps: drizzle wraps the driver's) is a unique_violation of `constraint`. */
function violates(err: unknown, constraint: string): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const { code, constraint: name, constraint_name } = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    if (code === '23505' && (name ?? constraint_name) === constraint) return true;
  }
  return false;
}

/** Built once: the queen reads whole job rows often (each drone's accept, statuses, waits). */
const jobQuery = preparedQuery((db) => db.select().from(jobs).where(eq(jobs.id, sql.placeholder('id'))).prepare('find_job'));

export async function findJob(db: Db, id: string): Promise<Job | undefined> {
  const [row] = await jobQuery(db).execute({ id });
  return row;
}

/** What a read of a job's log needs of its row (`GET /jobs/:id/log`). */
export type JobLogState = Pick<Job, 'id' | 'status' | 'attempt' | 'lease' | 'lastSeq' | 'logPrunedAt'>;

/**
 * The job's log state without the rest of the row: its spec and plugins are JSON the
 * driver would parse for every reader of a log (measured on PGlite under load: 3.1 ms a
 * query, was 3.5 ms — most of a query's cost there is the query itself).
 */
const jobLogStateQuery = preparedQuery((db) => db
  .select({ id: jobs.id, status: jobs.status, attempt: jobs.attempt, lease: jobs.lease, lastSeq: jobs.lastSeq, logPrunedAt: jobs.logPrunedAt })
  .from(jobs)
  .where(eq(jobs.id, sql.placeholder('id')))
  .prepare('find_job_log_state'));

export async function findJobLogState(db: Db, id: string): Promise<JobLogState | undefined> {
  const [row] = await jobLogStateQuery(db).execute({ id });
  return row;
}

export async function listProjectJobs(
  db: Db,
  projectId: string,
  page: { limit: number; beforeNumber?: number },
): Promise<Job[]> {
  const where = page.beforeNumber === undefined
    ? eq(jobs.projectId, projectId)
    : and(eq(jobs.projectId, projectId), lt(jobs.number, page.beforeNumber));
  return db.select().from(jobs).where(where).orderBy(desc(jobs.number)).limit(page.limit);
}

/** A project's jobs that have not ended (queued, assigned, running), oldest first. */
export async function listActiveProjectJobs(db: Db, projectId: string): Promise<Job[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.projectId, projectId), inArray(jobs.status, ['queued', ...ACTIVE_STATUSES])))
    .orderBy(asc(jobs.number));
}

/** Queued jobs that still need their spec resolved, oldest first. */
export async function listUnresolvedJobs(db: Db, limit: number): Promise<Job[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.status, 'queued'), sql`${jobs.spec} is null`))
    .orderBy(asc(jobs.createdAt))
    .limit(limit);
}

/** What a resolution writes. */
const resolution = (spec: JobSpec, ref: JobRef, plugins: JobPlugin[]) => ({ spec, ref, plugins, resolvedAt: sql`now()` });
/** Only once: a job another queen resolved meanwhile keeps the spec it was given. */
const stillUnresolved = (id: string | Placeholder) => and(eq(jobs.id, id), eq(jobs.status, 'queued'), isNull(jobs.spec));

export async function setJobSpec(db: Db, id: string, spec: JobSpec, ref: JobRef, plugins: JobPlugin[]): Promise<boolean> {
  const rows = await setJobSpecQuery(db).execute({ id, spec, ref, plugins });
  return rows.length > 0;
}

/** `setJobSpec`'s statement, built once per database (drizzle took ~0.2 ms a job to build it). */
const setJobSpecQuery = preparedQuery((db) => db
  .update(jobs)
  .set(resolution(bound('spec'), bound('ref'), bound('plugins')))
  .where(stillUnresolved(sql.placeholder('id')))
  .returning({ id: jobs.id })
  .prepare('set_job_spec'));

/**
 * Writes a job's spec, as `setJobSpec`, and in the same statement claims it for `claim`'s
 * drone when no other runnable job is ahead of it in the queue — the job a scheduling round
 * would have given that free slot first. A job with a runnable job ahead (whether or not
 * that job fits the drone) is only resolved and waits for a round, which keeps the queue's
 * order. Returns the row (status `assigned` when claimed, `queued` when only resolved), or
 * undefined when the job had moved on or been resolved already.
 */
export async function setJobSpecAndClaim(
  db: Db, id: string, spec: JobSpec, ref: JobRef, plugins: JobPlugin[], claim: JobClaim, leaseMs: number,
): Promise<Job | undefined> {
  const [row] = await resolveAndClaimQuery(db).execute({
    id, spec, ref, plugins, droneId: claim.drone.id, droneName: claim.drone.name, lease: claim.lease, leaseMs,
  });
  return row;
}

/**
 * `setJobSpecAndClaim`'s statement, built once per database: it is the same for every job
 * (its values are placeholders), and drizzle took 0.3–0.6 ms to build it afresh on each
 * job's way to its drone.
 */
const resolveAndClaimQuery = preparedQuery((db) => {
  const id = sql.placeholder('id');
  // One boolean for every column the claim sets, computed once: claimed, or kept as it is.
  const claimSets = claimColumns(sql`${sql.placeholder('droneId')}::uuid`, sql`${sql.placeholder('droneName')}::text`, sql`${sql.placeholder('lease')}::text`, sql.placeholder('leaseMs'));
  const whenFirst = Object.fromEntries((Object.keys(claimSets) as ClaimColumn[])
    .map((column) => [column, sql`case when place.first then ${claimSets[column]} else ${jobs[column]} end`])) as Record<ClaimColumn, SQL>;
  return db
    .update(jobs)
    .set({ ...resolution(bound('spec'), bound('ref'), bound('plugins')), ...whenFirst })
    .from(sql`(select not exists (
        select 1 from jobs a
        where a.status = 'queued' and a.spec is not null
          and (a.queue_key, a.created_at, a.id) < (select j.queue_key, j.created_at, j.id from jobs j where j.id = ${id}::uuid)
      ) as first) as place`)
    .where(stillUnresolved(id))
    .returning(getTableColumns(jobs))
    .prepare('resolve_and_claim_job');
});

/**
 * A position in the queue, which is ordered by (queueKey, createdAt, id): highest effective
 * priority first, ties to the older job (schema.ts says why the key is that order). The
 * position is the last job seen: its times are compared in the database, at their full
 * microsecond precision — a JavaScript Date would round them to milliseconds and, with a
 * page of jobs queued within one millisecond, read the same page again and again.
 */
export interface QueueCursor {
  id: string;
}

export type QueuedJob = Pick<Job, 'id' | 'projectId' | 'priority' | 'queueKey' | 'createdAt'> & {
  /** What a drone must have to run it (the spec's `requires`; the rest of the spec comes with the claim). */
  requires: JobSpec['requires'];
  /** The project's concurrency limit (null: none). */
  maxConcurrent: number | null;
};

/** What a drone must have to run a job, without reading the rest of its spec. */
const specRequires = sql<JobSpec['requires']>`${jobs.spec}->'requires'`;

const queueColumns = {
  id: jobs.id,
  projectId: jobs.projectId,
  requires: specRequires,
  priority: jobs.priority,
  queueKey: jobs.queueKey,
  createdAt: jobs.createdAt,
  maxConcurrent: projects.maxConcurrent,
};

function afterCursor(c: QueueCursor) {
  return sql`(${jobs.queueKey}, ${jobs.createdAt}, ${jobs.id}) > (select q.queue_key, q.created_at, q.id from jobs q where q.id = ${c.id})`;
}

/** Queued jobs ready to run (spec resolved) after the cursor, in dispatch order: the scheduler's input. */
const runnableJobsQuery = (db: Db, name: string, after?: QueueCursor) => {
  const runnable = and(eq(jobs.status, 'queued'), isNotNull(jobs.spec));
  return db
    .select(queueColumns)
    .from(jobs)
    .innerJoin(projects, eq(projects.id, jobs.projectId))
    .where(after ? and(runnable, afterCursor(after)) : runnable)
    .orderBy(asc(jobs.queueKey), asc(jobs.createdAt), asc(jobs.id))
    .limit(sql.placeholder('limit'))
    .prepare(name);
};
// Built once each: a scheduling round reads a page every time a slot frees, and building
// this query through drizzle cost twice what PGlite takes to run it.
const firstRunnablePage = preparedQuery((db) => runnableJobsQuery(db, 'runnable_jobs_first'));
const nextRunnablePage = preparedQuery((db) => runnableJobsQuery(db, 'runnable_jobs_after', { id: bound<string>('after') }));

export async function listRunnableJobs(db: Db, limit: number, after?: QueueCursor): Promise<QueuedJob[]> {
  return after ? nextRunnablePage(db).execute({ limit, after: after.id }) : firstRunnablePage(db).execute({ limit });
}

/**
 * A queued job as the queue lists it: its row without the spec and plugins (JSON a queue
 * of a thousand jobs would parse for nothing), with what a drone must have to run it
 * (null while the job is not resolved).
 */
export type QueueRow = Omit<Job, 'spec' | 'plugins'> & { requires: JobSpec['requires'] | null };

const { spec: _spec, plugins: _plugins, ...queueRowColumns } = getTableColumns(jobs);

/** Every queued job (resolved or not) in dispatch order, with its project's limit: `GET /api/queue`. */
export async function listQueue(db: Db, limit: number): Promise<{ job: QueueRow; maxConcurrent: number | null }[]> {
  return db
    .select({ job: { ...queueRowColumns, requires: specRequires as SQL<JobSpec['requires'] | null> }, maxConcurrent: projects.maxConcurrent })
    .from(jobs)
    .innerJoin(projects, eq(projects.id, jobs.projectId))
    .where(eq(jobs.status, 'queued'))
    .orderBy(asc(jobs.queueKey), asc(jobs.createdAt), asc(jobs.id))
    .limit(limit);
}

/** Assigned and running jobs per project (for concurrency limits). */
export async function countActiveByProject(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .select({ projectId: jobs.projectId, n: sql<number>`count(*)::int` })
    .from(jobs)
    .where(inArray(jobs.status, ACTIVE_STATUSES))
    .groupBy(jobs.projectId);
  return new Map(rows.map((r) => [r.projectId, r.n]));
}

/**
 * Claims a queued job for a drone: row-locked with SKIP LOCKED so queens sharing one
 * PostgreSQL never assign the same job twice. Returns the claimed job, `'limit'` when its
 * project already has `maxConcurrent` jobs assigned or running, or undefined when another
 * claimer (or a cancel) got there first.
 */
export async function claimJob(
  db: Db,
  id: string,
  drone: { id: string; name: string },
  lease: string,
  leaseMs: number,
  maxConcurrent?: number | null,
): Promise<Job | 'limit' | undefined> {
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select({ id: jobs.id, projectId: jobs.projectId })
      .from(jobs)
      .where(and(eq(jobs.id, id), eq(jobs.status, 'queued')))
      .for('update', { skipLocked: true });
    if (!locked) return undefined;
    if (maxConcurrent != null) {
      // The project row's lock makes claims of one limited project take turns, so two
      // queens cannot both see a free place and both take it.
      await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, locked.projectId)).for('update');
      const [{ n }] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(jobs)
        .where(and(eq(jobs.projectId, locked.projectId), inArray(jobs.status, ACTIVE_STATUSES)));
      if (n >= maxConcurrent) return 'limit';
    }
    const [row] = await tx
      .update(jobs)
      .set(claimColumns(sql`${drone.id}::uuid`, sql`${drone.name}::text`, sql`${lease}::text`, leaseMs))
      .where(eq(jobs.id, id))
      .returning();
    return row;
  });
}

/** The columns a claim sets. */
type ClaimColumn = 'status' | 'droneId' | 'droneName' | 'lease' | 'leaseExpiresAt' | 'lastSeq' | 'assignedAt';

/**
 * What claiming a job for a drone sets on its row — one list for the three ways a job is
 * claimed (alone, in a batch, in its resolution's write), so they cannot drift apart.
 * The drone and lease are SQL: parameters, or the columns of a batch's VALUES list.
 */
function claimColumns(droneId: SQL, droneName: SQL, lease: SQL, leaseMs: number | Placeholder): Record<ClaimColumn, SQL> {
  return {
    status: sql`'assigned'`,
    droneId,
    droneName,
    lease,
    leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
    // A new lease's events are numbered from 1.
    lastSeq: sql`0`,
    assignedAt: sql`now()`,
  };
}

/** One job of a batch claim, and the drone it goes to under a new lease. */
export interface JobClaim {
  id: string;
  drone: { id: string; name: string };
  lease: string;
}

/**
 * Claims a batch of queued jobs of projects without a concurrency limit in one statement
 * (no transaction around it): each row is locked with SKIP LOCKED and claimed only if it is
 * still queued, so queens sharing one PostgreSQL never assign a job twice. Returns the
 * jobs claimed; a job another claimer or a cancel got first is simply not among them.
 */
export async function claimJobs(db: Db, claims: readonly JobClaim[], leaseMs: number): Promise<Job[]> {
  if (claims.length === 0) return [];
  const params: Record<string, unknown> = { leaseMs };
  claims.forEach((c, i) => {
    params[`id${i}`] = c.id;
    params[`drone${i}`] = c.drone.id;
    params[`name${i}`] = c.drone.name;
    params[`lease${i}`] = c.lease;
  });
  const query = claims.length > MAX_KEPT_CLAIMS ? buildClaimQuery(db, claims.length) : keptClaimQuery(db, claims.length);
  return query.execute(params);
}

/**
 * Batches of up to this many claims run a statement built once per database and size:
 * drizzle took ~0.5 ms of the queen's thread to build it afresh for every batch, most of
 * them of one job (a slot freed, a job queued).
 */
const MAX_KEPT_CLAIMS = 8;
const keptClaimQuery = preparedQueries(buildClaimQuery, String, MAX_KEPT_CLAIMS);

/** `claimJobs`' statement for `count` claims, every value a placeholder. */
function buildClaimQuery(db: Db, count: number) {
  const p = sql.placeholder;
  const indexes = Array.from({ length: count }, (_, i) => i);
  const values = sql.join(indexes.map((i) => sql`(${p(`id${i}`)}::uuid, ${p(`drone${i}`)}::uuid, ${p(`name${i}`)}::text, ${p(`lease${i}`)}::text)`), sql`, `);
  const ids = sql.join(indexes.map((i) => sql`${p(`id${i}`)}::uuid`), sql`, `);
  return db
    .update(jobs)
    .set(claimColumns(sql`claim.drone_id`, sql`claim.drone_name`, sql`claim.lease`, p('leaseMs')))
    .from(sql`(values ${values}) as claim(id, drone_id, drone_name, lease)`)
    .where(and(
      sql`${jobs.id} = claim.id`,
      // Locked here, skipping rows another claimer holds; re-checked as queued after the lock.
      sql`${jobs.id} in (select q.id from jobs q where q.id in (${ids}) and q.status = 'queued' for update skip locked)`,
    ))
    .returning(getTableColumns(jobs))
    .prepare(`claim_jobs_${count}`);
}

/**
 * Puts an assigned job back in the queue (drone refused it, or was lost and the project
 * retries). A job that had started becomes a new attempt: the earlier attempt's log and
 * commands are kept, and the new one's numbered events start again from 1. An attempt
 * that never started is abandoned: what little it stored is dropped, and it is tried
 * again under the same number.
 */
export async function requeueJob(db: Db, id: string, lease: string, bumpAttempt: boolean): Promise<boolean> {
  return db.transaction(async (tx) => {
    const requeued = await requeueRow(tx, id, lease, bumpAttempt);
    if (requeued && !bumpAttempt) {
      await tx.delete(jobLogChunks).where(and(eq(jobLogChunks.jobId, id), eq(jobLogChunks.attempt, requeued.attempt)));
      await tx.delete(jobCommands).where(and(eq(jobCommands.jobId, id), eq(jobCommands.attempt, requeued.attempt)));
    }
    return !!requeued;
  });
}

async function requeueRow(db: Db, id: string, lease: string, bumpAttempt: boolean): Promise<{ attempt: number } | undefined> {
  const rows = await db
    .update(jobs)
    .set({
      status: 'queued',
      droneId: null,
      droneName: null,
      lease: null,
      leaseExpiresAt: null,
      lastSeq: 0,
      phases: {},
      startedAt: null,
      assignedAt: null,
      attempt: bumpAttempt ? sql`${jobs.attempt} + 1` : jobs.attempt,
    })
    .where(and(eq(jobs.id, id), eq(jobs.lease, lease), inArray(jobs.status, ACTIVE_STATUSES)))
    .returning({ attempt: jobs.attempt });
  return rows[0];
}

/**
 * Ends a job from the queen's side (resolution failure, cancel while queued, lost drone).
 * Only a job still in one of `from` changes; returns the updated row or undefined.
 */
export async function finishJob(
  db: Db,
  id: string,
  status: FinalJobStatus,
  message: string | null,
  from: JobStatus[],
  lease?: string,
): Promise<Job | undefined> {
  const conditions = [eq(jobs.id, id), inArray(jobs.status, from)];
  if (lease) conditions.push(eq(jobs.lease, lease));
  const [row] = await db
    .update(jobs)
    .set({ status, message, finishedAt: sql`now()`, leaseExpiresAt: null })
    .where(and(...conditions))
    .returning();
  return row;
}

export async function requestCancel(db: Db, id: string): Promise<Job | undefined> {
  const [row] = await db
    .update(jobs)
    .set({ cancelRequested: true })
    .where(and(eq(jobs.id, id), inArray(jobs.status, ACTIVE_STATUSES)))
    .returning();
  return row;
}

/** Extends the leases a drone's heartbeat vouches for. */
export async function extendLeases(db: Db, droneId: string, leases: string[], leaseMs: number): Promise<void> {
  if (leases.length === 0) return;
  await db
    .update(jobs)
    .set({ leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(jobs.droneId, droneId), inArray(jobs.lease, leases), inArray(jobs.status, ACTIVE_STATUSES)));
}

export async function listExpiredLeases(db: Db, limit: number): Promise<Job[]> {
  return db
    .select()
    .from(jobs)
    .where(and(inArray(jobs.status, ACTIVE_STATUSES), lte(jobs.leaseExpiresAt, sql`now()`)))
    .limit(limit);
}

export async function listDroneActiveJobs(db: Db, droneId: string): Promise<Job[]> {
  return db.select().from(jobs).where(and(eq(jobs.droneId, droneId), inArray(jobs.status, ACTIVE_STATUSES)));
}

export async function countJobsByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: jobs.status, n: sql<number>`count(*)::int` })
    .from(jobs)
    .where(inArray(jobs.status, ['queued', 'assigned', 'running']))
    .groupBy(jobs.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Build numbers of some jobs (those that still exist), for links that show `#12`. */
export async function jobNumbers(db: Db, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: jobs.id, number: jobs.number }).from(jobs).where(inArray(jobs.id, ids));
  return new Map(rows.map((r) => [r.id, r.number]));
}
