/** Queries on drones: registered by name at hello, marked connected while their socket lives. */
import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
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

/** Registers (or refreshes) a drone by name and marks it connected; returns its row. */
export async function registerDrone(db: Db, reg: DroneRegistration): Promise<DroneRow> {
  const [row] = await db
    .insert(drones)
    .values({ id: randomUUID(), ...reg, connected: true, draining: false })
    // `draining` is the queen's to keep: a drone that reconnects stays drained.
    .onConflictDoUpdate({
      target: drones.name,
      set: { ...reg, connected: true, lastSeenAt: sql`now()` },
    })
    .returning();
  return row;
}

export async function updateDrone(
  db: Db,
  id: string,
  patch: Partial<Pick<DroneRow, 'capacity' | 'speed' | 'labels' | 'connected' | 'draining'>>,
): Promise<void> {
  await db.update(drones).set({ ...patch, lastSeenAt: sql`now()` }).where(eq(drones.id, id));
}

export async function listDrones(db: Db): Promise<DroneRow[]> {
  return db.select().from(drones).orderBy(asc(drones.name));
}

/** At queen start no socket is open yet, whatever the last run left behind. */
export async function markAllDisconnected(db: Db): Promise<void> {
  await db.update(drones).set({ connected: false }).where(eq(drones.connected, true));
}

/** Sets a drone's draining flag; the row, or undefined when no drone has that id. */
export async function setDroneDraining(db: Db, id: string, draining: boolean): Promise<DroneRow | undefined> {
  const [row] = await db.update(drones).set({ draining }).where(eq(drones.id, id)).returning();
  return row;
}
