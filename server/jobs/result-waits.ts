/**
 * Waiting for a job or a run to end, for `?wait=<seconds>` (Blanket's `?sync`): the
 * request is held until the result is final or the time is up. It listens to the live
 * bus — `job-status` of this queen's changes and `job-status-remote` of other queens'
 * (the cluster relay replays those), so a job that ends on a drone of another queen
 * ends the wait too — and reads the database again only when a job it waits for
 * changed. Nothing polls.
 *
 * A client that goes away (the request's signal) stops the wait and removes its
 * listeners; the build goes on.
 */
import type { Db } from '../db/client.ts';
import { findJob, type Job } from '../db/jobs.ts';
import { findRun, listRunJobs, runJobStates, type Run, type RunJob } from '../db/runs.ts';
import { isFinal } from './job-transitions.ts';
import type { LiveBus } from './live-bus.ts';
import { runStatus, isFinalRunStatus } from '../../common/run-status.ts';

export interface Waited<T> {
  value: T;
  /** Whether it had ended when the wait stopped. */
  done: boolean;
}

export interface WaitSpec<T> {
  /** Whether a job's change of status may change what is waited for (then it is read again). */
  concerns(job: Job): boolean;
  /** The current state; undefined when it no longer exists. */
  read(): Promise<T | undefined>;
  done(value: T): boolean;
}

export class ResultWaits {
  constructor(private readonly deps: { db: Db; bus: LiveBus }) {}

  /** Until the job has a final status, or `ms` passed, or `signal` aborted. */
  job(jobId: string, ms: number, signal?: AbortSignal): Promise<Waited<Job> | undefined> {
    return this.wait({
      concerns: (job) => job.id === jobId,
      read: () => findJob(this.deps.db, jobId),
      done: (job) => isFinal(job.status),
    }, ms, signal);
  }

  /** Until every job of the run has ended (matrix siblings included as they appear). */
  run(runId: string, ms: number, signal?: AbortSignal): Promise<Waited<{ run: Run; jobs: RunJob[] }> | undefined> {
    return this.wait({
      concerns: (job) => job.runId === runId,
      read: async () => {
        const run = await findRun(this.deps.db, runId);
        return run && { run, jobs: await listRunJobs(this.deps.db, runId) };
      },
      done: ({ jobs }) => isFinalRunStatus(runStatus(runJobStates(jobs))),
    }, ms, signal);
  }

  /** The general form: listen first, then read, so no change between the two is missed. */
  wait<T>(spec: WaitSpec<T>, ms: number, signal?: AbortSignal): Promise<Waited<T> | undefined> {
    const { bus } = this.deps;
    return new Promise((resolve, reject) => {
      let settled = false;
      let reading = false;
      let again = false;
      const finish = (result: Waited<T> | undefined, err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        bus.off('job-status', onStatus);
        bus.off('job-status-remote', onStatus);
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) reject(err);
        else resolve(result);
      };
      // One read at a time; changes that arrive meanwhile cause one more.
      const check = async (final: boolean) => {
        if (reading && !final) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            const value = await spec.read();
            if (settled) return;
            if (value === undefined) return finish(undefined);
            const done = spec.done(value);
            if (done || final) return finish({ value, done });
          } while (again);
        } catch (err) {
          finish(undefined, err);
        } finally {
          reading = false;
        }
      };
      const onStatus = (job: Job) => {
        if (spec.concerns(job)) void check(false);
      };
      // The client left: its answer would go nowhere. The job is not touched.
      const onAbort = () => finish(undefined);
      const timer = setTimeout(() => void check(true), ms);
      bus.on('job-status', onStatus);
      bus.on('job-status-remote', onStatus);
      if (signal?.aborted) return finish(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      void check(false);
    });
  }
}
