/**
 * One async lock per key: callers with the same key run one after another, different
 * keys run in parallel. The queen's mirrors and the drone's repository caches use it so
 * two fetches into one repository never overlap (git would fail on the ref locks, or
 * worse, race on the packs).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    // The chain goes on whether the previous work failed or not.
    const result = previous.then(work, work);
    const tail = result.catch(() => {});
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      // Drop the entry when nothing queued behind us, so the map does not grow forever.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** How many keys are locked or queued now (for tests: finished keys must not linger). */
  get size(): number {
    return this.#tails.size;
  }
}
