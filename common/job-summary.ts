/**
 * A job as the API and the live events show it (`GET /api/jobs/:id`, `/api/events`), and
 * the ref and trigger it carries, which the database stores as they are. Types only: the
 * browser's scripts import this file, and it brings nothing into their bundle.
 */
import type { JobStatus, JobType } from './protocol/constants.ts';

/** What a job builds. */
export interface JobRef {
  branch?: string;
  sha?: string;
  refspec?: string;
  tag?: string;
  /** Pull/merge request builds. */
  pullRequest?: { number: number; baseBranch: string; headBranch?: string; headSha?: string; fork?: boolean; title?: string; url?: string };
}

/** Why a job exists: who or what asked for it, and the commit's details the forge gave. */
export interface JobTrigger {
  source: { type: 'api' | 'ui' | 'cli' | 'webhook' | 'rerun' | 'cron'; provider?: string; /** cron: the schedule's name */ schedule?: string };
  author?: { name?: string; email?: string; username?: string; avatarUrl?: string };
  message?: string;
  commitUrl?: string;
  compareUrl?: string;
  /** For re-runs: the job this one repeats. */
  rerunOf?: string;
  at: string;
}

/** Times are ISO strings; null until the job got there. */
export interface JobSummary {
  id: string;
  projectId: string;
  number: number;
  type: JobType;
  status: JobStatus;
  /** Why the job ended errored/cancelled/timed_out, in words. */
  message: string | null;
  ref: JobRef;
  trigger: JobTrigger;
  drone: { id: string; name: string | null } | null;
  attempt: number;
  /** −100…100: higher goes first; a waiting job gains a point a minute. */
  priority: number;
  /** The run (times N, matrix) this job belongs to; null for a job on its own. */
  runId: string | null;
  /** A matrix job's combination (`NODE=18 DB=pg`); null otherwise. */
  name: string | null;
  matrix: Record<string, string> | null;
  /** Parameter values of the trigger, environment variables of the job. */
  params: Record<string, string>;
  createdAt: string | null;
  assignedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** When retention removed the log (`GET /api/jobs/:id/log` answers 410 then); null while it is kept. */
  logPrunedAt: string | null;
}
