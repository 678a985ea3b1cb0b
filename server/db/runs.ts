/**
 * Queries on runs: a run is made together with its jobs (one transaction, so a run is
 * never seen with only some of them), a queued job becomes a matrix run with its sibling
 * jobs (also in one transaction), the run's commit is pinned once for all of its jobs,
 * and runs are read with their jobs.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { firstRow } from './first-row.ts';
import { insertJob, type Job, type NewJob } from './jobs.ts';
import { jobs, runs, type JobRef } from './schema.ts';

export type Run = typeof runs.$inferSelect;
export type NewRun = Omit<typeof runs.$inferInsert, 'id' | 'createdAt'>;

/** What a run page and `GET /api/runs/:id` show of each job: never its spec or plugins. */
const runJobColumns = {
  id: jobs.id,
  runId: jobs.runId,
  number: jobs.number,
  status: jobs.status,
  matrix: jobs.matrix,
  message: jobs.message,
  droneName: jobs.droneName,
  createdAt: jobs.createdAt,
  assignedAt: jobs.assignedAt,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
};
export type RunJob = Pick<Job, keyof typeof runJobColumns>;

/** A run's jobs as run-status.ts reads them: a drone took a job once it was assigned (or started). */
export const runJobStates = (list: Pick<RunJob, 'status' | 'assignedAt' | 'startedAt'>[]) =>
  list.map((j) => ({ status: j.status, ran: !!(j.assignedAt || j.startedAt) }));

/**
 * Inserts a run and its jobs (each `jobs` entry gets the run's id); undefined when the
 * project is gone. The jobs take consecutive numbers unless other triggers interleave.
 */
export async function insertRunWithJobs(db: Db, run: NewRun, members: Omit<NewJob, 'runId'>[]): Promise<{ run: Run; jobs: Job[] } | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(runs).values({ id: randomUUID(), ...run }).returning();
    const created: Job[] = [];
    for (const member of members) {
      const job = await insertJob(tx as unknown as Db, { ...member, runId: row.id });
      if (!job) {
        tx.rollback(); // the project was deleted meanwhile: nothing of the run stays
      }
      created.push(job!);
    }
    return { run: row, jobs: await inNumberOrder(tx as unknown as Db, created) };
  }).catch((err) => {
    if ((err as Error)?.name === 'TransactionRollbackError') return undefined;
    throw err;
  });
}

/**
 * Makes a queued, unresolved job without a matrix the first job of a matrix: it joins
 * `runId` (or a run made now from `newRun`) with combination `matrix`, and `siblings` are
 * made beside it in the same run. Undefined, changing nothing, when the job has moved on
 * (cancelled meanwhile, or expanded already by another queen).
 */
export async function expandJobIntoRun(
  db: Db,
  jobId: string,
  target: { runId: string } | { newRun: NewRun },
  matrix: Record<string, string>,
  siblings: Omit<NewJob, 'runId'>[],
): Promise<{ job: Job; siblings: Job[] } | undefined> {
  return db.transaction(async (tx) => {
    // The row lock keeps a cancel or another queen's resolver from changing it under us.
    const [locked] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued'), isNull(jobs.matrix), isNull(jobs.spec)))
      .for('update');
    if (!locked) return undefined;
    let runId: string;
    if ('runId' in target) {
      runId = target.runId;
    } else {
      const [row] = await tx.insert(runs).values({ id: randomUUID(), ...target.newRun }).returning({ id: runs.id });
      runId = row.id;
    }
    const [job] = await tx.update(jobs).set({ runId, matrix }).where(eq(jobs.id, jobId)).returning();
    const made: Job[] = [];
    for (const sibling of siblings) {
      const created = await insertJob(tx as unknown as Db, { ...sibling, runId });
      if (created) made.push(created);
    }
    return { job, siblings: await inNumberOrder(tx as unknown as Db, made) };
  });
}

/**
 * Jobs inserted in one transaction share its `now()`, so the resolver (which lists by
 * `created_at` to the millisecond) and the queue would take them in the order of their
 * random ids: a millisecond apiece, in number order, makes a run's jobs resolve and start
 * in the order they are numbered (#41 before #42, as a user reading the run expects).
 */
async function inNumberOrder(db: Db, made: Job[]): Promise<Job[]> {
  if (made.length < 2) return made;
  const first = Math.min(...made.map((j) => j.number));
  const shift = sql`(${jobs.number} - ${first}) * interval '1 millisecond'`;
  return db
    .update(jobs)
    .set({ createdAt: sql`${jobs.createdAt} + ${shift}`, queueKey: sql`${jobs.queueKey} + ${shift}` })
    .where(inArray(jobs.id, made.map((j) => j.id)))
    .returning()
    .then((rows) => rows.sort((a, b) => a.number - b.number));
}

/**
 * The commit all jobs of a run build: the first of them to pin its ref sets it on the
 * run, and every later one (here or on another queen) builds that commit even if the
 * branch has moved since. Returns the run's ref after the attempt: the one given, or the
 * one that got there first; undefined when the run is gone.
 */
export async function pinRunCommit(db: Db, runId: string, pinned: { sha: string; refspec?: string }): Promise<JobRef | undefined> {
  const patch = { sha: pinned.sha, ...(pinned.refspec && { refspec: pinned.refspec }) };
  const set = await firstRow(db
    .update(runs)
    .set({ ref: sql`${runs.ref} || ${JSON.stringify(patch)}::jsonb` })
    .where(and(eq(runs.id, runId), sql`${runs.ref}->>'sha' is null`))
    .returning({ ref: runs.ref }));
  if (set) return set.ref;
  return (await findRun(db, runId))?.ref;
}

export async function findRun(db: Db, id: string): Promise<Run | undefined> {
  return firstRow(db.select().from(runs).where(eq(runs.id, id)));
}

/** A run's jobs, by number. */
export async function listRunJobs(db: Db, runId: string): Promise<RunJob[]> {
  return db.select(runJobColumns).from(jobs).where(eq(jobs.runId, runId)).orderBy(asc(jobs.number));
}

/** The jobs of several runs, by number (a page of runs in one query). */
export async function listJobsOfRuns(db: Db, runIds: string[]): Promise<RunJob[]> {
  if (runIds.length === 0) return [];
  return db.select(runJobColumns).from(jobs).where(inArray(jobs.runId, runIds)).orderBy(asc(jobs.number));
}

/**
 * A page of a project's runs, newest first; `before` is the id of the last run of the
 * previous page (runs have no number, so the cursor is the run itself). The comparison
 * stays in SQL: a JavaScript Date would drop the microseconds and skip runs.
 */
export async function listProjectRuns(db: Db, projectId: string, page: { limit: number; before?: string }): Promise<Run[]> {
  const where = page.before
    ? and(
      eq(runs.projectId, projectId),
      sql`(${runs.createdAt}, ${runs.id}) < (select r.created_at, r.id from runs r where r.id = ${page.before})`,
    )
    : eq(runs.projectId, projectId);
  return db.select().from(runs).where(where).orderBy(desc(runs.createdAt), desc(runs.id)).limit(page.limit);
}
