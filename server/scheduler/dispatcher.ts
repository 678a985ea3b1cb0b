/**
 * Matches queued jobs with connected drones and pushes each assignment over the drone's
 * socket at once — nothing polls. A round runs whenever something changes (a job becomes
 * runnable, a drone connects or frees a slot); rounds never overlap.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { listRunnableJobs, type Job, type QueuedJob, type QueueCursor } from '../db/jobs.ts';
import type { JobPlugin, JobRef } from '../db/schema.ts';
import type { JobLifecycle } from '../jobs/job-lifecycle.ts';
import { HiveError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import { KeyedMutex } from '../../common/keyed-mutex.ts';
import { CoalescedLoop } from '../util/coalesced-loop.ts';
import type { ConnectedDrone, DroneHub } from './drone-hub.ts';
import { hasFreeSlot, selectDrone, type DroneCandidate } from './select-drone.ts';

export interface DispatcherDeps {
  db: Db;
  hub: DroneHub;
  lifecycle: JobLifecycle;
  log: Logger;
  leaseMs: number;
  /**
   * Turns the stored (redacted) specs into the ones sent: secrets and credentials added
   * back. One answer per assignment, in order: the spec, or why it could not be prepared.
   */
  prepareSpecs(batch: readonly { spec: JobSpec; job: Job }[]): Promise<PromiseSettledResult<JobSpec>[]>;
}

/** Jobs read from the queue at a time, at most; a round with few free slots reads fewer. */
const PAGE = 200;
/** At least this many, so jobs no free drone fits do not make a round page through the queue a few at a time. */
const MIN_PAGE = 20;

/** A drone's place in one round: its free slots as the round plans them. */
type Offer = DroneCandidate & { readonly drone: ConnectedDrone };
/** A job the round means to give a drone, under a new lease. */
type Planned = { job: QueuedJob; offer: Offer; lease: string };
/** A job claimed for its drone, to be sent. */
type Claimed = { job: Job; spec: JobSpec; drone: ConnectedDrone; lease: string };

/** A job's resolution, as the resolver hands it over: its spec, pinned ref and plugins. */
export interface Resolution {
  jobId: string;
  spec: JobSpec;
  ref: JobRef;
  plugins: JobPlugin[];
  /** The project's concurrency limit (null: none). */
  maxConcurrent: number | null;
}

export class Dispatcher {
  readonly #loop: CoalescedLoop;
  /**
   * Rounds and placements of resolved jobs take turns: each plans with the drones' free
   * slots as the hub counts them, and a slot one of them is claiming is not counted there
   * until its claim is sent.
   */
  readonly #turns = new KeyedMutex();
  /** A round asked for and about to start. */
  #starting?: Promise<void>;
  /** Counts the events that may have made jobs runnable (and every explicit kick). */
  #work = 0;
  /**
   * `#work` as it was when the last round began that found every runnable job assigned:
   * while no event has come since, the queue holds nothing to assign, and a freed slot or
   * a new drone needs no round (no query of an empty queue at every job's end).
   */
  #emptySince = -1;

