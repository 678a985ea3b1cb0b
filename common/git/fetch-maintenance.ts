/**
 * git runs `git maintenance run --auto` after every fetch: one more process on a build's
 * way to its drone (~6 ms on a two-core VM, on the queen's mirror and again on the drone's
 * cache), and it nearly always finds nothing to do — gc.auto's thresholds are thousands of
 * loose objects or dozens of packs, and a push brings a handful of objects.
 *
 * So the queen's and the drone's fetches pass `--no-auto-maintenance` (FETCH_WITHOUT_MAINTENANCE),
 * and run it themselves after the first fetch into a repository in the process's life and
 * after every FETCHES_PER_MAINTENANCE-th since: a repository is still kept in shape (a
 * process restarted often still runs it), at a process per that many fetches. What git
 * decides to do is its own as before: `--auto` checks the thresholds, and a gc it starts
 * detaches (gc.autoDetach) as it did inside the fetch.
 *
 * Only a maintenance run removes objects (a gc prunes what no ref reaches), never a fetch:
 * what is remembered as in a repository (known-commits.ts) is forgotten when it ran.
 */
import { execFile } from 'node:child_process';

/** Given to `git fetch` before its arguments. */
export const FETCH_WITHOUT_MAINTENANCE = '--no-auto-maintenance';

/** One maintenance run per this many fetches into a repository. */
export const FETCHES_PER_MAINTENANCE = 25;

/** Bound on the run itself: a gc it starts detaches, so it only checks and returns. */
const MAINTENANCE_TIMEOUT_MS = 60_000;

export class FetchMaintenance {
  /** Fetches into each repository (by path) in this process's life. */
  readonly #fetches = new Map<string, number>();

  constructor(private readonly every = FETCHES_PER_MAINTENANCE) {}

  /**
   * Records a fetch into the repository at `path` and runs git's maintenance there when it
   * is due; resolves true when it ran (whatever was known to be in the repository may be
   * gone). A failed run is git's to report next time: the fetch itself succeeded.
   */
  async afterFetch(path: string, env: Record<string, string>): Promise<boolean> {
    const n = this.#fetches.get(path) ?? 0;
    this.#fetches.set(path, n + 1);
    if (n % this.every !== 0) return false;
    await new Promise<void>((resolve) => {
      execFile('git', ['maintenance', 'run', '--auto', '--quiet'], {
        cwd: path, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, timeout: MAINTENANCE_TIMEOUT_MS,
      }, () => resolve());
    });
    return true;
  }

  /** The repository was removed or made anew: its next fetch counts as the first. */
  forget(path: string): void {
    this.#fetches.delete(path);
  }
}
