/**
 * Reads shared between callers that arrive together, without ever answering from the
 * past: a caller gets the result of a load that STARTED after it asked. When no load of
 * the key is under way, the caller starts one; when one is, the caller waits for the next
 * one, which starts when the current one ends and serves everyone who arrived meanwhile.
 *
 * On PostgreSQL, where a query waits for the network, 50 readers of a log making 4 reads
 * each cost 123 token and job-row loads instead of 402 (bench, 2026-11-30). (On PGlite it
 * would save nothing — a query there runs to its end within the turn of the event loop
 * that started it — so there the queen keeps rows until its change feed says they changed
 * instead: invalidated-reads.ts, db/row-reads.ts.) What a caller sees is never older than
 * its request: a token revoked, or a line stored, before the request arrived is seen by
 * it — unlike a cache with a time to live, nothing here can answer with a state older
 * than the request, on this queen or after a change made by another queen.
 *
 * Memory: a key is held only while its loads run (at most one running and one waiting).
 */
/** Reads that callers asking for the same key may share (FreshReads, InvalidatedReads). */
export interface SharedReads<V> {
  /** The value of `key` as it is at the time of the call or later: `load` reads it. */
  read(key: string, load: () => Promise<V>): Promise<V>;
  /** The value of `key` changed (reads that keep values drop it). */
  invalidate?(key: string): void;
}

export class FreshReads<V> implements SharedReads<V> {
  readonly #keys = new Map<string, { next?: Waiting<V> }>();

  /**
   * `load` reads the value of `key` (callers with the same key must ask for the same
   * thing: a waiting load runs the first waiter's `load`). A key may be a hash of what
   * `load` reads, so that no secret is held as a key.
   */
  read(key: string, load: () => Promise<V>): Promise<V> {
    const state = this.#keys.get(key);
    if (!state) {
      this.#keys.set(key, {});
      return this.#run(key, load);
    }
    state.next ??= { ...waiting<V>(), load };
    return state.next.promise;
  }

  /** Keys with a load running (for tests). */
  get size(): number {
    return this.#keys.size;
  }

  #run(key: string, load: () => Promise<V>): Promise<V> {
    const result = Promise.resolve().then(load);
    const settled = () => {
      const state = this.#keys.get(key)!;
      const next = state.next;
      if (!next) {
        this.#keys.delete(key);
        return;
      }
      state.next = undefined;
      this.#run(key, next.load!).then(next.resolve, next.reject);
    };
    result.then(settled, settled);
    return result;
  }
}

interface Waiting<V> {
  load?: () => Promise<V>;
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

function waiting<V>(): Waiting<V> {
  let resolve!: (value: V) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
