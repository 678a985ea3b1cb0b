/**
 * One async lock per key: callers with the same key run one after another, different
 * keys run in parallel. Used so two jobs of one repository never fetch into its cache at
 * the same time (git would fail on the ref locks, or worse, race on the packs).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    // The chain must go on whether `task` failed or not; and must not leak keys.
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
