/**
 * One drone's conversation with the queen, from `drone:hello` to the socket's close.
 *
 * At hello the drone lists the jobs it is still running (after a reconnect). Jobs whose
 * lease is still current are kept, and the drone replays their events after the last one
 * stored; jobs the drone no longer has (it restarted) are re-queued or ended. Malformed
 * messages are answered with an `error` message and logged; they never end the session.
 */
import type { Db } from '../db/client.ts';
import { registerDrone, updateDrone } from '../db/drones.ts';
import { extendLeases, findJob, listDroneActiveJobs, ACTIVE_STATUSES } from '../db/jobs.ts';
import type { JobLifecycle } from '../jobs/job-lifecycle.ts';
import type { EventIngest } from '../jobs/event-ingest.ts';
import type { LostJobHandler } from './lost-jobs.ts';
import type { Logger } from '../logger.ts';
import {
  isJobEvent, parseDroneMessage, PROTOCOL_VERSION, ProtocolError,
  type DroneHello, type DroneMessage, type QueenMessage, type QueenWelcome,
} from '../../common/protocol/index.ts';
import type { ConnectedDrone, DroneHub, DroneLink } from './drone-hub.ts';

export interface SessionDeps {
  db: Db;
  hub: DroneHub;
  lifecycle: JobLifecycle;
  ingest: EventIngest;
  lost: LostJobHandler;
  log: Logger;
  heartbeatMs: number;
  leaseMs: number;
}

