/**
 * Draining a drone: it finishes the jobs it runs and takes no new ones. The API and the
 * drones page both do it through here, so both persist the flag, tell the drone and
 * announce the change on the hub (the dispatcher re-plans what was meant for this drone).
 */
import type { Db } from '../db/client.ts';
import { updateDrone } from '../db/drones.ts';
import type { ConnectedDrone, DroneHub } from './drone-hub.ts';

export interface DrainDeps {
  db: Db;
  hub: DroneHub;
}

export async function drainDrone(deps: DrainDeps, drone: ConnectedDrone): Promise<void> {
  // In memory first, so a dispatch round running meanwhile already skips the drone.
  drone.draining = true;
  await updateDrone(deps.db, drone.id, { draining: true });
  drone.link.send({ type: 'drone:drain' });
  deps.hub.capacityChanged(drone);
}
