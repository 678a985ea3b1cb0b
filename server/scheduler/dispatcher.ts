/**
 * Matches queued jobs with connected drones and pushes each assignment over the drone's
 * socket at once — nothing polls. A round runs whenever something changes (a job becomes
 * runnable, a drone connects or frees a slot); rounds never overlap.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { listRunnableJobs, type Job, type QueuedJob, type QueueCursor } from '../db/jobs.ts';
import type { JobLifecycle } from '../jobs/job-lifecycle.ts';
import { HiveError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import { CoalescedLoop } from '../util/coalesced-loop.ts';
import type { DroneHub } from './drone-hub.ts';
import { hasFreeSlot, selectDrone } from './select-drone.ts';

export interface DispatcherDeps {
  db: Db;
  hub: DroneHub;
  lifecycle: JobLifecycle;
  log: Logger;
  leaseMs: number;
  /** Turns the stored (redacted) spec into the one sent: secrets and credentials added back. */
  prepareSpec(spec: JobSpec, job: Job): Promise<JobSpec>;
}

const PAGE = 200;

export class Dispatcher {
  readonly #loop: CoalescedLoop;

  constructor(private readonly deps: DispatcherDeps) {
    this.#loop = new CoalescedLoop(
      () => this.#round(),
      (err) => deps.log.error({ err }, 'scheduling round failed'),
    );
    // A round whenever a job can run or a drone can take one: assignment on the event.
    const kick = () => this.kick();
    deps.lifecycle.on('runnable', kick);
    deps.lifecycle.on('slot-freed', kick);
    deps.hub.on('connected', kick);
    deps.hub.on('capacity', kick);
  }

  /** Asks for a scheduling round soon; cheap to call often. */
  kick(): void {
    this.#loop.kick();
  }

  /** Resolves when no round is running (tests and shutdown). */
  settled(): Promise<void> {
    return this.#loop.settled();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /**
   * Walks the whole queue in dispatch order (highest effective priority first, then the
   * oldest), in pages, so jobs no free drone fits never block the ones behind them.
   */
  async #round(): Promise<void> {
    const { hub } = this.deps;
    let cursor: QueueCursor | undefined;
    // Projects found at their concurrency limit in this round: their other jobs wait.
    const atLimit = new Set<string>();
    while (hub.all().some(hasFreeSlot)) {
      const page = await listRunnableJobs(this.deps.db, PAGE, cursor);
      for (const candidate of page) {
        if (!hub.all().some(hasFreeSlot)) return;
        if (atLimit.has(candidate.projectId)) continue;
        if ((await this.#tryAssign(candidate)) === 'limit') atLimit.add(candidate.projectId);
      }
      if (page.length < PAGE) return;
      const last = page[page.length - 1];
      cursor = { id: last.id };
    }
  }

  async #tryAssign(job: QueuedJob): Promise<'limit' | void> {
    const { hub } = this.deps;
    const jobId = job.id;
    const spec = job.spec!;
    const drone = selectDrone(hub.all(), spec.requires);
    if (!drone) return; // no eligible drone free now: the job waits for the first freed slot
    const lease = randomUUID();
    const claimed = await this.deps.lifecycle.assign(jobId, drone, lease, this.deps.leaseMs, job.maxConcurrent);
    if (claimed === 'limit') return 'limit'; // the project's other jobs hold every place it has
    if (!claimed) return; // cancelled meanwhile, or another queen took it
    const live = hub.get(drone.id);
    if (!live) return; // drone left during the claim: its lease expires and the job is re-queued
    let sent: JobSpec;
    try {
      sent = await this.deps.prepareSpec(spec, claimed);
    } catch (err) {
      // E.g. a secret that no longer decrypts: the job cannot run anywhere, so it ends here.
      this.deps.log.error({ err, jobId }, 'preparing the assignment failed');
      const message = err instanceof HiveError ? err.message : 'Preparing the job for its drone failed';
      await this.deps.lifecycle.finish(jobId, 'errored', message, { from: ['assigned'], lease });
      return;
    }
    live.jobs.add(claimed.id);
    try {
      live.link.send({ type: 'job:assign', lease, spec: sent });
    } catch (err) {
      this.deps.log.warn({ err, jobId }, 'sending an assignment failed; the lease will expire');
    }
    this.deps.log.info({ jobId, drone: drone.name }, 'job assigned');
  }
}
