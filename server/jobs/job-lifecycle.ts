/**
 * Every change of a job's state goes through here: creation, resolution, assignment,
 * re-queueing, the drone's reported progress and every end. Each method persists the
 * change (a conditional update, so a race with another queen or the drone changes
 * nothing), checks it against the state machine (job-transitions.ts), and then the
 * consequences follow from the change itself, not from the caller remembering them:
 *
 * - the `job-status` event on the live bus (pages, plugin hooks, commit statuses, other
 *   queens through the relay);
 * - a job that ended or went back to the queue gives its drone slot back;
 * - `created` wakes the resolver; `runnable` and `slot-freed` wake the dispatcher (and
 *   `runnable` is announced to queens sharing the database).
 *
 * Methods return the updated job, or undefined when the job was not in a state the change
 * applies to (it moved on meanwhile) — never a half-made change.
 */
import { EventEmitter } from 'node:events';
import type { FinalJobStatus, JobSpec, JobStatus } from '../../common/protocol/index.ts';
import type { Db } from '../db/client.ts';
import { appendJobEvents, appendLateJobEvents, type StoredEvent } from '../db/job-log.ts';
import {
  claimJob, claimJobs, findJob, finishJob, insertJob, requeueJob, requestCancel, setJobSpec, setJobSpecAndClaim,
  type Job, type JobClaim, type NewJob,
} from '../db/jobs.ts';
import { expandJobIntoRun, insertRunWithJobs, type NewRun, type Run } from '../db/runs.ts';
import type { JobRef } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import { assertTransition, isFinal } from './job-transitions.ts';
import type { LiveBus } from './live-bus.ts';

export interface LifecycleEvents {
  /** A job was created: it needs its spec resolved (`repoUrl`: its repository, when the creator knew it). */
  created: [job: Job, repoUrl?: string];
  /** A job can run now (resolved or re-queued), here or — `remote` — on another queen. */
  runnable: [origin: 'local' | 'remote'];
  /** A drone slot was given back. */
  'slot-freed': [];
}

export interface LifecycleDeps {
  db: Db;
  bus: LiveBus;
  hub: DroneHub;
  log: Logger;
}

export class JobLifecycle extends EventEmitter<LifecycleEvents> {
  constructor(private readonly deps: LifecycleDeps) {
    super();
    this.setMaxListeners(0);
  }

  /** queued: a new job with the project's next number; undefined when the project is gone. */
  async create(input: NewJob, repoUrl?: string): Promise<Job | undefined> {
    const job = await insertJob(this.deps.db, input);
    if (!job) return undefined;
    this.deps.bus.emit('job-status', job);
    this.emit('created', job, repoUrl);
    return job;
  }

  /** A run and its jobs, queued together (none without the others); each job announced as `create` does. */
  async createRun(run: NewRun, members: Omit<NewJob, 'runId'>[]): Promise<{ run: Run; jobs: Job[] } | undefined> {
    const made = await insertRunWithJobs(this.deps.db, run, members);
    if (!made) return undefined;
    for (const job of made.jobs) {
      this.deps.bus.emit('job-status', job);
      this.emit('created', job);
    }
    return made;
  }

  /**
   * A queued job whose commit has a matrix takes the first combination and joins a run
   * (its own, or one made now), and its siblings are queued beside it with the others.
   * Only the siblings are announced: the job's status did not change (announcing it again
   * would run `job:queued` hooks twice). Undefined when the job moved on meanwhile.
   */
  async expandMatrix(
    jobId: string,
    target: { runId: string } | { newRun: NewRun },
    matrix: Record<string, string>,
    siblings: Omit<NewJob, 'runId'>[],
  ): Promise<{ job: Job; siblings: Job[] } | undefined> {
    const made = await expandJobIntoRun(this.deps.db, jobId, target, matrix, siblings);
    if (!made) return undefined;
    for (const job of made.siblings) {
      this.deps.bus.emit('job-status', job);
      this.emit('created', job);
    }
    return made;
  }

  /** A queued job got its spec (and pinned ref): it can be scheduled. */
  async resolved(jobId: string, spec: JobSpec, ref: JobRef, plugins: Job['plugins']): Promise<boolean> {
    const done = await setJobSpec(this.deps.db, jobId, spec, ref, plugins);
    if (done) this.emit('runnable', 'local');
    return done;
  }

  /**
   * A queued job got its spec and, in the same write, was claimed for `claim`'s drone if
   * nothing runnable is ahead of it (queued → assigned; setJobSpecAndClaim). Returns the
   * job assigned; `'resolved'` when it was only resolved (it waits for a round, like any
   * runnable job); undefined when it had moved on or been resolved elsewhere.
   */
  async resolvedAndClaimed(
    jobId: string, spec: JobSpec, ref: JobRef, plugins: Job['plugins'], claim: JobClaim, leaseMs: number,
  ): Promise<Job | 'resolved' | undefined> {
    const job = await setJobSpecAndClaim(this.deps.db, jobId, spec, ref, plugins, claim, leaseMs);
    if (!job) return undefined;
    if (job.status === 'assigned') {
      this.deps.bus.emit('job-status', job);
      return job;
    }
    this.emit('runnable', 'local');
    return 'resolved';
  }

