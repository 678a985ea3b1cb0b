/**
 * Queries on drones: registered by name at hello, marked connected (to a queen: `queen_id`)
 * while their socket lives. With several queens a drone may move from one to another, so
 * a queen changes `connected` only on rows that still name it.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { liveQueenIds } from './queens.ts';
import { drones, queens } from './schema.ts';

export type DroneRow = typeof drones.$inferSelect;

export interface DroneRegistration {
  name: string;
  labels: string[];
  plugins: string[];
  capacity: number;
  speed: number;
}

/** A drone name connected to another live queen: that drone's id, and the queen's id and address. */
export interface HeldDrone {
  heldBy: { droneId: string; queenId: string; address: string };
}

/**
 * Registers (or refreshes) a drone by name and marks it connected to `queenId`; returns its
 * row — or, when the name is connected to another queen that is live, who holds it (and
 * changes nothing): a second drone under a live one's name is never let in silently,
 * whichever queen each connects to. The check is the upsert's own condition, so two
 * queens admitting one name at once cannot both succeed. `takeOverFrom` lets the name be
 * taken from that queen too — it did not answer whether its connection still lives
 * (drone-control-relay.ts) — and from it only: of two queens taking over at once, one
 * gets the name.
 */
export async function registerDrone(
  db: Db, reg: DroneRegistration, queenId: string, options: { takeOverFrom?: string; tries?: number } = {},
): Promise<DroneRow | HeldDrone> {
  const free = sql`(not ${drones.connected} or ${drones.queenId} is null or ${drones.queenId} = ${queenId}::uuid
    or ${drones.queenId} not in (${liveQueenIds(db)})
    ${options.takeOverFrom ? sql`or ${drones.queenId} = ${options.takeOverFrom}::uuid` : sql``})`;
  const [row] = await db
    .insert(drones)
    .values({ id: randomUUID(), ...reg, connected: true, draining: false, queenId })
    // `draining` is the queens' to keep: a drone that reconnects stays drained.
    .onConflictDoUpdate({
      target: drones.name,
      set: { ...reg, connected: true, queenId, lastSeenAt: sql`now()` },
      setWhere: free,
    })
    .returning();
  if (row) return row;
  const [held] = await db
    .select({ droneId: drones.id, queenId: drones.queenId, address: queens.address })
    .from(drones)
    .leftJoin(queens, eq(queens.id, drones.queenId))
    .where(eq(drones.name, reg.name));
  // Released in between (the holder disconnected): try once more, as a first registration would.
  const tries = options.tries ?? 2;
  if (!held?.queenId && tries > 1) return registerDrone(db, reg, queenId, { ...options, tries: tries - 1 });
  return { heldBy: { droneId: held?.droneId ?? '', queenId: held?.queenId ?? '', address: held?.address ?? 'unknown' } };
}

export const isHeld = (registered: DroneRow | HeldDrone): registered is HeldDrone => 'heldBy' in registered;

/** The drone's socket to `queenId` closed — unless it has connected to another queen meanwhile. */
export async function markDroneDisconnected(db: Db, id: string, queenId: string): Promise<void> {
  await db.update(drones).set({ connected: false, lastSeenAt: sql`now()` }).where(and(eq(drones.id, id), eq(drones.queenId, queenId)));
}

export async function findDrone(db: Db, id: string): Promise<DroneRow | undefined> {
  const [row] = await db.select().from(drones).where(eq(drones.id, id));
  return row;
}

/** What a drone declares of itself after its hello (`drone:info`), for its row. */
export interface DroneInfo {
  id: string;
  capacity: number;
  speed: number;
  labels: string[];
}

/** Several drones' declared capacity, speed and labels in one statement. */
export async function writeDroneInfos(db: Db, infos: readonly DroneInfo[]): Promise<void> {
  if (infos.length === 0) return;
  const values = sql.join(infos.map((i) => sql`(${i.id}::uuid, ${i.capacity}::int, ${i.speed}::real, ${JSON.stringify(i.labels)}::jsonb)`), sql`, `);
  await db.execute(sql`
    update ${drones} set capacity = v.capacity, speed = v.speed, labels = v.labels, last_seen_at = now()
    from (values ${values}) as v(id, capacity, speed, labels)
    where ${drones.id} = v.id`);
}

export async function listDrones(db: Db): Promise<DroneRow[]> {
  return db.select().from(drones).orderBy(asc(drones.name));
}

/** Sets a drone's draining flag; the row, or undefined when no drone has that id. */
export async function setDroneDraining(db: Db, id: string, draining: boolean): Promise<DroneRow | undefined> {
  const [row] = await db.update(drones).set({ draining }).where(eq(drones.id, id)).returning();
  return row;
}
