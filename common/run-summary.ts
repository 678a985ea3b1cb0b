/**
 * A run as the API shows it (`GET /api/runs/:id`, the answers of `POST …/runs`). Types
 * only, like job-summary.ts: the CLI and browser scripts may import it for free.
 */
import type { JobStatus, JobType } from './protocol/constants.ts';
import type { JobRef, JobTrigger } from './job-summary.ts';
import type { RunCounts, RunStatus } from './run-status.ts';

export interface RunJobSummary {
  id: string;
  number: number;
  status: JobStatus;
  /** A matrix job's combination (`NODE=18 DB=pg`); null for the jobs of `times`. */
  name: string | null;
  matrix: Record<string, string> | null;
  /** Why it ended errored/cancelled/timed_out, in words. */
  message: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

/** Times are ISO strings; null until the run got there. */
export interface RunSummary {
  id: string;
  projectId: string;
  status: RunStatus;
  type: JobType;
  /** What was triggered; `sha` once the first job pinned the commit all of them build. */
  ref: JobRef;
  trigger: JobTrigger;
  /** Jobs asked for (a matrix makes one per combination of each). */
  times: number;
  priority: number;
  params: Record<string, string>;
  jobs: RunJobSummary[];
  counts: RunCounts;
  submittedAt: string;
  /** When its first job started. */
  startedAt: string | null;
  /** When its last job ended, once all have. */
  finishedAt: string | null;
  durationMs: number | null;
}
