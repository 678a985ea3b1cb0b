/**
 * Finds jobs whose lease ran out — their drone stopped sending heartbeats and did not
 * come back in time — and hands them to the lost-job handler. This is the one timer-driven
 * loop of the scheduler: expiry is about time passing, not about an event.
 */
import type { Db } from '../db/client.ts';
import { listExpiredLeases } from '../db/jobs.ts';
import type { Logger } from '../logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../util/periodic-task.ts';
import type { LostJobHandler } from './lost-jobs.ts';

export function startLeaseReaper(deps: { db: Db; lost: LostJobHandler; log: Logger; intervalMs: number }): PeriodicTask {
  return startPeriodicTask(async () => {
    for (const job of await listExpiredLeases(deps.db, 100)) {
      await deps.lost.handle(job, `no heartbeat from drone ${job.droneName ?? '?'} within the lease`);
    }
  }, { intervalMs: deps.intervalMs, onError: (err) => deps.log.error({ err }, 'lease check failed') });
}
