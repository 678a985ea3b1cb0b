/**
 * This queen's presence in the database, and its drones' — cheaply. Every beat (the drones'
 * heartbeat period) one pass:
 *
 * - writes the queen's `last_seen_at` (queens sharing the database judge it live by it);
 * - extends the leases its drones' heartbeats vouched for since the last pass, in one
 *   statement for all of them: a heartbeat itself only updates memory (drone-session.ts).
 *   A lease is thus extended up to a period after its heartbeat, to a period later: it
 *   never runs shorter, and the reaper extends a lease its drone vouched for in memory
 *   before it would reap it. A connected drone's last-seen time is not written each beat:
 *   while it is connected, its socket's liveness here (or, for another queen's drone, that
 *   queen's beat) stands for it (fleet-view.ts); its row gets one when it connects,
 *   disconnects, or its queen is found dead;
 * - marks drones connected to queens that are no longer live as disconnected;
 * - on a shared database, counts the other live queens (whether this one announces to them).
 *
 * At start, before any drone can connect, the drones its own earlier run left marked
 * connected are marked disconnected; the other queens' are left as they are.
 */
import type { Db } from '../db/client.ts';
import {
  forgetLongDeadQueens, markDronesConnectedAgain, markDronesOfDeadQueensDisconnected, markOwnDronesDisconnected, queenBeat, registerQueen,
} from '../db/queens.ts';
import { extendVouchedLeases } from '../db/lease-extensions.ts';
import type { Logger } from '../logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../util/periodic-task.ts';
import type { ConnectedDrone, DroneHub } from './drone-hub.ts';

export interface PresenceDeps {
  db: Db;
  hub: DroneHub;
  log: Logger;
  queenId: string;
  /** How often the pass runs (HIVE_HEARTBEAT_MS). */
  beatMs: number;
  /** How far a vouched lease is extended (HIVE_LEASE_MS). */
  leaseMs: number;
  /** Counts the other live queens, each pass (only where the database is shared). */
  refreshPeers?: () => Promise<unknown>;
}

/** Passes between clean-ups of long-dead queens' rows. */
const FORGET_EVERY = 1000;

export class QueenPresence {
  #task?: PeriodicTask;
  #address = '';
  #passes = 0;
  #failed = false;
  /** The heartbeat whose leases were last extended, per drone session (a new session extends again). */
  readonly #extended = new WeakMap<ConnectedDrone, number>();

  constructor(private readonly deps: PresenceDeps) {}

  /** Before the queen listens: registered, and its earlier run's drones marked gone. */
  async open(address: string): Promise<void> {
    this.#address = address;
    const { db, queenId, beatMs } = this.deps;
    // Before the row's last beat is overwritten: it is when those drones were last known here.
    await markOwnDronesDisconnected(db, queenId);
    await registerQueen(db, { id: queenId, address, beatMs });
  }

  /** Once listening: the address it serves on, and the periodic pass. */
  async start(address: string): Promise<void> {
    if (address !== this.#address) {
      this.#address = address;
      await registerQueen(this.deps.db, { id: this.deps.queenId, address, beatMs: this.deps.beatMs });
    }
    this.#task = startPeriodicTask(() => this.pass(), {
      intervalMs: this.deps.beatMs,
      onError: (err) => this.deps.log.warn({ err }, 'could not record this queen\'s presence; will retry'),
    });
  }

  stop(): Promise<void> {
    return this.#task?.stop() ?? Promise.resolve();
  }

  /** One pass (see the file comment). */
  async pass(): Promise<void> {
    const { db, hub, queenId } = this.deps;
    // After a pass that failed (the database was away) other queens may have taken this one
    // for dead and marked its drones disconnected: every drone is written, connected again.
    const afterFailure = this.#failed;
    this.#failed = true;
    await queenBeat(db, queenId);
    if (afterFailure) await markDronesConnectedAgain(db, queenId, hub.all().map((d) => d.id));
    const extended: { drone: ConnectedDrone; at: number }[] = [];
    const vouched: { droneId: string; lease: string }[] = [];
    for (const drone of hub.all()) {
      const beat = drone.heartbeat;
      if (!beat || (!afterFailure && this.#extended.get(drone) === beat.at)) continue;
      extended.push({ drone, at: beat.at });
      for (const lease of beat.leases) vouched.push({ droneId: drone.id, lease });
    }
    await extendVouchedLeases(db, vouched, this.deps.leaseMs);
    for (const e of extended) this.#extended.set(e.drone, e.at);
    this.#failed = false;
    await this.deps.refreshPeers?.();
    const gone = await markDronesOfDeadQueensDisconnected(db);
    if (gone > 0) this.deps.log.info({ drones: gone }, 'drones of queens that stopped were marked disconnected');
    if (++this.#passes % FORGET_EVERY === 0) await forgetLongDeadQueens(db, queenId);
  }
}