  /**
   * queued → assigned, claimed for a drone under a new lease — unless the project already
   * runs `maxConcurrent` jobs (`'limit'`) or the job moved on (undefined).
   */
  async assign(
    jobId: string, drone: { id: string; name: string }, lease: string, leaseMs: number, maxConcurrent?: number | null,
  ): Promise<Job | 'limit' | undefined> {
    const job = await claimJob(this.deps.db, jobId, drone, lease, leaseMs, maxConcurrent);
    if (job && job !== 'limit') this.deps.bus.emit('job-status', job);
    return job;
  }

  /**
   * queued → assigned for a batch of jobs of projects without a concurrency limit, in one
   * statement; returns the jobs claimed (the others moved on meanwhile).
   */
  async assignMany(claims: readonly JobClaim[], leaseMs: number): Promise<Job[]> {
    const claimed = await claimJobs(this.deps.db, claims, leaseMs);
    for (const job of claimed) this.deps.bus.emit('job-status', job);
    return claimed;
  }

  /**
   * assigned/running → queued under a given lease (the drone refused the job, or was
   * lost and the job is retried). A job that had started counts a new attempt.
   */
  async requeue(job: Pick<Job, 'id' | 'lease' | 'status' | 'droneId'>, why: string): Promise<Job | undefined> {
    if (!job.lease) return undefined;
    assertTransition(job.status, 'queued', job.id);
    this.deps.hub.release(job.id, job.droneId);
    if (!(await requeueJob(this.deps.db, job.id, job.lease, job.status === 'running'))) return undefined;
    const fresh = await findJob(this.deps.db, job.id);
    if (!fresh) return undefined;
    this.deps.log.info({ jobId: job.id, why }, 'job re-queued');
    this.deps.bus.emit('job-status', fresh);
    this.emit('slot-freed');
    this.emit('runnable', 'local');
    return fresh;
  }

  /**
   * Ends a job from the queen's side (resolution failed, cancelled, lost drone, preparing
   * the assignment failed) if it is still in one of `from` (and under `lease`, if given).
   */
  async finish(
    jobId: string,
    status: FinalJobStatus,
    message: string,
    when: { from: readonly JobStatus[]; lease?: string },
  ): Promise<Job | undefined> {
    assertTransition(when.from, status, jobId);
    const ended = await finishJob(this.deps.db, jobId, status, message, [...when.from], when.lease);
    if (ended) this.#ended(ended);
    return ended;
  }

  /**
   * Stores a drone's events of the job's current lease and applies what they mean
   * (running, a final status) in the same transaction, then tells watchers. Returns the
   * job's status after them; undefined when the lease is stale or the seqs do not follow
   * on (nothing stored).
   */
  async recordEvents(jobId: string, lease: string, events: StoredEvent[]): Promise<{ status: JobStatus; cancelRequested: boolean } | undefined> {
    const stored = await appendJobEvents(this.deps.db, jobId, lease, events);
    if (!stored) return undefined;
    const { changed: job, previousStatus } = stored;
    // Output first, then the status it led to: watchers see the last lines before the end.
    this.deps.bus.emit('job-events', jobId, events, stored.attempt, lease);
    if (job && job.status !== previousStatus) {
      // The drone's word is stored already; an odd order is logged, not undone.
      try {
        assertTransition(previousStatus, job.status, jobId);
      } catch (err) {
        this.deps.log.error({ err, jobId }, 'a drone reported an unexpected change of status');
      }
      if (isFinal(job.status)) this.#ended(job);
      else this.deps.bus.emit('job-status', job);
    }
    return { status: job?.status ?? previousStatus, cancelRequested: stored.cancelRequested };
  }

  /**
   * Stores what a drone sends for a job that was reaped (its lease ran out, it ended
   * `errored` as lost) while the drone, away, went on building it: the log, commands and
   * phases are completed, and the drone's own end becomes the job's `lateResult`, with a
   * line saying so at the end of the log. The status is final and stays as it is — not a
   * transition (job-transitions.ts): no `job-status`, so no hook or commit status fires
   * again. The drone's slot is given back once its end is stored. Undefined when the job
   * is not such a job or the seqs do not follow on.
   */
  async recordLateEvents(jobId: string, lease: string, events: StoredEvent[]): Promise<Job | undefined> {
    const stored = await appendLateJobEvents(this.deps.db, jobId, lease, events, (done) =>
      `[the drone finished after the job was reaped: ${done.status}${done.message ? ` (${done.message})` : ''}]`);
    if (!stored) return undefined;
    const { job } = stored;
    this.deps.bus.emit('job-events', jobId, stored.stored, job.attempt);
    if (job.lateResult) {
      this.deps.log.warn({ jobId, drone: job.droneName, status: job.status, late: job.lateResult.status }, 'a drone finished a job after it was reaped; its result is recorded');
      if (this.deps.hub.release(job.id, job.droneId)) this.emit('slot-freed');
    }
    return job;
  }

  /** Flags an active job for cancelling; the drone's confirmation (or the grace timer) ends it. */
  requestCancel(jobId: string): Promise<Job | undefined> {
    return requestCancel(this.deps.db, jobId);
  }

  /** Another queen made a job runnable: schedule here too. */
  remoteRunnable(): void {
    this.emit('runnable', 'remote');
  }

  #ended(job: Job): void {
    this.deps.hub.release(job.id, job.droneId);
    this.deps.bus.emit('job-status', job);
    this.emit('slot-freed');
  }
}
