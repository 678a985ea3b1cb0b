/**
 * The commands users give about jobs — trigger, cancel, re-run — shared by the API, the
 * web UI, the CLI and (later) webhooks, so each rule lives in one place.
 */
import type { Db } from '../db/client.ts';
import { findJob, listActiveProjectJobs, ACTIVE_STATUSES, type Job } from '../db/jobs.ts';
import { findProject, type Project } from '../db/projects.ts';
import type { JobRef, JobTrigger } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobType } from '../../common/protocol/index.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { ClusterRelay } from '../live/cluster-relay.ts';
import type { JobLifecycle } from './job-lifecycle.ts';
import { resolveParams } from './job-params.ts';

export interface JobControlDeps {
  db: Db;
  lifecycle: JobLifecycle;
  hub: DroneHub;
  log: Logger;
  /** Asks other queens to cancel on a drone connected to them (`cancel` is false when there are none). */
  relay?: Pick<ClusterRelay, 'cancel'>;
  /** How long a drone may take to confirm a cancel before the queen ends the job itself. */
  cancelGraceMs?: number;
}

export interface TriggerRequest {
  type: JobType;
  ref: JobRef;
  trigger: Omit<JobTrigger, 'at'>;
  /** Default: the project's `defaultPriority`. */
  priority?: number;
  /**
   * Checked against the project's declared parameters before it gets here (resolveParams);
   * absent, the declared defaults.
   */
  params?: Record<string, string>;
  uploadId?: string;
  runId?: string;
  matrix?: Record<string, string>;
  /** At most one job of the project has it (a schedule's due time): a second trigger throws DuplicateJobError. */
  dedupKey?: string;
}

/** What a trigger needs of its project. */
/** `repoUrl`, when the caller has it, lets the resolver take the job up without listing it. */
export type TriggeredProject = Pick<Project, 'id' | 'name' | 'defaultBranch' | 'defaultPriority' | 'parameters'> & { repoUrl?: string };

export class JobControl {
  constructor(private readonly deps: JobControlDeps) {}

  /** Queues a job of the project (as its caller just read it: a trigger reads it once). */
  async trigger(project: TriggeredProject, request: TriggerRequest): Promise<Job> {
    const projectId = project.id;
    const ref = request.ref.branch || request.ref.sha || request.ref.refspec
      ? request.ref
      : { branch: project.defaultBranch };
    const job = await this.deps.lifecycle.create({
      projectId,
      type: request.type,
      ref,
      trigger: { ...request.trigger, at: new Date().toISOString() },
      priority: request.priority ?? project.defaultPriority,
      // A trigger that names no values (a webhook) builds with the declared defaults.
      params: request.params ?? resolveParams(project.parameters, undefined),
      uploadId: request.uploadId,
      runId: request.runId,
      matrix: request.matrix,
      dedupKey: request.dedupKey,
    }, project.repoUrl);
    if (!job) throw new NotFoundError(`Project ${projectId} does not exist`);
    this.deps.log.info({ jobId: job.id, project: project.name, number: job.number, ref }, 'job queued');
    return job;
  }

  /** Re-runs a job: the same commit (when it was resolved), type and ref, as a new job. */
  async rerun(jobId: string, trigger: Omit<JobTrigger, 'at' | 'rerunOf'>): Promise<Job> {
    const original = await this.#get(jobId);
    const project = await findProject(this.deps.db, original.projectId);
    if (!project) throw new NotFoundError(`Project ${original.projectId} does not exist`);
    // The same build again: its parameters, files, matrix combination and priority too.
    return this.trigger(project, {
      type: original.type,
      ref: original.ref,
      trigger: { ...trigger, message: original.trigger.message, rerunOf: original.id },
      priority: original.priority,
      params: original.params,
      uploadId: original.uploadId ?? undefined,
      matrix: original.matrix ?? undefined,
    });
  }

  async cancel(jobId: string, by: string): Promise<Job> {
    const job = await this.#get(jobId);
    const message = `Cancelled by ${by}`;
    if (job.status === 'queued') {
      const ended = await this.deps.lifecycle.finish(jobId, 'cancelled', message, { from: ['queued'] });
      return ended ?? this.cancel(jobId, by); // it was assigned meanwhile: cancel it on the drone
    }
    if (!ACTIVE_STATUSES.includes(job.status)) {
      throw new ConflictError(`Job ${job.id} has already ended (${job.status})`);
    }
    const flagged = await this.deps.lifecycle.requestCancel(jobId);
    if (!flagged) return this.cancel(jobId, by);
    const drone = flagged.droneId ? this.deps.hub.get(flagged.droneId) : undefined;
    if (!drone && flagged.lease && this.deps.relay?.cancel(jobId, flagged.lease, message)) {
      // The drone may be connected to another queen sharing the database: it relays the cancel.
      this.#forceAfterGrace(jobId, flagged.lease, message);
      return flagged;
    }
    if (!drone || !flagged.lease) {
      // No drone to tell: end it here; should the drone return, its events are stale.
      const ended = await this.deps.lifecycle.finish(jobId, 'cancelled', message, { from: ACTIVE_STATUSES });
      return ended ?? this.#get(jobId);
    }
    drone.link.send({ type: 'job:cancel', jobId, lease: flagged.lease, reason: message });
    this.#forceAfterGrace(jobId, flagged.lease, message);
    return flagged;
  }

  /**
   * Cancels the project's older unfinished jobs of the same type on the same line of work
   * as `job` — the same pull/merge request, or the same branch (branch pushes only) — so
   * only the newest commit builds. Returns the jobs it cancelled.
   */
  async cancelSuperseded(job: Job): Promise<Job[]> {
    const older = (await listActiveProjectJobs(this.deps.db, job.projectId)).filter(
      (other) => other.id !== job.id && other.number < job.number && other.type === job.type && sameLine(other.ref, job.ref),
    );
    const cancelled: Job[] = [];
    for (const other of older) {
      try {
        cancelled.push(await this.cancel(other.id, `a newer build (#${job.number})`));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err; // it ended meanwhile: nothing to do
      }
    }
    return cancelled;
  }

  /** A drone that never confirms a cancel (hung, partitioned) must not keep the job alive. */
  #forceAfterGrace(jobId: string, lease: string, message: string): void {
    setTimeout(async () => {
      try {
        await this.deps.lifecycle.finish(jobId, 'cancelled', `${message} (the drone did not confirm)`, { from: ACTIVE_STATUSES, lease });
      } catch (err) {
        this.deps.log.error({ err, jobId }, 'forcing a cancel failed');
      }
    }, this.deps.cancelGraceMs ?? 30_000).unref();
  }

  async #get(jobId: string): Promise<Job> {
    const job = await findJob(this.deps.db, jobId);
    if (!job) throw new NotFoundError(`Job ${jobId} does not exist`);
    return job;
  }
}

/** Whether two refs are the same pull request, or pushes to the same branch. */
function sameLine(a: JobRef, b: JobRef): boolean {
  if (b.pullRequest) return a.pullRequest?.number === b.pullRequest.number;
  return !!b.branch && !b.tag && !a.pullRequest && !a.tag && a.branch === b.branch;
}
