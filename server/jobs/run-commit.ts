/**
 * One commit for every job of a run. A run's jobs are resolved one by one (here or on
 * other queens), and a branch may move between two resolutions: so the first job of the
 * run to pin its ref records the commit on the run (a conditional update, first wins),
 * and every other job builds that commit. Pinning happens at resolution rather than when
 * the run is triggered, so triggers keep answering in milliseconds without a fetch.
 */
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { findRun, pinRunCommit } from '../db/runs.ts';
import type { JobRef } from '../db/schema.ts';
import { pinJobRef, type PinnedRef } from '../git/pull-request-ref.ts';
import type { Mirrors } from '../git/mirror-host-protocol.ts';
import type { GitCredentials } from '../../common/git/credentials-env.ts';

const atCommit = (ref: JobRef, run: JobRef): JobRef => ({ ...ref, sha: run.sha, ...(run.refspec && { refspec: run.refspec }) });

/** The commit `job` builds: its own pin, or its run's. */
export async function pinJobCommit(
  deps: { db: Db; mirrors: Mirrors },
  repoUrl: string,
  job: Pick<Job, 'ref' | 'runId'>,
  credentials?: GitCredentials,
): Promise<PinnedRef & { note?: string }> {
  // A job with a commit (a re-run, a trigger naming a sha, a matrix sibling) builds it.
  if (!job.runId || job.ref.sha) return pinJobRef(deps.mirrors, repoUrl, job.ref, credentials);
  const run = await findRun(deps.db, job.runId);
  // The run's commit was fetched by its first job, for this project: no fetch again.
  if (run?.ref.sha) return pinJobRef(deps.mirrors, repoUrl, atCommit(job.ref, run.ref), credentials, true);
  const pinned = await pinJobRef(deps.mirrors, repoUrl, job.ref, credentials);
  const winner = await pinRunCommit(deps.db, job.runId, pinned);
  if (!winner?.sha || winner.sha === pinned.sha) return pinned;
  // Another job of the run pinned first, and the branch has moved since: build its commit.
  return pinJobRef(deps.mirrors, repoUrl, atCommit(job.ref, winner), credentials, true);
}
