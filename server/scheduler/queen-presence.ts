/**
 * This queen's presence in the database, and its drones' — cheaply. Every beat (the drones'
 * heartbeat period) one pass:
 *
 * - writes the queen's `last_seen_at` (queens sharing the database judge it live by it);
 * - writes the last-seen times of its drones that sent a heartbeat since the last pass, in
 *   one statement for all of them, and extends the leases those heartbeats vouched for, in
 *   one more: a heartbeat itself only updates memory (drone-session.ts). A lease is thus
 *   extended up to a period after its heartbeat, to a period later: it never runs shorter,
 *   and the reaper extends a lease its drone vouched for in memory before it would reap it;
 * - marks drones connected to queens that are no longer live as disconnected;
 * - on a shared database, counts the other live queens (whether this one announces to them).
 *
 * At start, before any drone can connect, the drones its own earlier run left marked
 * connected are marked disconnected; the other queens' are left as they are.
 */
import type { Db } from '../db/client.ts';
import {
  countOtherLiveQueens, forgetLongDeadQueens, markDronesOfDeadQueensDisconnected, markOwnDronesDisconnected, queenBeat, registerQueen, writeDronesLastSeen,
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
  /** Hears how many other queens are live, each pass (only where the database is shared). */
  onPeers?: (others: number) => void;
}

/** Passes between clean-ups of long-dead queens' rows. */
const FORGET_EVERY = 1000;

export class QueenPresence {
  #task?: PeriodicTask;
  #address = '';
  #passes = 0;
  #failed = false;
  /** The heartbeat time last written per drone session (a new session writes again). */
  readonly #written = new WeakMap<ConnectedDrone, number>();

  constructor(private readonly deps: PresenceDeps) {}

  /** Before the queen listens: registered, and its earlier run's drones marked gone. */
  async open(address: string): Promise<void> {
    this.#address = address;
    const { db, queenId, beatMs } = this.deps;
    await registerQueen(db, { id: queenId, address, beatMs });
    await markOwnDronesDisconnected(db, queenId);
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
    const seen: { drone: ConnectedDrone; at: number }[] = [];
    for (const drone of hub.all()) {
      const at = drone.heartbeat?.at ?? drone.connectedAt.getTime();
      if (afterFailure || this.#written.get(drone) !== at) seen.push({ drone, at });
    }
    await writeDronesLastSeen(db, queenId, seen.map((s) => ({ id: s.drone.id, at: new Date(s.at) })), afterFailure);
    const vouched = seen.flatMap((s) => [...(s.drone.heartbeat?.leases ?? [])].map((lease) => ({ droneId: s.drone.id, lease })));
    await extendVouchedLeases(db, vouched, this.deps.leaseMs);
    for (const s of seen) this.#written.set(s.drone, s.at);
    this.#failed = false;
    if (this.deps.onPeers) this.deps.onPeers(await countOtherLiveQueens(db, queenId));
    const gone = await markDronesOfDeadQueensDisconnected(db);
    if (gone > 0) this.deps.log.info({ drones: gone }, 'drones of queens that stopped were marked disconnected');
    if (++this.#passes % FORGET_EVERY === 0) await forgetLongDeadQueens(db, queenId);
  }
}
