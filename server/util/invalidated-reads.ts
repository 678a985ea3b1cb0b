/**
 * Reads kept until the database says they changed — for a process that hears of every
 * committed change to what it keeps before the change's writer goes on (the embedded
 * database's change feed, change-feed.ts). A kept value is then exactly what a query
 * would return now, so callers get the same guarantee as from FreshReads (never an
 * answer older than their request) without a query per request.
 *
 * A load that a change overtakes (the change was heard while the load ran) still answers
 * the callers who asked before the change, but is not kept, and callers arriving after
 * the change start a new load. Callers arriving while an untouched load runs share it.
 *
 * Memory: at most `maxEntries` values, the least recently read dropped first. A value can
 * also carry its own end (`validUntil`, ms since the epoch): a session past the time it
 * must be renewed is loaded again, so the load renews it. And a value may not be kept at
 * all (`keeps`).
 */
import type { SharedReads } from './fresh-reads.ts';

export interface InvalidatedReadsOptions<V> {
  maxEntries: number;
  /** When a kept value stops being valid by itself (time), or undefined for never. */
  validUntil?: (value: V) => number | undefined;
  /**
   * Which values are kept at all (default: every one). Another answers the callers that
   * shared its load, and the next caller loads again — for values whose changes the
   * database does not announce (a running job's row: db/row-reads.ts).
   */
  keeps?: (value: V) => boolean;
}

interface Load<V> {
  promise: Promise<V>;
  /** A change to its key was heard while it ran. */
  overtaken: boolean;
}

export class InvalidatedReads<V> implements SharedReads<V> {
  readonly #kept = new Map<string, { value: V; until?: number }>();
  readonly #loads = new Map<string, Load<V>>();

  constructor(private readonly options: InvalidatedReadsOptions<V>) {}

  read(key: string, load: () => Promise<V>): Promise<V> {
    const kept = this.#kept.get(key);
    if (kept && (kept.until === undefined || Date.now() < kept.until)) {
      this.#kept.delete(key); // re-inserted: most recently read last
      this.#kept.set(key, kept);
      return Promise.resolve(kept.value);
    }
    this.#kept.delete(key);
    const running = this.#loads.get(key);
    if (running && !running.overtaken) return running.promise;
    const entry: Load<V> = { promise: Promise.resolve().then(load), overtaken: false };
    this.#loads.set(key, entry);
    const done = () => {
      if (this.#loads.get(key) === entry) this.#loads.delete(key);
    };
    entry.promise.then((value) => {
      done();
      if (!entry.overtaken) this.#keep(key, value);
    }, done);
    return entry.promise;
  }

  /** The value of `key` changed (or may have). */
  invalidate(key: string): void {
    this.#kept.delete(key);
    const running = this.#loads.get(key);
    if (running) running.overtaken = true;
  }

  /** Every value changed (or may have). */
  invalidateAll(): void {
    this.#kept.clear();
    for (const running of this.#loads.values()) running.overtaken = true;
  }

  /** Values kept (for tests and metrics). */
  get size(): number {
    return this.#kept.size;
  }

  #keep(key: string, value: V): void {
    if (this.options.keeps && !this.options.keeps(value)) return;
    this.#kept.set(key, { value, until: this.options.validUntil?.(value) });
    if (this.#kept.size > this.options.maxEntries) this.#kept.delete(this.#kept.keys().next().value!);
  }
}
