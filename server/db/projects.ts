/** Queries on projects. */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import type { ChangeFeed } from './change-feed.ts';
import { firstRow } from './first-row.ts';
import { rowReads } from './row-reads.ts';
import type { SharedReads } from '../util/fresh-reads.ts';
import { projects } from './schema.ts';

export type Project = typeof projects.$inferSelect;

/** What a caller sets; `version` and `nextJobNumber` are the database's to count. */
export type NewProject = Omit<typeof projects.$inferInsert, 'id' | 'createdAt' | 'updatedAt' | 'nextJobNumber' | 'version'>;

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
  projectReads.set(db, rowReads<Project | undefined>(changes, 'project', { validUntil: ttlMs === undefined ? undefined : () => Date.now() + ttlMs }));
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

/**
 * Runs `change` in a transaction, given the project read with its row locked until the
 * transaction ends: no other change of it can land between that read and `change`'s write
 * (made on `tx`). For a change that lost the race to others several times already.
 */
export async function withProjectLocked<T>(db: Db, id: string, change: (tx: Db, existing: Project | undefined) => Promise<T>): Promise<T> {
  const result = await db.transaction(async (trx) => {
    const tx = trx as unknown as Db;
    return change(tx, await firstRow(tx.select().from(projects).where(eq(projects.id, id)).for('update')));
  });
  projectChangedHere(db, id);
  return result;
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

/** What a change of the settings sets besides its fields: the version counted up (see `updateProjectAtVersion`). */
const changed = () => ({ version: sql`${projects.version} + 1`, updatedAt: sql`now()` });

/**
 * Changes the project's settings on top of whatever is stored, counting its version up:
 * for a field set outright, derived from nothing read before (a new webhook secret).
 */
export async function updateProject(db: Db, id: string, patch: Partial<NewProject>): Promise<Project | undefined> {
  const row = await firstRow(db.update(projects).set({ ...patch, ...changed() }).where(eq(projects.id, id)).returning());
  projectChangedHere(db, id);
  return row;
}

/**
 * Changes the project's settings only if the row is still at `version` — the one the
 * change was derived from — and runs `alongside` (the writes that belong to it, such as
 * schedule baselines) in the same transaction, only when the row was written: a change
 * that lost a race leaves nothing. Undefined both when the project is gone and when
 * another change landed in between (the caller reads it again to tell which).
 */
export async function updateProjectAtVersion(
  db: Db, id: string, patch: Partial<NewProject>, version: number, alongside?: (tx: Db) => Promise<void>,
): Promise<Project | undefined> {
  const row = await db.transaction(async (trx) => {
    const tx = trx as unknown as Db;
    const written = await firstRow(tx.update(projects).set({ ...patch, ...changed() })
      .where(and(eq(projects.id, id), eq(projects.version, version))).returning());
    if (written) await alongside?.(tx);
    return written;
  });
  // After the commit: a read between the write and the commit would have kept the old row again.
  projectChangedHere(db, id);
  return row;
}

/**
 * Deletes a project (its jobs go with it); false when there is none. With `atVersions`
 * (a client's If-Match), only at one of those versions: `'changed'` when it exists at
 * another, and nothing is deleted.
 */
export async function deleteProject(db: Db, id: string, atVersions?: readonly number[]): Promise<boolean | 'changed'> {
  const at = atVersions && inArray(projects.version, [...atVersions]);
  const rows = await db.delete(projects).where(and(eq(projects.id, id), at)).returning({ id: projects.id });
  projectChangedHere(db, id);
  if (rows.length > 0) return true;
  if (!at) return false;
  const [still] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, id));
  return still ? 'changed' : false;
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
