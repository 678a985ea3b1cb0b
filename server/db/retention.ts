/**
 * The deletes of retention: old logs of finished jobs and old webhook delivery records.
 * Every statement touches a bounded number of rows, so none holds locks for long or, on
 * the embedded PGlite (which runs in the queen's thread), blocks the event loop for long;
 * the caller loops until a batch comes back short.
 */
import { alias } from 'drizzle-orm/pg-core';
import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { FINAL_STATUSES } from '../../common/protocol/index.ts';
import type { Db } from './client.ts';
import { jobLogChunks, jobs, webhookDeliveries } from './schema.ts';

export interface LogPruneCriteria {
  /** Only jobs that finished before this. */
  finishedBefore: Date;
  /** Each project's newest this many builds (by number, whatever their status) keep their logs; 0 for none. */
  keepBuilds: number;
}

/**
 * Finished jobs whose logs are due for removal, oldest first. Queued, assigned and running
 * jobs never are: a finished job is final (nothing appends to its log any more), so
 * deleting its chunks cannot race the ingest.
 */
export async function listLogPruneCandidates(db: Db, criteria: LogPruneCriteria, limit: number): Promise<string[]> {
  const conditions = [
    isNull(jobs.logPrunedAt),
    lt(jobs.finishedAt, criteria.finishedBefore),
    inArray(jobs.status, [...FINAL_STATUSES]),
  ];
  if (criteria.keepBuilds > 0) {
    // The number of the project's Nth newest build (an index walk on (project_id, number));
    // null when the project has fewer builds, and `<` null keeps them all.
    const newer = alias(jobs, 'newer');
    const nthNewest = db
      .select({ number: newer.number })
      .from(newer)
      .where(eq(newer.projectId, jobs.projectId))
      .orderBy(desc(newer.number))
      .offset(criteria.keepBuilds - 1)
      .limit(1);
    conditions.push(lt(jobs.number, sql`${nthNewest}`));
  }
  const rows = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(...conditions))
    .orderBy(asc(jobs.finishedAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Deletes at most `limit` log chunks of these jobs; returns how many it deleted. */
export async function deleteLogChunks(db: Db, jobIds: string[], limit: number): Promise<number> {
  if (jobIds.length === 0) return 0;
  const batch = db
    .select({ jobId: jobLogChunks.jobId, attempt: jobLogChunks.attempt, seqFrom: jobLogChunks.seqFrom })
    .from(jobLogChunks)
    .where(inArray(jobLogChunks.jobId, jobIds))
    .limit(limit);
  const deleted = await db
    .delete(jobLogChunks)
    .where(sql`(${jobLogChunks.jobId}, ${jobLogChunks.attempt}, ${jobLogChunks.seqFrom}) in ${batch}`)
    .returning({ seqFrom: jobLogChunks.seqFrom });
  return deleted.length;
}

/**
 * Records that these jobs' logs are gone; returns how many it marked. A job marked by
 * another queen's pass meanwhile is not counted twice.
 */
export async function markLogsPruned(db: Db, jobIds: string[], at: Date): Promise<number> {
  if (jobIds.length === 0) return 0;
  const marked = await db
    .update(jobs)
    .set({ logPrunedAt: at })
    .where(and(inArray(jobs.id, jobIds), isNull(jobs.logPrunedAt)))
    .returning({ id: jobs.id });
  return marked.length;
}

/** Deletes at most `limit` webhook deliveries received before `before`; returns how many. */
export async function deleteDeliveriesReceivedBefore(db: Db, before: Date, limit: number): Promise<number> {
  const batch = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(lt(webhookDeliveries.receivedAt, before))
    .limit(limit);
  const deleted = await db
    .delete(webhookDeliveries)
    .where(inArray(webhookDeliveries.id, batch))
    .returning({ id: webhookDeliveries.id });
  return deleted.length;
}