  constructor(private readonly deps: DispatcherDeps) {
    this.#loop = new CoalescedLoop(
      () => this.#turns.run('', () => this.#round()),
      (err) => deps.log.error({ err }, 'scheduling round failed'),
    );
    // A round whenever a job can run or a drone can take one: assignment on the event.
    deps.lifecycle.on('runnable', () => this.kick());
    const forSlots = () => this.#kickForSlots();
    deps.lifecycle.on('slot-freed', forSlots);
    deps.hub.on('connected', forSlots);
    deps.hub.on('capacity', forSlots);
  }

  /** A drone can take more: a round, unless the queue was found empty since the last job became runnable. */
  #kickForSlots(): void {
    if (this.#emptySince === this.#work) return;
    this.#start();
  }

  /**
   * Asks for a scheduling round soon; cheap to call often. The round starts once the
   * events already read have been handled (setImmediate, no wait beyond that): a burst —
   * a thousand drones offering slots, a run of a hundred jobs resolved — is one round, not
   * one per event (on the embedded database a round can run to its end before the next
   * event is even read).
   */
  kick(): void {
    this.#work++;
    this.#start();
  }

  #start(): void {
    this.#starting ??= new Promise<void>((resolve) => setImmediate(() => {
      this.#starting = undefined;
      this.#loop.kick();
      resolve();
    }));
  }

  /** Resolves when no round is running or about to start (tests and shutdown). */
  async settled(): Promise<void> {
    await this.#starting;
    await this.#loop.settled();
  }

  async stop(): Promise<void> {
    await this.#starting;
    await this.#loop.stop();
  }

  /**
   * Stores a job's resolution and, when a drone has a slot free for it and no runnable job
   * is ahead of it in the queue, claims it for that drone in the same statement and sends
   * it — what the round this resolution would start does, without the round's read of the
   * queue and its separate claim (a trivial job's path from trigger to drone is two
   * statements shorter). Otherwise the job is only resolved, and waits for a round, which
   * the resolution starts. Jobs of a project with a concurrency limit always wait for a
   * round, whose claim takes the project's lock. Returns whether the resolution was stored
   * (false: the job moved on, or another queen resolved it first).
   */
  async place(resolution: Resolution): Promise<boolean> {
    const { jobId, spec, ref, plugins, maxConcurrent } = resolution;
    const { lifecycle, hub, leaseMs } = this.deps;
    return this.#turns.run('', async () => {
      const drone = maxConcurrent == null ? selectDrone(hub.all(), spec.requires) as ConnectedDrone | undefined : undefined;
      if (!drone) return lifecycle.resolved(jobId, spec, ref, plugins);
      const lease = randomUUID();
      const job = await lifecycle.resolvedAndClaimed(jobId, spec, ref, plugins, { id: jobId, drone, lease }, leaseMs);
      if (job === undefined) return false;
      if (job !== 'resolved') await this.#send([{ job, spec: job.spec!, drone, lease }]);
      return true;
    });
  }

  /**
   * Walks the whole queue in dispatch order (highest effective priority first, then the
   * oldest), in pages (of about twice the free slots: a drone that frees one slot does not
   * make the round read 200 jobs), so jobs no free drone fits never block the ones behind
   * them. Each page is matched with the free slots in memory first, then claimed in one statement
   * (jobs of projects with a concurrency limit one at a time, under the project's lock),
   * so a backlog costs a few queries per page, not per job.
   */
  async #round(): Promise<void> {
    const work = this.#work;
    // Whether every runnable job this round saw was assigned (so far).
    let all = true;
    let cursor: QueueCursor | undefined;
    // Projects found at their concurrency limit in this round: their other jobs wait.
    const atLimit = new Set<string>();
    // Jobs this round could not claim (they moved on, or another claimer holds them).
    const missed = new Set<string>();
    for (;;) {
      // The drones with a free slot now, each a copy whose `running` counts this round's picks.
      const offers: Offer[] = this.deps.hub.all().filter(hasFreeSlot).map((drone) => ({
        drone, id: drone.id, name: drone.name, labels: drone.labels, plugins: drone.plugins,
        capacity: drone.capacity, running: drone.running, speed: drone.speed, draining: drone.draining,
      }));
      let freeSlots = offers.reduce((n, o) => n + o.capacity - o.running, 0);
      if (freeSlots === 0) return;
      const limit = Math.min(PAGE, Math.max(MIN_PAGE, 2 * freeSlots));
      const page = await listRunnableJobs(this.deps.db, limit, cursor);
      const planned: Planned[] = [];
      // The jobs of the page looked at: all of it, unless the free slots ran out first.
      let looked = 0;
      while (looked < page.length && freeSlots > 0) {
        const job = page[looked++];
        if (atLimit.has(job.projectId) || missed.has(job.id)) {
          all = false;
          continue;
        }
        const offer = selectDrone(offers, job.requires) as Offer | undefined;
        if (!offer) {
          all = false;
          continue; // no eligible drone free now: the job waits for the first freed slot
        }
        offer.running++;
        freeSlots--;
        planned.push({ job, offer, lease: randomUUID() });
      }
      const claimed = await this.#claim(planned, atLimit, missed);
      await this.#send(claimed);
      // A claim that failed left its slot free for a job this plan gave none: the same page
      // again, without the jobs that failed or their projects at their limit.
      if (claimed.length < planned.length) {
        all = false;
        continue;
      }
      if (looked === page.length && page.length < limit) {
        if (all) this.#emptySince = work;
        return;
      }
      // Next: the jobs after the last one looked at.
      cursor = { id: page[looked - 1].id };
    }
  }

  /** Claims what the round planned; returns the claims that hold, with their jobs. */
  async #claim(
    planned: Planned[], atLimit: Set<string>, missed: Set<string>,
  ): Promise<Claimed[]> {
    const { lifecycle, leaseMs } = this.deps;
    const held: Claimed[] = [];
    const free = planned.filter((p) => p.job.maxConcurrent == null);
    const claimed = new Map((await lifecycle.assignMany(free.map((p) => ({ id: p.job.id, drone: p.offer.drone, lease: p.lease })), leaseMs)).map((j) => [j.id, j]));
    for (const p of planned) {
      let job: Job | 'limit' | undefined;
      if (p.job.maxConcurrent == null) job = claimed.get(p.job.id);
      else if (!atLimit.has(p.job.projectId)) job = await lifecycle.assign(p.job.id, p.offer.drone, p.lease, leaseMs, p.job.maxConcurrent);
      if (job === 'limit') atLimit.add(p.job.projectId); // the project's other jobs hold every place it has
      // Not claimed (cancelled meanwhile, another queen took it, or its project is full): the slot stays free.
      if (!job || job === 'limit') {
        missed.add(p.job.id);
        continue;
      }
      held.push({ job, spec: job.spec!, drone: p.offer.drone, lease: p.lease });
    }
    return held;
  }

  async #send(claimed: Claimed[]): Promise<void> {
    if (claimed.length === 0) return;
    const specs = await this.deps.prepareSpecs(claimed);
    for (const [i, { job, drone, lease }] of claimed.entries()) {
      const jobId = job.id;
      const prepared = specs[i];
      if (prepared.status === 'rejected') {
        // E.g. a secret that no longer decrypts: the job cannot run anywhere, so it ends here.
        const err = prepared.reason;
        this.deps.log.error({ err, jobId }, 'preparing the assignment failed');
        const message = err instanceof HiveError ? err.message : 'Preparing the job for its drone failed';
        await this.deps.lifecycle.finish(jobId, 'errored', message, { from: ['assigned'], lease });
        continue;
      }
      // The drone's session now (it may have reconnected during the claim); none: it left,
      // and the lease expires and the job is re-queued.
      const live = this.deps.hub.get(drone.id);
      if (!live) continue;
      live.jobs.add(jobId);
      try {
        live.link.send({ type: 'job:assign', lease, spec: prepared.value });
      } catch (err) {
        this.deps.log.warn({ err, jobId }, 'sending an assignment failed; the lease will expire');
      }
      this.deps.log.info({ jobId, drone: live.name }, 'job assigned');
    }
  }
}
