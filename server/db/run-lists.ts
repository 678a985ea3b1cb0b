/**
 * A project's builds with runs grouped, for its page: a run is one entry, at the place of
 * its first job (its lowest number), and its other jobs are not entries of their own. So a
 * page of 25 entries is 25 builds or runs, however many jobs a run has, and the pager
 * still walks build numbers (of the entries). The jobs of the runs on a page come with it.
 */
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.ts';
import { summaryColumns, type BuildPage, type BuildSummary } from './build-lists.ts';
import { findRun, listJobsOfRuns, listRunJobs, type Run, type RunJob } from './runs.ts';
import { jobs, runs } from './schema.ts';

export interface RunGroup {
  run: Run;
  /** Its jobs, by number. */
  jobs: RunJob[];
  /** Its first job, which stands for it in the list (ref, commit, trigger). */
  lead: BuildSummary;
}

export interface GroupedBuildPage extends BuildPage {
  /** The runs of the page's entries, by id; an entry whose `runId` is here is shown as its run. */
  runs: Map<string, RunGroup>;
}

/** A job outside any run, or the first job of its run. */
const isEntry: SQL = sql`(${jobs.runId} is null or ${jobs.number} = (select min(j2.number) from jobs j2 where j2.run_id = ${jobs.runId}))`;

/** One page of entries, newest first; `before`/`after` are entry numbers (exclusive), as for listBuilds. */
export async function listGroupedBuilds(
  db: Db,
  projectId: string,
  page: { limit: number; before?: number; after?: number },
): Promise<GroupedBuildPage> {
  const base = [eq(jobs.projectId, projectId), isEntry];
  let builds: BuildSummary[];
  let older: number | null;
  let newer: number | null;
  if (page.after !== undefined) {
    const rows = await db.select(summaryColumns).from(jobs)
      .where(and(...base, gt(jobs.number, page.after)))
      .orderBy(asc(jobs.number)).limit(page.limit + 1);
    builds = rows.slice(0, page.limit).reverse();
    newer = rows.length > page.limit && builds.length ? builds[0].number : null;
    older = builds.length ? builds[builds.length - 1].number : null;
  } else {
    const where = page.before !== undefined ? and(...base, lt(jobs.number, page.before)) : and(...base);
    const rows = await db.select(summaryColumns).from(jobs).where(where).orderBy(desc(jobs.number)).limit(page.limit + 1);
    builds = rows.slice(0, page.limit);
    older = rows.length > page.limit ? builds[builds.length - 1].number : null;
    newer = page.before !== undefined && builds.length ? builds[0].number : null;
  }
  return { builds, older, newer, runs: await groupsOf(db, builds) };
}

async function groupsOf(db: Db, builds: BuildSummary[]): Promise<Map<string, RunGroup>> {
  const runIds = [...new Set(builds.flatMap((b) => (b.runId ? [b.runId] : [])))];
  if (runIds.length === 0) return new Map();
  const [runRows, members] = await Promise.all([
    db.select().from(runs).where(inArray(runs.id, runIds)),
    listJobsOfRuns(db, runIds),
  ]);
  const groups = new Map<string, RunGroup>();
  for (const run of runRows) {
    const lead = builds.find((b) => b.runId === run.id)!;
    groups.set(run.id, { run, jobs: members.filter((j) => j.runId === run.id), lead });
  }
  return groups;
}

/** One run as the project list shows it (its live refresh); undefined when it is gone. */
export async function findRunGroup(db: Db, runId: string): Promise<RunGroup | undefined> {
  const [run, members] = await Promise.all([findRun(db, runId), listRunJobs(db, runId)]);
  if (!run || members.length === 0) return undefined;
  const [lead] = await db.select(summaryColumns).from(jobs).where(eq(jobs.id, members[0].id));
  return lead && { run, jobs: members, lead };
}
