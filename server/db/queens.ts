/**
 * Queries on queens: each queen process keeps a row with when it last wrote (its beat), so
 * queens sharing one PostgreSQL know which of them are alive without talking to each other.
 * A queen is live while its row was written within three of its own beats: its drones count
 * as connected, and no other queen reaps their leases.
 */
import { and, desc, eq, inArray, lt, not, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.ts';
import { drones, queens } from './schema.ts';

export type QueenRow = typeof queens.$inferSelect;

/** Beats a queen may miss before it counts as dead (a busy database may delay one or two). */
export const MISSED_BEATS_BEFORE_DEAD = 3;
/** However short its beat, a queen counts as live this long after its last one. */
const MIN_LIVENESS_MS = 2_000;
/** Rows of queens dead for this long are deleted (only the fleet view ever reads them). */
const FORGET_DEAD_AFTER_MS = 7 * 24 * 3600_000;

/** True (in SQL) for a queen row written recently enough: `queens` must be in the query. */
export const queenIsLive: SQL = sql`${queens.lastSeenAt} > now() - greatest(${MISSED_BEATS_BEFORE_DEAD} * ${queens.beatMs}, ${MIN_LIVENESS_MS}) * interval '1 millisecond'`;

/** The ids of the live queens, as a subquery. */
export const liveQueenIds = (db: Db) => db.select({ id: queens.id }).from(queens).where(queenIsLive);

/** Records this queen as started (or started again, under the id it keeps in its data dir). */
export async function registerQueen(db: Db, queen: { id: string; address: string; beatMs: number }): Promise<void> {
  await db
    .insert(queens)
    .values({ ...queen, startedAt: sql`now()`, lastSeenAt: sql`now()` })
    .onConflictDoUpdate({ target: queens.id, set: { address: queen.address, beatMs: queen.beatMs, startedAt: sql`now()`, lastSeenAt: sql`now()` } });
}

/** This queen is alive: one small write per beat. */
export async function queenBeat(db: Db, id: string): Promise<void> {
  await db.update(queens).set({ lastSeenAt: sql`now()` }).where(eq(queens.id, id));
}

/** How many queens other than this one are live (whether announcing to them is worth a NOTIFY). */
export async function countOtherLiveQueens(db: Db, id: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(queens).where(and(queenIsLive, not(eq(queens.id, id))));
  return row.n;
}

/**
 * This queen's drones, connected again: after a pass that failed (the database was away)
 * other queens may have taken this one for dead and marked them disconnected. Rows another
 * queen took over meanwhile are left alone.
 */
export async function markDronesConnectedAgain(db: Db, queenId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.update(drones).set({ connected: true, lastSeenAt: sql`now()` }).where(and(inArray(drones.id, ids), eq(drones.queenId, queenId)));
}

/** A drone's row, last seen no earlier than its queen's last beat (while it was connected, the beat stood for it). */
const lastSeenAtItsQueensBeat = sql`greatest(${drones.lastSeenAt}, coalesce((select q.last_seen_at from ${queens} q where q.id = ${drones.queenId}), ${drones.lastSeenAt}))`;

/**
 * Drones marked connected to a queen that is not live (killed, or cut off from the
 * database) are not connected any more: one statement per beat, whichever queen runs it.
 * The queen's own id is excluded: its start clears its own with `markOwnDronesDisconnected`.
 */
export async function markDronesOfDeadQueensDisconnected(db: Db): Promise<number> {
  const rows = await db
    .update(drones)
    .set({ connected: false, lastSeenAt: lastSeenAtItsQueensBeat })
    .where(and(
      eq(drones.connected, true),
      sql`(${drones.queenId} is null or ${drones.queenId} not in (${liveQueenIds(db)}))`,
    ))
    .returning({ id: drones.id });
  return rows.length;
}

/**
 * At this queen's start no socket of its own is open yet: its drones of an earlier run are
 * gone, last seen at that run's last beat (so this runs before the queen registers again).
 * Other queens' stay.
 */
export async function markOwnDronesDisconnected(db: Db, queenId: string): Promise<void> {
  await db.update(drones).set({ connected: false, lastSeenAt: lastSeenAtItsQueensBeat }).where(and(eq(drones.queenId, queenId), eq(drones.connected, true)));
}

/** Deletes the rows of queens dead for a week (their drones no longer point at them, or are long disconnected). */
export async function forgetLongDeadQueens(db: Db, except: string): Promise<void> {
  await db.delete(queens).where(and(
    lt(queens.lastSeenAt, sql`now() - ${FORGET_DEAD_AFTER_MS} * interval '1 millisecond'`),
    not(eq(queens.id, except)),
    sql`not exists (select 1 from ${drones} where ${drones.queenId} = ${queens.id} and ${drones.connected})`,
  ));
}

/** Queens by id, with whether each is live (the fleet view). */
export async function queensById(db: Db, ids: string[]): Promise<Map<string, QueenRow & { live: boolean }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ queen: queens, live: sql<boolean>`${queenIsLive}` })
    .from(queens)
    .where(inArray(queens.id, ids));
  return new Map(rows.map((r) => [r.queen.id, { ...r.queen, live: r.live }]));
}

/** Every recorded queen, the newest started first, with whether each is live. */
export async function listQueens(db: Db): Promise<(QueenRow & { live: boolean })[]> {
  const rows = await db
    .select({ queen: queens, live: sql<boolean>`${queenIsLive}` })
    .from(queens)
    .orderBy(desc(queens.startedAt));
  return rows.map((r) => ({ ...r.queen, live: r.live }));
}
