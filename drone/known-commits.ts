/**
 * Which commits a drone need not fetch again: those it fetched into a repository cache for
 * earlier builds (common/git/known-commits.ts), so a build of one of them again — a re-run,
 * the other jobs of a run or a matrix — checks it out without fetching (a fetch costs a git
 * process and the server's work: 10–20 ms on a local repository, seconds on a slow remote).
 *
 * Kept per credentials (a digest of the job's, or of none): the fetch is also the drone's
 * check that the job's credentials may read the repository, and a cache is shared by every
 * project of its URL, so only a job with the credentials that fetched the commit here
 * skips it. A restarted drone fetches once more.
 */
import { credentialsDigest, type GitCredentials } from '../common/git/credentials-env.ts';

/** The scope of a cache's commits fetched with these credentials (a digest: no credential is kept). */
export function fetchScope(cacheDir: string, credentials: GitCredentials | undefined): string {
  return `${cacheDir}\n${credentialsDigest(credentials)}`;
}
