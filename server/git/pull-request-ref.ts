/**
 * Pins the commit a job builds, with GitHub's pull-request merge ref handled the way it
 * behaves rather than the way one would hope:
 *
 * - `refs/pull/N/merge` (the PR merged into its base) does not exist while the PR has
 *   conflicts, and GitHub recomputes it asynchronously after every push, so right after a
 *   `synchronize` it may still be the merge of the previous head.
 * - So: fetch the merge ref; if it is missing, or its second parent is not the PR's head
 *   commit from the webhook, build `refs/pull/N/head` instead — the exact commit pushed.
 *
 * The refspec actually used is returned so the drone fetches the same ref.
 */
import type { JobRef } from '../db/schema.ts';
import { ResolveError } from '../errors.ts';
import type { GitCredentials } from '../../common/git/credentials-env.ts';
import type { Mirrors } from './mirror-host-protocol.ts';

export interface PinnedRef {
  sha: string;
  refspec?: string;
}

const MERGE_REF = /^\+?refs\/pull\/(\d+)\/merge$/;

export async function pinJobRef(
  mirrors: Mirrors,
  repoUrl: string,
  ref: JobRef,
  credentials?: GitCredentials,
  /** The commit (`ref.sha`) was fetched for this project moments ago: see RefRequest. Always set from here, never taken from a stored ref. */
  fetchedForProject = false,
): Promise<PinnedRef & { note?: string }> {
  const merge = MERGE_REF.exec(ref.refspec ?? '');
  // A re-run knows its commit already; other refs need no second opinion.
  if (!merge || ref.sha) return { sha: (await mirrors.resolve(repoUrl, { ...ref, fetchedForProject }, credentials)).sha, refspec: ref.refspec };

  const headRefspec = `+refs/pull/${merge[1]}/head`;
  let note: string;
  try {
    const { sha } = await mirrors.resolve(repoUrl, { refspec: ref.refspec }, credentials);
    const headSha = ref.pullRequest?.headSha;
    if (!headSha || (await mirrors.parents(repoUrl, sha)).includes(headSha)) return { sha, refspec: ref.refspec };
    note = `refs/pull/${merge[1]}/merge is not yet the merge of ${headSha.slice(0, 12)}`;
  } catch (err) {
    if (!(err instanceof ResolveError)) throw err;
    note = `refs/pull/${merge[1]}/merge is missing (the pull request may have conflicts)`;
  }
  const { sha } = await mirrors.resolve(repoUrl, { refspec: headRefspec }, credentials);
  return { sha, refspec: headRefspec, note: `${note}; building refs/pull/${merge[1]}/head` };
}
