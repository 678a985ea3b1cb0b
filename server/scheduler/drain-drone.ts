/**
 * Draining a drone: it stays connected and finishes the jobs it runs, but takes no new
 * ones, until an admin resumes it. The state is the queen's (the `drones.draining`
 * column), so it survives the drone's reconnects and restarts and the queen's own; a
 * drone that is not connected can be drained ahead of its return. The API and the drones
 * page both go through here: the flag is set in memory first (a dispatch round running
 * meanwhile already skips the drone), then stored, then announced on the hub so the
 * dispatcher re-plans.
 */
import type { Db } from '../db/client.ts';
import { setDroneDraining, type DroneRow } from '../db/drones.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from './drone-hub.ts';

export interface DrainDeps {
  db: Db;
  hub: DroneHub;
  log: Logger;
}

/** Drains (or, with `draining` false, resumes) a drone; undefined when no drone has that id. */
export async function setDraining(deps: DrainDeps, droneId: string, draining: boolean, by: string): Promise<DroneRow | undefined> {
  const live = deps.hub.get(droneId);
  const before = live?.draining;
  if (live) live.draining = draining;
  const row = await setDroneDraining(deps.db, droneId, draining);
  if (!row) {
    if (live && before !== undefined) live.draining = before;
    return undefined;
  }
  deps.log.info({ drone: row.name, by, running: live?.running ?? 0 }, draining ? 'drone drained: no new jobs' : 'drone resumed');
  if (live) deps.hub.capacityChanged(live);
  return row;
}
