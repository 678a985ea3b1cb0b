/**
 * Finds jobs whose lease ran out — their drone stopped sending heartbeats and did not
 * come back in time — and hands them to the lost-job handler. This is the one timer-driven
 * loop of the scheduler: expiry is about time passing, not about an event.
 *
 * A lease can also run out while its drone is connected here and healthy: the presence
 * pass that extends vouched leases (queen-presence.ts) could not write because the
 * database was away, or has not run yet. Such a drone vouched for the lease in a heartbeat
 * this queen received within the lease period (kept in memory, see drone-session.ts), so
 * the lease is extended instead of the job errored.
 *
 * With several queens on one PostgreSQL, a lease of a drone connected to another live
 * queen is that queen's to judge and is never reaped here (reapable-leases.ts); one whose
 * drone was connected to a queen that died is reaped once it ran out without the drone
 * reconnecting anywhere (a reconnect extends it, on whichever queen).
 */
import type { Db } from '../db/client.ts';
import { extendLeases, type Job } from '../db/jobs.ts';
import { listReapableLeases } from '../db/reapable-leases.ts';
import type { Logger } from '../logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../util/periodic-task.ts';
import type { DroneHub } from './drone-hub.ts';
import type { LostJobHandler } from './lost-jobs.ts';

export interface ReaperDeps {
  db: Db;
  hub: DroneHub;
  lost: LostJobHandler;
  log: Logger;
  leaseMs: number;
  /** This queen's id (queens.id): leases of drones connected to other live queens are theirs. */
  queenId: string;
}

export class LeaseReaper {
  #task?: PeriodicTask;

  constructor(private readonly deps: ReaperDeps) {}

  start(intervalMs: number): void {
    this.#task = startPeriodicTask(() => this.check().then(() => {}), {
      intervalMs,
      onError: (err) => this.deps.log.error({ err }, 'lease check failed'),
    });
  }

  stop(): Promise<void> {
    return this.#task?.stop() ?? Promise.resolve();
  }

  /** One pass: expired leases are extended (drone connected and vouching) or reaped. */
  async check(): Promise<{ reaped: number; extended: number }> {
    const { db, lost, log, leaseMs } = this.deps;
    let reaped = 0;
    let extended = 0;
    for (const job of await listReapableLeases(db, this.deps.queenId, 100)) {
      const drone = this.#vouchingDrone(job);
      if (drone) {
        await extendLeases(db, drone, [job.lease!], leaseMs);
        log.info({ jobId: job.id, drone: job.droneName }, 'lease ran out while the drone kept vouching for it (database unavailable?); extended');
        extended++;
        continue;
      }
      await lost.handle(job, `no heartbeat from drone ${job.droneName ?? '?'} within the lease`);
      reaped++;
    }
    return { reaped, extended };
  }

  /** The id of the drone connected here whose last heartbeat, within the lease period, named the job's lease. */
  #vouchingDrone(job: Job): string | undefined {
    const drone = job.droneId ? this.deps.hub.get(job.droneId) : undefined;
    const beat = drone?.heartbeat;
    if (!drone || !beat || !job.lease) return undefined;
    return Date.now() - beat.at < this.deps.leaseMs && beat.leases.has(job.lease) ? drone.id : undefined;
  }
}
