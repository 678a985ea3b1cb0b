/**
 * Writes what drones declare of themselves after their hello (`drone:info`: capacity,
 * speed, labels) to their rows, for the fleet view — scheduling reads the hub, which has
 * it already. Declarations that arrive while a write is under way go out together in the
 * next one statement, each drone's latest winning: a fleet reconfigured at once costs a
 * few statements, not one per drone.
 */
import type { Db } from '../db/client.ts';
import { writeDroneInfos, type DroneInfo } from '../db/drones.ts';
import type { Logger } from '../logger.ts';
import { CoalescedLoop } from '../util/coalesced-loop.ts';

export class DroneInfoWrites {
  #pending = new Map<string, DroneInfo>();
  readonly #loop: CoalescedLoop;

  constructor(private readonly deps: { db: Db; log: Logger }) {
    this.#loop = new CoalescedLoop(
      () => this.#flush(),
      (err) => deps.log.warn({ err }, 'could not record drones\' capacity and labels; the fleet view may show older ones'),
    );
  }

  write(info: DroneInfo): void {
    this.#pending.set(info.id, info);
    this.#loop.kick();
  }

  /** Resolves once everything written so far is in the database (or failed, logged). */
  settled(): Promise<void> {
    return this.#loop.settled();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #flush(): Promise<void> {
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    try {
      await writeDroneInfos(this.deps.db, batch);
    } catch (err) {
      // Kept for the next write, unless the drone declared something newer meanwhile.
      for (const info of batch) if (!this.#pending.has(info.id)) this.#pending.set(info.id, info);
      throw err;
    }
  }
}
