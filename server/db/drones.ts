/**
 * Queries on drones: registered by name at hello, marked connected (to a queen: `queen_id`)
 * while their socket lives. With several queens a drone may move from one to another, so
 * a queen changes `connected` only on rows that still name it.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { drones } from './schema.ts';

export type DroneRow = typeof drones.$inferSelect;

export interface DroneRegistration {
  name: string;
  labels: string[];
  plugins: string[];
  capacity: number;
  speed: number;
}

/** Registers (or refreshes) a drone by name and marks it connected to `queenId`; returns its row. */
export async function registerDrone(db: Db, reg: DroneRegistration, queenId: string): Promise<DroneRow> {
  const [row] = await db
    .insert(drones)
    .values({ id: randomUUID(), ...reg, connected: true, draining: false, queenId })
    // `draining` is the queens' to keep: a drone that reconnects stays drained.
    .onConflictDoUpdate({
      target: drones.name,
      set: { ...reg, connected: true, queenId, lastSeenAt: sql`now()` },
    })
    .returning();
  return row;
}

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
