/**
 * The mirror calls still running, so that stopping the mirrors can wait for them.
 *
 * Stopping kills the fetches in flight (each git that talks to a remote runs in a process
 * group of its own: common/git/remote-git.ts), but a call's local git — the `git init` of
 * a new mirror, a `rev-parse`, a read — runs in the caller's own group and would be left
 * running, writing in the data directory after the queen's stop had returned (a test that
 * removed the directory right after met ENOTEMPTY). Such commands take milliseconds, so a
 * stop waits for the calls to end (the git host killing meanwhile any fetch a call goes
 * on to start), and gives up after a bound.
 */

/** How long a stop waits for the calls still running at most. */
export const STOP_DRAIN_MS = 3_000;

/** How often a draining stop runs its `meanwhile` (the git host: kill fetches started since). */
const MEANWHILE_EVERY_MS = 50;

export class CallsInFlight {
  #running = 0;
  #idle: (() => void)[] = [];

  track<T>(call: () => Promise<T>): Promise<T> {
    this.#running++;
    let result: Promise<T>;
    try {
      result = call();
    } catch (err) {
      result = Promise.reject(err);
    }
    return result.finally(() => {
      if (--this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /**
   * Resolves once no call runs, or after `maxMs`; `meanwhile` runs every 50 ms until then.
   * The git host kills the fetches a call starts meanwhile (every git it runs is its own);
   * mirrors in the queen's process do not (other queens of a test's process share them).
   */
  drain(maxMs: number, meanwhile?: () => void): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const repeat = meanwhile && setInterval(meanwhile, MEANWHILE_EVERY_MS);
      const done = () => {
        clearInterval(repeat);
        clearTimeout(bound);
        resolve();
      };
      const bound = setTimeout(done, maxMs);
      this.#idle.push(done);
    });
  }
}
