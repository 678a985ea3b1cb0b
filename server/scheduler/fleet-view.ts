/**
 * Every drone of every queen sharing the database, as the API and the drones page show it:
 * each with the queen it is (or was last) connected to and what it runs. A drone connected
 * here is described by this queen's hub (its socket is here); one connected to another
 * queen by its row — `connected`, and that queen live (queens.ts) — and its active jobs in
 * the database. A drone whose queen died counts as disconnected at once, before any sweep
 * has marked its row.
 */
import { and, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { listDrones, type DroneRow } from '../db/drones.ts';
import { ACTIVE_STATUSES } from '../db/jobs.ts';
import { queensById } from '../db/queens.ts';
import { jobs } from '../db/schema.ts';
import type { DroneHub } from './drone-hub.ts';

export interface FleetQueen {
  id: string;
  address: string;
  live: boolean;
  /** The queen answering. */
  self: boolean;
}

export interface FleetDrone {
  row: DroneRow;
  /** The queen it is, or was last, connected to (none: it never connected since queens were recorded). */
  queen?: FleetQueen;
  /** Connected now, to this queen or to another live one. */
  connected: boolean;
  /** Connected to this queen: drain applies at once, disconnect closes its socket here. */
  here: boolean;
  running: number;
  jobs: { id: string; label: string }[];
  /**
   * When it was last heard from: here, the last frame on its socket; connected to another
   * live queen, that queen's last beat (its sockets are checked each beat); otherwise its
   * row, written when it disconnected or its queen was found dead.
   */
  lastSeenAt: Date;
}

export interface FleetDeps {
  db: Db;
  hub: DroneHub;
  queenId: string;
}

export async function readFleet({ db, hub, queenId }: FleetDeps): Promise<FleetDrone[]> {
  const rows = await listDrones(db);
  const queens = await queensById(db, [...new Set(rows.flatMap((r) => (r.queenId ? [r.queenId] : [])))]);
  const drones = rows.map((row) => {
    const q = row.queenId ? queens.get(row.queenId) : undefined;
    const queen = q && { id: q.id, address: q.address, live: q.live || q.id === queenId, self: q.id === queenId };
    const live = hub.get(row.id);
    const here = !!live;
    const connected = here || (row.connected && !!queen?.live && !queen.self);
    const lastSeenAt = live
      ? new Date(Math.max(live.link.heardAt(), row.lastSeenAt.getTime()))
      : row.connected && q && !queen!.self && q.lastSeenAt > row.lastSeenAt ? q.lastSeenAt : row.lastSeenAt;
    return { row, queen, connected, here, live, lastSeenAt };
  });
  const jobsOf = await activeJobsOf(db, drones.filter((d) => d.connected).map((d) => d.row.id));
  return drones.map(({ row, queen, connected, here, live, lastSeenAt }) => {
    const held = jobsOf.get(row.id) ?? [];
    // Here the hub counts a job from its assignment, as the scheduler does; elsewhere the database.
    const ids = live ? [...live.jobs] : held.map((j) => j.id);
    const labels = new Map(held.map((j) => [j.id, j.label]));
    return {
      row, queen, connected, here, lastSeenAt,
      running: connected ? ids.length : 0,
      jobs: connected ? ids.map((id) => ({ id, label: labels.get(id) ?? id.slice(0, 8) })) : [],
    };
  });
}

/** The active jobs of some drones, labelled `project #number`. */
async function activeJobsOf(db: Db, droneIds: string[]): Promise<Map<string, { id: string; label: string }[]>> {
  const byDrone = new Map<string, { id: string; label: string }[]>();
  if (droneIds.length === 0) return byDrone;
  const rows = await db
    .select({ id: jobs.id, droneId: jobs.droneId, number: jobs.number, project: sql<string | null>`${jobs.spec}->>'projectName'` })
    .from(jobs)
    .where(and(inArray(jobs.status, ACTIVE_STATUSES), inArray(jobs.droneId, droneIds)));
  for (const r of rows) {
    const list = byDrone.get(r.droneId!) ?? [];
    list.push({ id: r.id, label: `${r.project ?? 'build'} #${r.number}` });
    byDrone.set(r.droneId!, list);
  }
  return byDrone;
}
