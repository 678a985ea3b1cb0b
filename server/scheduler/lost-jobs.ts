/**
 * What happens to a job whose drone is gone (lease expired, or the drone came back
 * without it): a job that never started is simply re-queued; a started one is re-queued
 * when its project allows (`retryOnLostDrone`), otherwise it ends `errored` — a system
 * failure, which users can tell apart from a failing build.
 */
import type { Db } from '../db/client.ts';
import { ACTIVE_STATUSES, type Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import type { JobLifecycle } from '../jobs/job-lifecycle.ts';
import type { Logger } from '../logger.ts';

export interface LostJobDeps {
  db: Db;
  lifecycle: JobLifecycle;
  log: Logger;
}

export class LostJobHandler {
  constructor(private readonly deps: LostJobDeps) {}

  async handle(job: Job, why: string): Promise<void> {
    const { db, lifecycle, log } = this.deps;
    if (!job.lease) return;
    const project = await findProject(db, job.projectId);
    const retry = job.status === 'assigned' || project?.config.retryOnLostDrone === true;
    if (retry && (await lifecycle.requeue(job, `lost its drone: ${why}`))) return;
    const ended = await lifecycle.finish(job.id, 'errored', `Lost the drone running this job: ${why}`, { from: ACTIVE_STATUSES, lease: job.lease });
    if (ended) log.warn({ jobId: job.id, why }, 'job errored after losing its drone');
  }
}
