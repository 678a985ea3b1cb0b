/**
 * Drain, resume and disconnect of a drone connected to another queen sharing the
 * database: the admin's queen changes what is the database's (`drones.draining`) and asks
 * the drone's queen, over NOTIFY, to apply it to the socket it holds — its hub re-reads
 * the flag (and its dispatcher re-plans), or it closes the drone's connection. Without
 * other queens (the embedded database) there is nobody to ask.
 */
import type { Db } from '../db/client.ts';
import { findDrone } from '../db/drones.ts';
import type { Notifier } from '../db/notifier.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';

const CHANNEL = 'hive_drone_control';

/** Close code a drone sees when an operator disconnects it (4000–4999 are for applications). */
export const DISCONNECTED_BY_OPERATOR = 4003;

interface ControlNotice {
  /** The queen the drone is connected to: only it acts. */
  to: string;
  drone: string;
  action: 'draining' | 'disconnect';
  by: string;
}

export interface DroneControlDeps {
  db: Db;
  hub: DroneHub;
  notifier: Notifier;
  log: Logger;
  queenId: string;
}

export class DroneControlRelay {
  #unlisten?: () => Promise<void>;

  constructor(private readonly deps: DroneControlDeps) {}

  /** Whether other queens can be asked (a shared PostgreSQL). */
  get shared(): boolean {
    return this.deps.notifier.shared;
  }

  async start(): Promise<void> {
    if (!this.shared) return;
    this.#unlisten = await this.deps.notifier.listen(CHANNEL, (raw) => {
      let notice: ControlNotice;
      try {
        notice = JSON.parse(raw);
      } catch {
        return;
      }
      if (notice.to !== this.deps.queenId) return;
      this.#apply(notice).catch((err) => this.deps.log.warn({ err, drone: notice.drone }, 'applying another queen\'s drone control failed'));
    });
  }

  async stop(): Promise<void> {
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = undefined;
  }

  /** Tells the drone's queen that its draining flag changed. */
  drainingChanged(queenId: string, droneId: string, by: string): Promise<void> {
    return this.#send({ to: queenId, drone: droneId, action: 'draining', by });
  }

  /** Asks the drone's queen to close its connection. */
  disconnect(queenId: string, droneId: string, by: string): Promise<void> {
    return this.#send({ to: queenId, drone: droneId, action: 'disconnect', by });
  }

  async #send(notice: ControlNotice): Promise<void> {
    if (!this.shared) return;
    await this.deps.notifier.notify(CHANNEL, JSON.stringify(notice));
  }

  async #apply(notice: ControlNotice): Promise<void> {
    const { hub, log } = this.deps;
    const live = hub.get(notice.drone);
    if (!live) return; // it left meanwhile: draining is in its row for its next connection
    if (notice.action === 'disconnect') {
      log.info({ drone: live.name, by: notice.by }, 'disconnecting a drone, as asked through another queen');
      live.link.close(DISCONNECTED_BY_OPERATOR, `disconnected by ${notice.by}`);
      return;
    }
    const row = await findDrone(this.deps.db, notice.drone);
    if (!row || row.draining === live.draining) return;
    live.draining = row.draining;
    log.info({ drone: live.name, by: notice.by }, row.draining ? 'drone drained through another queen: no new jobs' : 'drone resumed through another queen');
    hub.capacityChanged(live);
  }
}
