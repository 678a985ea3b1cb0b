/**
 * Commits this drone fetched into a repository cache for earlier builds, so a build of one
 * of them again — a re-run, the other jobs of a run or a matrix — checks it out without
 * fetching (a fetch costs a git process and the server's work: 10–20 ms on a local
 * repository, seconds on a slow remote).
 *
 * Kept per credentials (a digest of the job's, or of none): the fetch is also the drone's
 * check that the job's credentials may read the repository, and a cache is shared by every
 * project of its URL, so only a job with the credentials that fetched the commit here
 * skips it. Kept in memory only: a restarted drone fetches once more.
 */
import { createHash } from 'node:crypto';
import type { GitCredentials } from '../common/git/credentials-env.ts';

export class KnownCommits {
  readonly #known = new Set<string>();

  constructor(private readonly limit = 10_000) {}

  has(cacheDir: string, credentials: GitCredentials | undefined, sha: string): boolean {
    return this.#known.has(key(cacheDir, credentials, sha));
  }

  add(cacheDir: string, credentials: GitCredentials | undefined, sha: string): void {
    const k = key(cacheDir, credentials, sha);
    this.#known.delete(k); // the newest last, so the oldest go first
    this.#known.add(k);
    if (this.#known.size > this.limit) this.#known.delete(this.#known.values().next().value!);
  }

  delete(cacheDir: string, credentials: GitCredentials | undefined, sha: string): void {
    this.#known.delete(key(cacheDir, credentials, sha));
  }

  /** The cache was made anew: none of its commits is there any more. */
  forgetCache(cacheDir: string): void {
    const prefix = `${cacheDir}\n`;
    for (const k of this.#known) if (k.startsWith(prefix)) this.#known.delete(k);
  }
}

function key(cacheDir: string, credentials: GitCredentials | undefined, sha: string): string {
  // A digest, so no credential is kept in the drone's memory beyond the job that carried it.
  const who = createHash('sha256').update(JSON.stringify(credentials ?? null)).digest('base64url');
  return `${cacheDir}\n${who}\n${sha.toLowerCase()}`;
}
