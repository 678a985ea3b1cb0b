/**
 * The results of a queen's jobs as its bus announces them, listened to from before the
 * first trigger: a bench awaits its builds without reading the database. The test
 * helper's `waitForJob` reads each job once (it may have ended before anyone listened),
 * and on the embedded database that read runs in the queen's own thread, beside the
 * build it waits for — measured as Hive's time, though no user's build pays it (one read
 * per build, right after the trigger, on the resolution's path).
 */
import { FINAL_STATUSES } from '../common/protocol/index.ts';
import type { Job } from '../server/db/jobs.ts';
import type { LiveBus } from '../server/jobs/live-bus.ts';

export class JobResults {
  /** Ended jobs nobody waits for yet (a bench waits for every job it triggers). */
  readonly #ended = new Map<string, Job>();
  readonly #waiting = new Map<string, (job: Job) => void>();

  constructor(bus: LiveBus) {
    bus.on('job-status', (job) => {
      if (!(FINAL_STATUSES as readonly string[]).includes(job.status)) return;
      const waiter = this.#waiting.get(job.id);
      if (waiter) waiter(job);
      else this.#ended.set(job.id, job);
    });
  }

  /** The job's final row, once it ended (rejects after `timeoutMs`). */
  wait(jobId: string, timeoutMs = 120_000): Promise<Job> {
    const ended = this.#ended.get(jobId);
    if (ended) {
      this.#ended.delete(jobId);
      return Promise.resolve(ended);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(jobId);
        reject(new Error(`job ${jobId} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(jobId, (job) => {
        clearTimeout(timer);
        this.#waiting.delete(jobId);
        resolve(job);
      });
    });
  }
}
