/**
 * The drones connected to this queen, with what the scheduler needs to know of each:
 * their declared capacity and the jobs they hold (counted from assignment, before the
 * drone confirms, so two dispatch rounds never overfill a drone).
 */
import { EventEmitter } from 'node:events';
import type { QueenMessage } from '../../common/protocol/index.ts';
import type { DroneCandidate } from './select-drone.ts';

export interface DroneLink {
  send(message: QueenMessage): void;
  close(code: number, reason: string): void;
  /** Whether the peer answers a ping within `timeoutMs` (a half-open socket does not). */
  probe(timeoutMs: number): Promise<boolean>;
  /** When the drone was last heard from, any frame (ms since the epoch): its last-seen time. */
  heardAt(): number;
}

export interface ConnectedDrone extends DroneCandidate {
  readonly jobs: Set<string>;
  readonly link: DroneLink;
  /** The token it connected with (null: the local drone's process token); revoking it disconnects the drone. */
  readonly tokenId: string | null;
  readonly connectedAt: Date;
  /** The drone's last heartbeat, kept in memory: when, and the leases it vouched for. */
  heartbeat?: { at: number; leases: Set<string> };
}

export interface DroneHubEvents {
  connected: [drone: ConnectedDrone];
  disconnected: [drone: ConnectedDrone];
  /** What a drone can take changed (capacity, labels, drained, resumed). */
  capacity: [drone: ConnectedDrone];
}

export class DroneHub extends EventEmitter<DroneHubEvents> {
  readonly #drones = new Map<string, ConnectedDrone>();

  add(info: Omit<DroneCandidate, 'running'> & { tokenId: string | null }, link: DroneLink, heldJobs: Iterable<string> = []): ConnectedDrone {
    const jobs = new Set<string>(heldJobs);
    const drone: ConnectedDrone = {
      ...info,
      jobs,
      link,
      connectedAt: new Date(),
      get running() { return jobs.size; },
    };
    this.#drones.set(info.id, drone);
    this.emit('connected', drone);
    return drone;
  }

  /** Removes the drone only if `drone` is still the registered session (not a newer one). */
  remove(drone: ConnectedDrone): void {
    if (this.#drones.get(drone.id) !== drone) return;
    this.#drones.delete(drone.id);
    this.emit('disconnected', drone);
  }

  /** Announces that a drone's capacity, labels or draining changed (the dispatcher listens). */
  capacityChanged(drone: ConnectedDrone): void {
    if (this.#drones.get(drone.id) === drone) this.emit('capacity', drone);
  }

  get(id: string): ConnectedDrone | undefined {
    return this.#drones.get(id);
  }

  all(): ConnectedDrone[] {
    return [...this.#drones.values()];
  }

  /** Drops a job from whichever drone holds it; true when a slot was freed. */
  release(jobId: string, droneId?: string | null): boolean {
    if (droneId) return this.#drones.get(droneId)?.jobs.delete(jobId) ?? false;
    for (const d of this.#drones.values()) if (d.jobs.delete(jobId)) return true;
    return false;
  }
}