export class DroneSession {
  #drone?: ConnectedDrone;
  #hello?: Promise<void>;
  #closed = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly link: DroneLink,
  ) {}

  get drone(): ConnectedDrone | undefined {
    return this.#drone;
  }

  /** Handles one raw frame. Never throws. */
  async receive(raw: string | Buffer): Promise<void> {
    let message: DroneMessage;
    try {
      message = parseDroneMessage(raw);
    } catch (err) {
      const reason = err instanceof ProtocolError ? err.message : 'unreadable message';
      this.deps.log.warn({ drone: this.#drone?.name, reason }, 'malformed drone message');
      this.#send({ type: 'error', code: 'protocol_error', message: reason });
      return;
    }
    try {
      await this.#handle(message);
    } catch (err) {
      this.deps.log.error({ err, drone: this.#drone?.name, type: message.type }, 'handling a drone message failed');
      this.#send({ type: 'error', code: 'internal_error', message: `could not handle ${message.type}` });
    }
  }

  async #handle(message: DroneMessage): Promise<void> {
    if (message.type === 'drone:hello') {
      if (this.#hello) throw new ProtocolError('drone:hello sent twice');
      this.#hello = this.#greet(message);
      return this.#hello;
    }
    if (!this.#hello) {
      this.#send({ type: 'error', code: 'protocol_error', message: 'the first message must be drone:hello' });
      return;
    }
    await this.#hello; // events that follow the hello wait until resumption is settled
    const drone = this.#drone;
    if (!drone || this.#closed) return;
    if (isJobEvent(message)) {
      this.deps.ingest.accept(this.link, message);
      return;
    }
    switch (message.type) {
      case 'job:info':
        for (const e of message.events) this.deps.ingest.accept(this.link, e);
        return;
      case 'job:accepted':
        return;
      case 'job:rejected':
      {
        this.deps.log.info({ jobId: message.jobId, drone: drone.name, reason: message.reason }, 'drone refused a job');
        const job = await findJob(this.deps.db, message.jobId);
        if (job?.lease === message.lease && job.droneId === drone.id && ACTIVE_STATUSES.includes(job.status)) {
          await this.deps.lifecycle.requeue(job, `drone ${drone.name} refused it: ${message.reason}`);
        }
        return;
      }
      case 'job:heartbeat':
        // Remembered before the write: should the database be away, the lease reaper still
        // knows this drone vouches for these jobs (lease-reaper.ts).
        drone.heartbeat = { at: Date.now(), leases: new Set(message.jobs.map((j) => j.lease)) };
        await extendLeases(this.deps.db, drone.id, message.jobs.map((j) => j.lease), this.deps.leaseMs);
        await updateDrone(this.deps.db, drone.id, {});
        return;
      case 'drone:info':
        if (message.capacity !== undefined) drone.capacity = message.capacity;
        if (message.speed !== undefined) drone.speed = message.speed;
        if (message.labels !== undefined) drone.labels = message.labels;
        await updateDrone(this.deps.db, drone.id, {
          capacity: drone.capacity, speed: drone.speed, labels: [...drone.labels],
        });
        this.deps.hub.capacityChanged(drone);
        return;
    }
  }

  async #greet(hello: DroneHello): Promise<void> {
    const { db, hub, log } = this.deps;
    if (hello.version !== PROTOCOL_VERSION) {
      this.#send({
        type: 'error',
        code: 'version_mismatch',
        message: `protocol version ${hello.version} is not supported; this queen speaks ${PROTOCOL_VERSION}`,
      });
      this.link.close(4000, 'protocol version mismatch');
      return;
    }
    const row = await registerDrone(db, {
      name: hello.name, labels: hello.labels, plugins: hello.plugins, capacity: hello.capacity, speed: hello.speed,
    });
    const previous = hub.get(row.id);
    if (previous) {
      // Most often the same drone reconnecting before its old socket timed out.
      log.warn({ drone: hello.name }, 'a drone of this name connected again; closing the older connection');
      hub.remove(previous);
      previous.link.close(4001, 'replaced by a newer connection');
    }
    const resume: QueenWelcome['resume'] = [];
    const kept: string[] = [];
    for (const ref of hello.running) {
      const job = await findJob(db, ref.jobId);
      const keep = !!job && job.lease === ref.lease && ACTIVE_STATUSES.includes(job.status);
      resume.push({ jobId: ref.jobId, lease: ref.lease, ackedSeq: keep ? job!.lastSeq : 0, keep });
      if (keep) kept.push(ref.jobId);
    }
    // Jobs the queen thinks this drone has but the drone does not: it restarted and lost them.
    for (const job of await listDroneActiveJobs(db, row.id)) {
      if (!kept.includes(job.id) && job.lease) await this.deps.lost.handle(job, `drone ${hello.name} restarted`);
    }
    if (this.#closed) return;
    await extendLeases(db, row.id, resume.filter((r) => r.keep).map((r) => r.lease), this.deps.leaseMs);
    // Welcome first, then join the hub: no assignment may reach the drone before its welcome.
    this.#send({ type: 'queen:welcome', version: PROTOCOL_VERSION, droneId: row.id, heartbeatMs: this.deps.heartbeatMs, resume });
    const drone = hub.add(
      { id: row.id, name: row.name, labels: hello.labels, plugins: hello.plugins, capacity: hello.capacity, speed: hello.speed, draining: false },
      this.link,
      kept,
    );
    this.#drone = drone;
    for (const r of resume.filter((x) => x.keep)) {
      const job = await findJob(db, r.jobId);
      if (job?.cancelRequested) this.#send({ type: 'job:cancel', jobId: r.jobId, lease: r.lease, reason: 'cancelled' });
    }
    log.info({ drone: row.name, capacity: hello.capacity, labels: hello.labels, resumed: kept.length }, 'drone connected');
  }

  /** The socket closed: forget the drone here; its jobs keep their leases until they expire. */
  async closed(): Promise<void> {
    this.#closed = true;
    await this.#hello?.catch(() => {});
    const drone = this.#drone;
    if (!drone) return;
    if (this.deps.hub.get(drone.id) !== drone) return; // replaced by a newer connection
    this.deps.hub.remove(drone);
    await updateDrone(this.deps.db, drone.id, { connected: false }).catch((err) => {
      this.deps.log.error({ err }, 'could not record drone disconnect');
    });
    this.deps.log.info({ drone: drone.name, running: drone.jobs.size }, 'drone disconnected');
  }

  #send(message: QueenMessage): void {
    try {
      this.link.send(message);
    } catch {
      // The socket is closing; nothing more to say.
    }
  }
}
