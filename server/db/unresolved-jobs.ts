/**
 * Queued jobs still waiting for their spec, page by page from the oldest. The resolver
 * pages with a cursor rather than re-reading the oldest page: jobs held up behind a slow
 * repository stay unresolved, and newer jobs of other repositories must still be seen.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import type { Job } from './jobs.ts';
import { jobs, projects } from './schema.ts';

export interface UnresolvedCursor {
  createdAt: Date;
  id: string;
}

/**
 * An unresolved job as the resolver lists it: the whole row (resolving one that starts at
 * once needs no second read of it), and its repository, which its pool is keyed by.
 */
export type UnresolvedJob = { job: Job; repoUrl: string };

export async function listUnresolvedJobsAfter(db: Db, after: UnresolvedCursor | undefined, limit: number): Promise<UnresolvedJob[]> {
  // Compared at the milliseconds a Date holds: the column keeps microseconds, and a cursor
  // rounded down would otherwise list its own row again, forever on a full page.
  const at = sql`date_trunc('milliseconds', ${jobs.createdAt})`;
  const unresolved = and(eq(jobs.status, 'queued'), sql`${jobs.spec} is null`);
  const later = after
    ? sql`(${at}, ${jobs.id}) > (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`
    : undefined;
  return db
    .select({ job: jobs, repoUrl: projects.repoUrl })
    .from(jobs)
    .innerJoin(projects, eq(projects.id, jobs.projectId))
    .where(later ? and(unresolved, later) : unresolved)
    .orderBy(asc(at), asc(jobs.id))
    .limit(limit);
}
