/**
 * Runs tasks with at most `concurrency` at once and at most one per key, in the order they
 * were added otherwise. A task starts as soon as a slot is free and its key is idle, so a
 * slow task holds up only its own key's later tasks and one slot — never the others.
 *
 * The spec resolver keys its jobs by repository: jobs of one repository wait for each
 * other without holding slots (they would only queue on the mirror's lock anyway), and a
 * repository that hangs cannot starve the rest.
 */
export class KeyedPool {
  readonly #waiting: { key: string; task: () => Promise<void> }[] = [];
  readonly #busyKeys = new Set<string>();
  readonly #idleWaiters: (() => void)[] = [];
  #running = 0;

  /** `onError` gets what a task threw; tasks are expected to handle their own failures. */
  constructor(
    private readonly concurrency: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  add(key: string, task: () => Promise<void>): void {
    this.#waiting.push({ key, task });
    this.#fill();
  }

  /** Tasks waiting or running. */
  get size(): number {
    return this.#waiting.length + this.#running;
  }

  /** Drops the tasks that have not started (those running go on). Returns how many. */
  clear(): number {
    const dropped = this.#waiting.splice(0).length;
    this.#fill(); // wakes idle() waiters when nothing runs either
    return dropped;
  }

  /** Resolves once no task waits or runs. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #fill(): void {
    while (this.#running < this.concurrency) {
      const next = this.#waiting.findIndex((w) => !this.#busyKeys.has(w.key));
      if (next === -1) break;
      const [{ key, task }] = this.#waiting.splice(next, 1);
      this.#busyKeys.add(key);
      this.#running++;
      void this.#run(key, task);
    }
    if (this.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #run(key: string, task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } catch (err) {
      this.onError(err);
    } finally {
      this.#busyKeys.delete(key);
      this.#running--;
      this.#fill();
    }
  }
}
