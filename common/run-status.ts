/**
 * A run's status, derived from its jobs' — never stored, so it cannot disagree with them.
 * Pure (unit-tested case by case) and free of zod: the API, the pages and the CLI share it.
 *
 * - `queued`: no job has left the queue yet.
 * - `running`: a job is assigned or running, or some still wait while others already ran.
 * - once every job has ended: `passed` when all passed; else `failed` when any failed or
 *   timed out (a build that did not finish in its time is a failure of the build, as
 *   GitHub and GitLab count it); else `errored` when any errored; else `cancelled`.
 */
import type { JobStatus } from './protocol/constants.ts';

export const RUN_STATUSES = ['queued', 'running', 'passed', 'failed', 'errored', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How many of a run's jobs are in each status; `running` counts assigned ones too. */
export interface RunCounts {
  queued: number;
  running: number;
  passed: number;
  failed: number;
  errored: number;
  cancelled: number;
  timed_out: number;
}

export interface RunJobState {
  status: JobStatus;
  /** Whether a drone ever took it (assigned or started); a job re-queued after a lost drone counts as not. */
  ran: boolean;
}

export function runCounts(jobs: readonly { status: JobStatus }[]): RunCounts {
  const counts: RunCounts = { queued: 0, running: 0, passed: 0, failed: 0, errored: 0, cancelled: 0, timed_out: 0 };
  for (const { status } of jobs) counts[status === 'assigned' ? 'running' : status]++;
  return counts;
}

export function runStatus(jobs: readonly RunJobState[]): RunStatus {
  const c = runCounts(jobs);
  if (c.running > 0) return 'running';
  if (c.queued > 0) return jobs.some((j) => j.ran) ? 'running' : 'queued';
  // A run's jobs are created with it, so none is only a run seen mid-creation: nothing happened yet.
  if (jobs.length === 0) return 'queued';
  if (c.passed === jobs.length) return 'passed';
  if (c.failed > 0 || c.timed_out > 0) return 'failed';
  if (c.errored > 0) return 'errored';
  return 'cancelled';
}

export const isFinalRunStatus = (s: RunStatus) => s !== 'queued' && s !== 'running';
