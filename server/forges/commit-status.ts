/**
 * What a job's state means as a commit status, in forge-neutral terms; `github.ts` and
 * `gitlab.ts` translate it into their own states and requests.
 *
 *   queued → pending · running → running (GitHub: pending) · passed → success ·
 *   failed → failure · errored, timed_out → error · cancelled → canceled (GitHub: error)
 *
 * `assigned` reports nothing: to the forge it is still pending.
 */
import { buildUrl } from '../../common/urls.ts';
import { formatDuration } from '../../common/format-duration.ts';
import { matrixJobName } from '../../common/job-name.ts';
import type { Job } from '../db/jobs.ts';
import type { JobStatus } from '../../common/protocol/index.ts';

export type CommitState = 'pending' | 'running' | 'success' | 'failure' | 'error' | 'canceled';

export interface CommitStatus {
  /** The commit reported on: a pull request's head commit, else the built commit. */
  sha: string;
  /** The branch, tag or head branch, where the forge wants one (GitLab). */
  ref?: string;
  state: CommitState;
  /** `hive/test`, `hive/test_and_deploy`, `hive/deploy`; a matrix job's with its combination: `hive/test (NODE=18 DB=pg)`. */
  context: string;
  description: string;
  targetUrl: string;
}

export interface ForgeRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const STATES: Partial<Record<JobStatus, CommitState>> = {
  queued: 'pending',
  running: 'running',
  passed: 'success',
  failed: 'failure',
  errored: 'error',
  timed_out: 'error',
  cancelled: 'canceled',
};

/**
 * One status per job type — and per matrix combination, so one failing combination is not
 * hidden by another that passed after it (GitHub and GitLab keep one status per context).
 */
export const statusContext = (job: Pick<Job, 'type' | 'matrix'>) => {
  const name = matrixJobName(job.matrix);
  return `hive/${job.type.toLowerCase()}${name ? ` (${name})` : ''}`;
};

/** The commit a job's status belongs on, when known yet (a branch build learns it at resolution). */
export const statusSha = (job: Pick<Job, 'ref'>) => job.ref.pullRequest?.headSha ?? job.ref.sha;

export function commitStatusFor(job: Job, publicUrl: string): CommitStatus | undefined {
  const state = STATES[job.status];
  const sha = statusSha(job);
  if (!state || !sha) return undefined;
  return {
    sha,
    ref: job.ref.pullRequest?.headBranch ?? job.ref.branch ?? job.ref.tag,
    state,
    context: statusContext(job),
    description: describe(job),
    targetUrl: buildUrl(publicUrl, job.id),
  };
}

function describe(job: Job): string {
  const n = `Build #${job.number}`;
  const took = job.startedAt && job.finishedAt ? ` in ${formatDuration(Math.max(0, job.finishedAt.getTime() - job.startedAt.getTime()), { compact: true })}` : '';
  switch (job.status) {
    case 'queued': return `${n} is queued`;
    case 'running': return `${n} is running${job.droneName ? ` on ${job.droneName}` : ''}`;
    case 'passed': return `${n} passed${took}`;
    case 'failed': return `${n} failed${took}`;
    case 'timed_out': return `${n} timed out${took}`;
    case 'cancelled': return `${n} was cancelled`;
    case 'errored': return `${n} errored${job.message ? `: ${job.message}` : ''}`;
    default: return `${n} is ${job.status}`;
  }
}

