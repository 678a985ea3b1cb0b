/**
 * Finds jobs whose lease ran out — their drone stopped sending heartbeats and did not
 * come back in time — and hands them to the lost-job handler. This is the one timer-driven
 * loop of the scheduler: expiry is about time passing, not about an event.
 */
import type { Db } from '../db/client.ts';
import { listExpiredLeases } from '../db/jobs.ts';
import type { Logger } from '../logger.ts';
import type { LostJobHandler } from './lost-jobs.ts';

export function startLeaseReaper(deps: { db: Db; lost: LostJobHandler; log: Logger; intervalMs: number }): () => void {
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const job of await listExpiredLeases(deps.db, 100)) {
        await deps.lost.handle(job, `no heartbeat from drone ${job.droneName ?? '?'} within the lease`);
      }
    } catch (err) {
      deps.log.error({ err }, 'lease check failed');
    } finally {
      busy = false;
    }
  }, deps.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
