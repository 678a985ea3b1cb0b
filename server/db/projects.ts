/** Queries on projects. */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import type { ChangeFeed } from './change-feed.ts';
import { firstRow } from './first-row.ts';
import { rowReads } from './row-reads.ts';
import type { SharedReads } from '../util/fresh-reads.ts';
import { projects } from './schema.ts';

export type Project = typeof projects.$inferSelect;

export type NewProject = Omit<typeof projects.$inferInsert, 'id' | 'createdAt' | 'updatedAt' | 'nextJobNumber'>;

export async function insertProject(db: Db, input: NewProject): Promise<Project> {
  const [row] = await db.insert(projects).values({ id: randomUUID(), ...input }).returning();
  return row;
}

/** Shared reads of project rows per database (see `shareProjectReads`). */
const projectReads = new WeakMap<Db, SharedReads<Project | undefined>>();

/**
 * A job reads its project several times on its way (trigger, resolution, assignment, and
 * each status for hooks and commit statuses — those two at the same moment). `findProject`
 * answers from rows kept until the database says they changed: the embedded database's
 * change feed, or PostgreSQL's notifications (project-change-feed.ts), whose rows are
 * also read again after `ttlMs`; without either, reads that arrive together share one
 * lookup that started after they asked (row-reads.ts).
 */
export function shareProjectReads(db: Db, changes?: ChangeFeed, ttlMs?: number): void {
  projectReads.set(db, rowReads<Project | undefined>(changes, 'project', ttlMs === undefined ? undefined : () => Date.now() + ttlMs));
}

/** This queen's own change of a project is seen by its next read, whatever the feed's delay. */
export const projectChangedHere = (db: Db, id: string): void => projectReads.get(db)?.invalidate?.(id);

/**
 * The project as stored now, never a kept row: for a change made on top of what is there,
 * which must not undo a change another queen made a moment ago (kept rows hear of those
 * within a notification's delay on PostgreSQL).
 */
export async function readProject(db: Db, id: string): Promise<Project | undefined> {
  return firstRow(db.select().from(projects).where(eq(projects.id, id)));
}

export async function findProject(db: Db, id: string): Promise<Project | undefined> {
  const load = () => readProject(db, id);
  const shared = projectReads.get(db);
  if (!shared) return load();
  // A copy: what a caller does with its project never reaches the next caller.
  const project = await shared.read(id, load);
  return project && structuredClone(project);
}

export async function findProjectByName(db: Db, name: string): Promise<Project | undefined> {
  return firstRow(db.select().from(projects).where(eq(projects.name, name)));
}

export async function listProjects(db: Db): Promise<Project[]> {
  return db.select().from(projects).orderBy(asc(projects.name));
}

export async function updateProject(db: Db, id: string, patch: Partial<NewProject>): Promise<Project | undefined> {
  const row = await firstRow(db
    .update(projects)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(projects.id, id))
    .returning());
  projectChangedHere(db, id);
  return row;
}

export async function deleteProject(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id });
  projectChangedHere(db, id);
  return rows.length > 0;
}

/**
 * Projects a webhook may be for: those of this provider (or none set) whose `forgeRepo`
 * is `fullName` (case-insensitively, as forges treat names), plus every such project
 * without a `forgeRepo`, which the caller matches by clone URL.
 */
export async function listWebhookCandidates(db: Db, provider: 'github' | 'gitlab', fullName: string | undefined): Promise<Project[]> {
  const sameRepo = fullName ? sql`lower(${projects.forgeRepo}) = ${fullName.toLowerCase()}` : sql`false`;
  return db
    .select()
    .from(projects)
    .where(and(or(isNull(projects.provider), eq(projects.provider, provider)), or(sameRepo, isNull(projects.forgeRepo))))
    .orderBy(asc(projects.name));
}
