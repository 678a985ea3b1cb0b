/**
 * Runs a piece of work whenever asked, never two at once: a request made while the work
 * runs makes it run once more afterwards, however many requests came. Used for the loops
 * that react to change (scheduling, spec resolution) instead of polling.
 */
export class CoalescedLoop {
  #running = false;
  #again = false;
  #stopped = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly work: () => Promise<boolean | void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Requests a run soon; cheap to call often. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#idle = this.#loop();
  }

  /** Resolves once no run is in progress. */
  settled(): Promise<void> {
    return this.#idle;
  }

  stop(): Promise<void> {
    this.#stopped = true;
    return this.#idle;
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        try {
          // Work may return true to ask for another run (e.g. it processed a full page).
          if ((await this.work()) === true) this.#again = true;
        } catch (err) {
          // Background loops never throw: log, and the next request tries again.
          this.onError(err);
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = false;
    }
  }
}
