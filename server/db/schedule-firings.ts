/**
 * Queries on `schedule_firings`: for each schedule, the due time it last fired for (or its
 * baseline: when it was first seen). A firing is recorded here after its job exists (the
 * job's dedup key, not this table, keeps a due time to one job); the update is
 * conditional, so the row only ever moves forward whichever queen writes it.
 */
import { and, eq, lt, notInArray, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { projects, scheduleFirings } from './schema.ts';

export type ScheduledProject = Pick<typeof projects.$inferSelect, 'id' | 'name' | 'defaultBranch' | 'defaultPriority' | 'schedules' | 'parameters'>;

/** The projects that have any schedule (enabled or not). */
export async function listScheduledProjects(db: Db): Promise<ScheduledProject[]> {
  return db
    .select({ id: projects.id, name: projects.name, defaultBranch: projects.defaultBranch, defaultPriority: projects.defaultPriority, schedules: projects.schedules, parameters: projects.parameters })
    .from(projects)
    .where(sql`jsonb_array_length(${projects.schedules}) > 0`);
}

const key = (projectId: string, name: string) => `${projectId}\u0000${name}`;

/** Last due time per schedule (of one project when given); `firingKey` makes the lookup key. */
export async function loadFirings(db: Db, projectId?: string): Promise<Map<string, Date>> {
  const rows = await db.select().from(scheduleFirings).where(projectId ? eq(scheduleFirings.projectId, projectId) : undefined);
  return new Map(rows.map((r) => [key(r.projectId, r.name), r.lastDueAt]));
}

export const firingKey = key;

/** A schedule seen for the first time: it fires from `at` on, never for the past. False when it had a row. */
export async function insertBaseline(db: Db, projectId: string, name: string, at: Date): Promise<boolean> {
  const rows = await db.insert(scheduleFirings).values({ projectId, name, lastDueAt: at })
    .onConflictDoNothing().returning({ name: scheduleFirings.name });
  return rows.length > 0;
}

/** The schedule's last due time as stored now (undefined: no row — the schedule was removed). */
export async function currentFiring(db: Db, projectId: string, name: string): Promise<Date | undefined> {
  const [row] = await db.select({ lastDueAt: scheduleFirings.lastDueAt }).from(scheduleFirings)
    .where(and(eq(scheduleFirings.projectId, projectId), eq(scheduleFirings.name, name)));
  return row?.lastDueAt;
}

/**
 * Records that the firing due at `dueAt` happened (its job exists, or it was given up):
 * true when this update moved the row forward, false when it was there already (another
 * queen recorded it, a later baseline was set, or the schedule's row is gone).
 */
export async function recordFiring(db: Db, projectId: string, name: string, dueAt: Date): Promise<boolean> {
  const rows = await db.update(scheduleFirings).set({ lastDueAt: dueAt })
    .where(and(eq(scheduleFirings.projectId, projectId), eq(scheduleFirings.name, name), lt(scheduleFirings.lastDueAt, dueAt)))
    .returning({ name: scheduleFirings.name });
  return rows.length > 0;
}

/**
 * Sets the baseline of these schedules to `at` (a changed cron expression or time zone, a
 * schedule enabled again): they fire from then on, not for due times they had before. A
 * later baseline already stored (another queen's clock ahead) is kept.
 */
export async function resetBaselines(db: Db, projectId: string, names: string[], at: Date): Promise<void> {
  if (names.length === 0) return;
  await db.insert(scheduleFirings).values(names.map((name) => ({ projectId, name, lastDueAt: at })))
    .onConflictDoUpdate({
      target: [scheduleFirings.projectId, scheduleFirings.name],
      set: { lastDueAt: sql`greatest(${scheduleFirings.lastDueAt}, excluded.last_due_at)` },
    });
}

/** Forgets the firings of schedules a project no longer has (a schedule added again under that name starts afresh). */
export async function deleteOtherFirings(db: Db, projectId: string, keep: string[]): Promise<void> {
  await db.delete(scheduleFirings).where(and(
    eq(scheduleFirings.projectId, projectId),
    keep.length ? notInArray(scheduleFirings.name, keep) : undefined,
  ));
}
