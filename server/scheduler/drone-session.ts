/**
 * One drone's conversation with the queen, from `drone:hello` to the socket's close.
 *
 * At hello the drone lists the jobs it is still running (after a reconnect — to this
 * queen or, with several queens, from another). Jobs whose lease is still current are
 * kept, and the drone replays their events after the last one stored; so is a job reaped
 * under that lease while the drone was away, whose rest becomes its late result
 * (late-result.ts); jobs the drone no longer has (it restarted) are re-queued or ended. Malformed
 * messages are answered with an `error` message and logged; they never end the session.
 */
import type { Db } from '../db/client.ts';
import { isHeld, markDroneDisconnected, registerDrone, type DroneRegistration } from '../db/drones.ts';
import { touchToken } from '../db/tokens.ts';
import { extendLeases, findJob, listDroneActiveJobs, ACTIVE_STATUSES } from '../db/jobs.ts';
import type { JobLifecycle } from '../jobs/job-lifecycle.ts';
import { takesLateEvents } from '../jobs/late-result.ts';
import type { EventIngest } from '../jobs/event-ingest.ts';
import type { DroneCredentialWatch } from './drone-credential-watch.ts';
import type { DroneInfoWrites } from './drone-info-writes.ts';
import type { LostJobHandler } from './lost-jobs.ts';
import type { Logger } from '../logger.ts';
import {
  isJobEvent, parseDroneMessage, PROTOCOL_VERSION, ProtocolError,
  type DroneHello, type DroneMessage, type QueenMessage, type QueenWelcome,
} from '../../common/protocol/index.ts';
import type { ConnectedDrone, DroneHub, DroneLink } from './drone-hub.ts';
import { credentialTokenId, identityRefusal, type DroneAccessPolicy, type DroneCredential } from '../auth/drone-credentials.ts';
import type { KeyedMutex } from '../../common/keyed-mutex.ts';
import { livenessProbeMs, REPLACED_NOT_ANSWERING, type DroneControlRelay } from '../live/drone-control-relay.ts';

export interface SessionDeps {
  db: Db;
  hub: DroneHub;
  lifecycle: JobLifecycle;
  ingest: EventIngest;
  lost: LostJobHandler;
  log: Logger;
  heartbeatMs: number;
  leaseMs: number;
  /** This queen's id (queens.id): the drone's row records which queen it is connected to. */
  queenId: string;
  policy: DroneAccessPolicy;
  /** Checks connected drones' tokens again, all in one statement per period (a revoked one ends the session). */
  credentials: DroneCredentialWatch;
  /** Greetings of one drone name take turns, so two connections cannot both get in. */
  greetings: KeyedMutex;
  /** Hears of a refused identity (logged rate-limited, counted in /metrics). */
  onRefused(reason: string): void;
  /** Records what drones declare after their hello, batched (drone-info-writes.ts). */
  infoWrites: DroneInfoWrites;
  /** Asks the queen holding a drone's name whether that connection still answers (queens sharing PostgreSQL). */
  otherQueens: Pick<DroneControlRelay, 'probe'>;
}

export class DroneSession {
  #drone?: ConnectedDrone;
  #hello?: Promise<void>;
  #closed = false;
  #unwatchCredential?: () => void;

  constructor(
    private readonly deps: SessionDeps,
    private readonly link: DroneLink,
    private readonly credential: DroneCredential,
  ) {}

  get drone(): ConnectedDrone | undefined {
    return this.#drone;
  }

  /**
   * The drone's row, marked connected here — unless another queen sharing the database
   * holds its name with a connection that still answers: then the drone is refused
   * (undefined), as a second connection to this queen would be. One that does not answer
   * was closed there; a queen that says nothing in time is taken for dead or stuck, and
   * the name is taken over.
   */
  async #register(reg: DroneRegistration) {
    const { db, log, queenId } = this.deps;
    const first = await registerDrone(db, reg, queenId);
    if (!isHeld(first)) return first;
    const { heldBy } = first;
    const answer = await this.deps.otherQueens.probe(heldBy.queenId, { id: heldBy.droneId, name: reg.name });
    if (this.#closed) return undefined;
    const heldElsewhere = (address: string) =>
      this.#refuse('already_connected', `a drone named "${reg.name}" is already connected, to the queen at ${address}; give this one another name (--name)`, 4009);
    if (answer === 'alive') return void heldElsewhere(heldBy.address);
    if (answer === 'no answer') log.warn({ drone: reg.name, queen: heldBy.address }, 'the queen holding this drone\'s name did not answer; taking the name over');
    const again = await registerDrone(db, reg, queenId, answer === 'no answer' ? { takeOverFrom: heldBy.queenId } : {});
    if (!isHeld(again)) return again;
    return void heldElsewhere(again.heldBy.address);
  }

