/**
 * Read queries behind the web UI's lists: a project's builds (filtered, paginated by
 * number so a page costs the same with 10 or 100,000 builds) and the dashboard's
 * projects with their latest build and live counts. They select only the columns lists
 * show — never the resolved spec.
 */
import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { FINAL_STATUSES, type JobStatus } from '../../common/protocol/index.ts';
import type { Db } from './client.ts';
import { jobs, projects } from './schema.ts';

/** What a list shows of a build (run-lists.ts reads the same for the builds of runs). */
export const summaryColumns = {
  id: jobs.id,
  projectId: jobs.projectId,
  number: jobs.number,
  type: jobs.type,
  status: jobs.status,
  ref: jobs.ref,
  trigger: jobs.trigger,
  message: jobs.message,
  droneName: jobs.droneName,
  attempt: jobs.attempt,
  /** The run it belongs to, and its matrix combination (its name). */
  runId: jobs.runId,
  matrix: jobs.matrix,
  createdAt: jobs.createdAt,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
};

export type BuildSummary = {
  [K in keyof typeof summaryColumns]: (typeof summaryColumns)[K]['_']['data'] | ((typeof summaryColumns)[K]['_']['notNull'] extends true ? never : null);
};

/** What the status filter offers; `active` covers assigned and running. */
export const STATUS_FILTERS = ['queued', 'active', ...FINAL_STATUSES] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export interface BuildFilter {
  branch?: string;
  status?: StatusFilter;
}

export interface BuildPage {
  builds: BuildSummary[];
  /** Number to pass as `before` for older builds, or null on the last page. */
  older: number | null;
  /** Number to pass as `after` for newer builds, or null on the first page. */
  newer: number | null;
}

function filterConditions(projectId: string, filter: BuildFilter): SQL[] {
  const conditions: SQL[] = [eq(jobs.projectId, projectId)];
  if (filter.status === 'active') conditions.push(inArray(jobs.status, ['assigned', 'running']));
  else if (filter.status) conditions.push(eq(jobs.status, filter.status as JobStatus));
  if (filter.branch) {
    conditions.push(or(
      sql`${jobs.ref}->>'branch' = ${filter.branch}`,
      sql`${jobs.ref}->'pullRequest'->>'headBranch' = ${filter.branch}`,
    )!);
  }
  return conditions;
}

/** One page of a project's builds, newest first; `before`/`after` are build numbers (exclusive). */
export async function listBuilds(
  db: Db,
  projectId: string,
  filter: BuildFilter,
  page: { limit: number; before?: number; after?: number },
): Promise<BuildPage> {
  const base = filterConditions(projectId, filter);
  if (page.after !== undefined) {
    // Newer page: walk upwards from `after`, then show newest first like every page.
    const rows = await db.select(summaryColumns).from(jobs)
      .where(and(...base, gt(jobs.number, page.after)))
      .orderBy(asc(jobs.number)).limit(page.limit + 1);
    const hasNewer = rows.length > page.limit;
    const builds = rows.slice(0, page.limit).reverse();
    return {
      builds,
      newer: hasNewer && builds.length ? builds[0].number : null,
      older: builds.length ? builds[builds.length - 1].number : null,
    };
  }
  const where = page.before !== undefined ? and(...base, lt(jobs.number, page.before)) : and(...base);
  const rows = await db.select(summaryColumns).from(jobs).where(where).orderBy(desc(jobs.number)).limit(page.limit + 1);
  const builds = rows.slice(0, page.limit);
  return {
    builds,
    older: rows.length > page.limit ? builds[builds.length - 1].number : null,
    newer: page.before !== undefined && builds.length ? builds[0].number : null,
  };
}

export async function findBuildSummary(db: Db, jobId: string): Promise<BuildSummary | undefined> {
  const [row] = await db.select(summaryColumns).from(jobs).where(eq(jobs.id, jobId));
  return row;
}

/** Whether a build passes a filter (for live rows: does a new build belong on this page?). */
export async function buildMatches(db: Db, jobId: string, projectId: string, filter: BuildFilter): Promise<boolean> {
  const [row] = await db.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.id, jobId), ...filterConditions(projectId, filter)));
  return !!row;
}

export interface ActiveCounts {
  queued: number;
  running: number;
}

/** Queued and running (assigned or running) builds per project; projects with none are absent. */
export async function activeCountsByProject(db: Db): Promise<Map<string, ActiveCounts>> {
  const rows = await db
    .select({ projectId: jobs.projectId, status: jobs.status, n: sql<number>`count(*)::int` })
    .from(jobs)
    .where(inArray(jobs.status, ['queued', 'assigned', 'running']))
    .groupBy(jobs.projectId, jobs.status);
  const counts = new Map<string, ActiveCounts>();
  for (const r of rows) {
    const c = counts.get(r.projectId) ?? { queued: 0, running: 0 };
    if (r.status === 'queued') c.queued += r.n;
    else c.running += r.n;
    counts.set(r.projectId, c);
  }
  return counts;
}

export interface ProjectOverview {
  id: string;
  name: string;
  repoUrl: string;
  defaultBranch: string;
  last: BuildSummary | null;
}

/** Every project (by name) with its latest build: one query, one index probe per project. */
export async function listProjectOverviews(db: Db, projectId?: string): Promise<ProjectOverview[]> {
  const last = db
    .select(summaryColumns)
    .from(jobs)
    .where(eq(jobs.projectId, projects.id))
    .orderBy(desc(jobs.number))
    .limit(1)
    .as('last');
  const lastColumns = Object.fromEntries(Object.keys(summaryColumns).map((k) => [k, last[k as keyof typeof summaryColumns]]));
  const rows = await db
    .select({
      id: projects.id, name: projects.name, repoUrl: projects.repoUrl, defaultBranch: projects.defaultBranch,
      last: lastColumns as unknown as typeof summaryColumns,
    })
    .from(projects)
    .leftJoinLateral(last, sql`true`)
    .where(projectId ? eq(projects.id, projectId) : undefined)
    .orderBy(asc(projects.name));
  return rows.map((r) => ({ ...r, last: r.last?.id ? (r.last as BuildSummary) : null }));
}
