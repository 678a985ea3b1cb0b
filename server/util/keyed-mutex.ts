/** Runs async work one at a time per key (e.g. per repository), different keys in parallel. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
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
}
