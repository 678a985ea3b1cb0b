/**
 * Drain, resume and disconnect of a drone connected to another queen sharing the
 * database: the admin's queen changes what is the database's (`drones.draining`) and asks
 * the drone's queen, over NOTIFY, to apply it to the socket it holds — its hub re-reads
 * the flag (and its dispatcher re-plans), or it closes the drone's connection. Without
 * other queens (the embedded database) there is nobody to ask.
 *
 * And the probe of a drone's connection for a queen where a drone of the same name says
 * hello (drone-session.ts): the holding queen pings the drone; a connection that answers
 * keeps the name (the newcomer is refused), one that does not is closed there and marked
 * disconnected before the answer goes back (the newcomer — most likely the same drone,
 * moved after a network cut — takes its place). A queen that does not answer at all is
 * taken for dead or stuck.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { findDrone, markDroneDisconnected } from '../db/drones.ts';
import type { Notifier } from '../db/notifier.ts';
import type { Logger } from '../logger.ts';
import type { KeyedMutex } from '../../common/keyed-mutex.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';

const CHANNEL = 'hive_drone_control';

/** Close code a drone sees when an operator disconnects it (4000–4999 are for applications). */
export const DISCONNECTED_BY_OPERATOR = 4003;

/** Close code of a connection closed because it stopped answering while its drone said hello again. */
export const REPLACED_NOT_ANSWERING = 4001;

type ControlNotice =
  /** `to`: the queen the drone is connected to; only it acts. */
  | { to: string; drone: string; action: 'draining' | 'disconnect'; by: string }
  /** Is the connection of `drone` (named `name`) alive? Answered to `from` under `id`. */
  | { to: string; drone: string; name: string; action: 'probe'; from: string; id: string }
  /** The probe `id` was heard and is under way (a dead queen says nothing at all). */
  | { to: string; action: 'probe-heard'; id: string }
  | { to: string; action: 'probe-answer'; id: string; alive: boolean };

/** What the queen holding a drone's name says of its connection. */
export type ProbeAnswer = 'alive' | 'gone' | 'no answer';

/** How long a drone's connection has to answer a ping before it counts as gone (local or asked by another queen). */
export const livenessProbeMs = (heartbeatMs: number) => Math.min(5000, Math.max(1000, heartbeatMs));
/** Beyond the probe itself: two NOTIFYs and a write. */
const PROBE_ANSWER_MARGIN_MS = 2000;
/**
 * A live queen says it heard a probe at once (one NOTIFY each way, milliseconds); one that
 * has not within this long is dead — killed moments ago, not yet counted dead by its
 * beats — or stuck, and its drones that moved need not wait for the whole probe.
 */
const PROBE_HEARD_MS = 1000;

export interface DroneControlDeps {
  db: Db;
  hub: DroneHub;
  notifier: Notifier;
  log: Logger;
  queenId: string;
  heartbeatMs: number;
  /**
   * The hellos of one drone name take turns with the probes of it (drone-session.ts): a
   * probe that came while this queen was admitting that drone waits for the admission,
   * and then finds the drone connected here.
   */
  greetings: KeyedMutex;
}

export class DroneControlRelay {
  #unlisten?: () => Promise<void>;
  /** Probes this queen asked for, by id, waiting for their answer. */
  readonly #asked = new Map<string, { heard(): void; answered(alive: boolean): void }>();

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
      this.#apply(notice).catch((err) => this.deps.log.warn({ err, notice }, 'applying another queen\'s drone control failed'));
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

  /**
   * Asks the queen holding the drone whether its connection still answers (see the file
   * comment): `gone` once that queen closed it and marked it disconnected, `no answer`
   * when the queen said nothing in time (or there is nobody to ask).
   */
  async probe(queenId: string, drone: { id: string; name: string }): Promise<ProbeAnswer> {
    if (!this.shared) return 'no answer';
    const id = randomUUID();
    const answered = new Promise<ProbeAnswer>((resolve) => {
      let timer = setTimeout(() => done('no answer'), PROBE_HEARD_MS);
      const done = (answer: ProbeAnswer) => {
        clearTimeout(timer);
        this.#asked.delete(id);
        resolve(answer);
      };
      this.#asked.set(id, {
        heard: () => {
          clearTimeout(timer);
          timer = setTimeout(() => done('no answer'), livenessProbeMs(this.deps.heartbeatMs) + PROBE_ANSWER_MARGIN_MS);
        },
        answered: (alive) => done(alive ? 'alive' : 'gone'),
      });
    });
    await this.#send({ to: queenId, drone: drone.id, name: drone.name, action: 'probe', from: this.deps.queenId, id });
    return answered;
  }

  async #send(notice: ControlNotice): Promise<void> {
    if (!this.shared) return;
    await this.deps.notifier.notify(CHANNEL, JSON.stringify(notice));
  }

  async #apply(notice: ControlNotice): Promise<void> {
    const { hub, log } = this.deps;
    if (notice.action === 'probe-answer') {
      this.#asked.get(notice.id)?.answered(notice.alive);
      return;
    }
    if (notice.action === 'probe-heard') {
      this.#asked.get(notice.id)?.heard();
      return;
    }
    if (notice.action === 'probe') {
      await this.#send({ to: notice.from, action: 'probe-heard', id: notice.id });
      const alive = await this.deps.greetings.run(notice.name, () => this.#probeHere(notice.drone));
      await this.#send({ to: notice.from, action: 'probe-answer', id: notice.id, alive });
      return;
    }
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

  /**
   * Whether this queen's connection of the drone answers a ping. One that does not is
   * closed, and the drone's row marked disconnected from here, before saying so — as is
   * a row that names this queen for a drone it does not hold (a disconnect whose write
   * failed), so the asking queen's registration finds the name free.
   */
  async #probeHere(droneId: string): Promise<boolean> {
    const { hub, log, db, queenId } = this.deps;
    const live = hub.get(droneId);
    if (live && (await live.link.probe(livenessProbeMs(this.deps.heartbeatMs)))) return true;
    if (live && hub.get(droneId) === live) {
      log.warn({ drone: live.name }, 'the drone said hello to another queen and its connection here stopped answering; closing it');
      hub.remove(live);
      live.link.close(REPLACED_NOT_ANSWERING, 'replaced: the connection stopped answering');
    }
    await markDroneDisconnected(db, droneId, queenId);
    return false;
  }
}
