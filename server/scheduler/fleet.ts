/**
 * The drones of every queen sharing the database, and what an admin can do to them from
 * any queen: the list (fleet-view.ts), drain and resume (drain-drone.ts, then the drone's
 * own queen is told if it is another), and disconnect (closed here, or by its queen when
 * it is connected to another live one; a drone connected nowhere is a 404).
 */
import type { Db } from '../db/client.ts';
import type { DroneRow } from '../db/drones.ts';
import { NotFoundError } from '../errors.ts';
import type { DroneControlRelay } from '../live/drone-control-relay.ts';
import { DISCONNECTED_BY_OPERATOR } from '../live/drone-control-relay.ts';
import type { Logger } from '../logger.ts';
import { setDraining } from './drain-drone.ts';
import type { DroneHub } from './drone-hub.ts';
import { readFleet, type FleetDrone } from './fleet-view.ts';

export interface FleetOptions {
  db: Db;
  hub: DroneHub;
  log: Logger;
  queenId: string;
  control: DroneControlRelay;
}

export class Fleet {
  constructor(private readonly deps: FleetOptions) {}

  get queenId(): string {
    return this.deps.queenId;
  }

  list(): Promise<FleetDrone[]> {
    return readFleet(this.deps);
  }

  /** Drains or resumes a drone wherever it is connected; undefined when no drone has that id. */
  async setDraining(droneId: string, draining: boolean, by: string): Promise<DroneRow | undefined> {
    const row = await setDraining(this.deps, droneId, draining, by);
    if (row && row.connected && row.queenId && row.queenId !== this.deps.queenId && !this.deps.hub.get(droneId)) {
      await this.deps.control.drainingChanged(row.queenId, droneId, by);
    }
    return row;
  }

  /** Closes a drone's connection, here or through its queen. Throws NotFoundError when it is connected nowhere. */
  async disconnect(droneId: string, by: string): Promise<'here' | 'through its queen'> {
    const live = this.deps.hub.get(droneId);
    if (live) {
      live.link.close(DISCONNECTED_BY_OPERATOR, `disconnected by ${by}`);
      return 'here';
    }
    const drone = (await this.list()).find((d) => d.row.id === droneId);
    if (drone?.connected && drone.queen && this.deps.control.shared) {
      await this.deps.control.disconnect(drone.queen.id, droneId, by);
      return 'through its queen';
    }
    throw new NotFoundError('That drone is not connected (any more)');
  }
}