  /** Handles one raw frame (`binary`: a data frame, common/protocol/data-frame.ts). Never throws. */
  async receive(raw: string | Buffer, binary = false): Promise<void> {
    let message: DroneMessage;
    try {
      message = parseDroneMessage(raw, binary);
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
        // An assignment the drone had already (drones before 2026-12-04 sent it for every
        // job). Nothing to read: a cancel that overtook the assignment is said again when
        // the job's first events are stored (event-ingest.ts), saving a query per job.
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
        // Kept in memory only: the queen's presence pass writes the drone's last-seen time
        // and extends the leases it vouches for, for all its drones in one statement each
        // (queen-presence.ts); should the database be away, the lease reaper still knows
        // this drone vouches for these jobs (lease-reaper.ts).
        drone.heartbeat = { at: Date.now(), leases: new Set(message.jobs.map((j) => j.lease)) };
        return;
      case 'drone:info':
        if (message.capacity !== undefined) drone.capacity = message.capacity;
        if (message.speed !== undefined) drone.speed = message.speed;
        if (message.labels !== undefined) drone.labels = message.labels;
        // Scheduling reads the hub; the row is for the fleet view, written in a batch.
        this.deps.hub.capacityChanged(drone);
        this.deps.infoWrites.write({ id: drone.id, capacity: drone.capacity, speed: drone.speed, labels: [...drone.labels] });
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
    const refusal = await identityRefusal(db, this.credential, hello.name, this.deps.policy);
    if (refusal) return this.#refuse('identity_refused', refusal, 4003);
    await this.deps.greetings.run(hello.name, () => this.#admit(hello));
  }

  /** Joins the drone to the hub, unless a live connection already speaks for its name. */
  async #admit(hello: DroneHello): Promise<void> {
    const { db, hub, log } = this.deps;
    if (this.#closed) return;
    const previous = hub.all().find((d) => d.name === hello.name);
    if (previous) {
      // As Jenkins does: a second connection never silently replaces a live drone (two
      // machines started with one name would take each other's jobs down in turn). Only a
      // connection that no longer answers — the same drone back after a network cut,
      // before its old socket timed out — is replaced.
      if (await previous.link.probe(livenessProbeMs(this.deps.heartbeatMs))) {
        return this.#refuse(
          'already_connected',
          `a drone named "${hello.name}" is already connected (since ${previous.connectedAt.toISOString()}); give this one another name (--name)`,
          4009,
        );
      }
      log.warn({ drone: hello.name }, 'the earlier connection of this drone stopped answering; replacing it');
      hub.remove(previous);
      previous.link.close(REPLACED_NOT_ANSWERING, 'replaced: the connection stopped answering');
    }
    const row = await this.#register({
      name: hello.name, labels: hello.labels, plugins: hello.plugins, capacity: hello.capacity, speed: hello.speed,
    });
    if (!row) return;
    if (this.credential.kind !== 'local') await touchToken(db, this.credential.tokenId);
    const resume: QueenWelcome['resume'] = [];
    const kept: string[] = [];
    for (const ref of hello.running) {
      const job = await findJob(db, ref.jobId);
      const active = !!job && job.lease === ref.lease && ACTIVE_STATUSES.includes(job.status);
      // Reaped while the drone was away, and the drone went on building: it keeps the job
      // and sends the rest, recorded as its late result. Holding the job under its lease,
      // the drone always has more to say — events not stored yet, or, still building with
      // nothing new printed (back before its next line), at least its end. (A seq
      // behind the stored one cannot come from a drone that kept the job.)
      const late = !!job && job.lease === ref.lease && takesLateEvents(job) && ref.lastSeq >= job.lastSeq;
      const keep = active || late;
      resume.push({ jobId: ref.jobId, lease: ref.lease, ackedSeq: keep ? job!.lastSeq : 0, keep });
      if (keep) kept.push(ref.jobId);
      if (late) log.warn({ drone: hello.name, jobId: ref.jobId }, 'the drone still holds a job reaped while it was away; its result will be recorded as late');
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
      {
        id: row.id, name: row.name, labels: hello.labels, plugins: hello.plugins, capacity: hello.capacity, speed: hello.speed,
        draining: row.draining, tokenId: credentialTokenId(this.credential),
      },
      this.link,
      kept,
    );
    this.#drone = drone;
    this.#watchCredential();
    for (const r of resume.filter((x) => x.keep)) {
      const job = await findJob(db, r.jobId);
      if (job?.cancelRequested) this.#send({ type: 'job:cancel', jobId: r.jobId, lease: r.lease, reason: 'cancelled' });
    }
    log.info({ drone: row.name, capacity: hello.capacity, labels: hello.labels, resumed: kept.length }, 'drone connected');
  }

  /** Refuses the connection: says why (the drone logs it), closes, and reports it. */
  #refuse(code: 'identity_refused' | 'already_connected', message: string, closeCode: number): void {
    this.deps.onRefused(message);
    this.#send({ type: 'error', code, message });
    this.link.close(closeCode, code.replace('_', ' '));
  }

  /** A revoked credential ends the session (the API also closes it at once on this queen). */
  #watchCredential(): void {
    if (this.credential.kind === 'local') return;
    this.#unwatchCredential = this.deps.credentials.watch(this.credential.tokenId, () => {
      if (this.#closed) return;
      this.deps.log.warn({ drone: this.#drone?.name }, 'the drone token was revoked; disconnecting the drone');
      this.#send({ type: 'error', code: 'credential_revoked', message: 'this drone token was revoked' });
      this.link.close(4003, 'credential revoked');
    });
  }

  /** The socket closed: forget the drone here; its jobs keep their leases until they expire. */
  async closed(): Promise<void> {
    this.#closed = true;
    this.#unwatchCredential?.();
    await this.#hello?.catch(() => {});
    const drone = this.#drone;
    if (!drone) return;
    if (this.deps.hub.get(drone.id) !== drone) return; // replaced by a newer connection
    this.deps.hub.remove(drone);
    // Only if its row still names this queen: a drone that moved to another queen stays connected there.
    await markDroneDisconnected(this.deps.db, drone.id, this.deps.queenId).catch((err) => {
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
