/**
 * Draining a drone: it finishes the jobs it runs and takes no new ones. The API and the
 * drones page both do it through here, so both persist the flag, tell the drone and
 * kick the dispatcher (capacity changed: what was planned for this drone is re-planned).
 */
import type { Db } from '../db/client.ts';
import { updateDrone } from '../db/drones.ts';
import type { ConnectedDrone } from './drone-hub.ts';

export interface DrainDeps {
  db: Db;
  /** Wakes the dispatcher (app.ts `onCapacityChange`). */
  onCapacityChange(): void;
}

export async function drainDrone(deps: DrainDeps, drone: ConnectedDrone): Promise<void> {
  // In memory first, so a dispatch round running meanwhile already skips the drone.
  drone.draining = true;
  await updateDrone(deps.db, drone.id, { draining: true });
  drone.link.send({ type: 'drone:drain' });
  deps.onCapacityChange();
}
