/**
 * What happens to a job whose drone is gone (lease expired, or the drone came back
 * without it): a job that never started is simply re-queued; a started one is re-queued
 * when its project allows (`retryOnLostDrone`), otherwise it ends `errored` — a system
 * failure, which users can tell apart from a failing build.
 */
import type { Db } from '../db/client.ts';
import { finishJob, findJob, requeueJob, type Job, ACTIVE_STATUSES } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import type { LiveBus } from '../jobs/live-bus.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from './drone-hub.ts';

export interface LostJobDeps {
  db: Db;
  hub: DroneHub;
  bus: LiveBus;
  log: Logger;
  onRequeued(): void;
  onFinished(job: Job): void;
}

export class LostJobHandler {
  constructor(private readonly deps: LostJobDeps) {}

  async handle(job: Job, why: string): Promise<void> {
    const { db, hub, bus, log } = this.deps;
    if (!job.lease) return;
    hub.release(job.id, job.droneId);
    const project = await findProject(db, job.projectId);
    const retry = job.status === 'assigned' || project?.config.retryOnLostDrone === true;
    if (retry && (await requeueJob(db, job.id, job.lease, job.status === 'running'))) {
      log.warn({ jobId: job.id, why }, 'job re-queued after losing its drone');
      const fresh = await findJob(db, job.id);
      if (fresh) bus.emit('job-status', fresh);
      this.deps.onRequeued();
      return;
    }
    const ended = await finishJob(db, job.id, 'errored', `Lost the drone running this job: ${why}`, ACTIVE_STATUSES, job.lease);
    if (ended) {
      log.warn({ jobId: job.id, why }, 'job errored after losing its drone');
      bus.emit('job-status', ended);
      this.deps.onFinished(ended);
    }
  }
}
