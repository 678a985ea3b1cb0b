/**
 * The queue as users see it: queued jobs in the order the dispatcher takes them, each
 * with its effective priority and why it waits. Reasons come from a dry run of dispatch
 * over a copy of the connected drones — a job behind others that will fill the last free
 * slot is "full", not "being assigned" — with the same rules the dispatcher uses.
 *
 * Drones connected to other queens sharing the database are not in this queen's hub, so
 * with several queens a reason describes this queen's drones.
 */
import type { Db } from '../db/client.ts';
import { countActiveByProject, listQueue, type Job, type QueueRow } from '../db/jobs.ts';
import type { DroneHub } from './drone-hub.ts';
import type { DroneCandidate } from './select-drone.ts';
import { waitReason, type WaitReason } from './wait-reason.ts';

export interface QueueEntry {
  job: QueueRow;
  /** 1 = next to be dispatched. */
  position: number;
  /** The job's priority plus one point per full minute it has waited. */
  effectivePriority: number;
  reason: WaitReason;
}

const MINUTE_MS = 60_000;

export function effectivePriority(job: Pick<Job, 'priority' | 'createdAt'>, now = Date.now()): number {
  return job.priority + Math.max(0, Math.floor((now - job.createdAt.getTime()) / MINUTE_MS));
}

export class QueueView {
  constructor(private readonly deps: { db: Db; hub: DroneHub }) {}

  async list(limit: number): Promise<QueueEntry[]> {
    const [queued, active] = await Promise.all([listQueue(this.deps.db, limit), countActiveByProject(this.deps.db)]);
    // Copies: the dry run takes slots without touching the hub.
    const drones: DroneCandidate[] = this.deps.hub.all().map((d) => ({ ...d, running: d.running }));
    const now = Date.now();
    return queued.map(({ job, maxConcurrent }, i) => {
      const reason = waitReason(
        { requires: job.requires, maxConcurrent, projectActive: active.get(job.projectId) ?? 0 },
        drones,
      );
      if (reason.kind === 'ready') {
        reason.drone.running += 1;
        active.set(job.projectId, (active.get(job.projectId) ?? 0) + 1);
      }
      return { job, position: i + 1, effectivePriority: effectivePriority(job, now), reason };
    });
  }

  /** One queued job's place and reason (undefined when it is not queued, or beyond `depth`). */
  async entry(jobId: string, depth = 1000): Promise<QueueEntry | undefined> {
    return (await this.list(depth)).find((e) => e.job.id === jobId);
  }
}
