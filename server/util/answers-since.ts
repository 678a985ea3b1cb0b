/**
 * Answers shared by the callers that asked before the answer's load STARTED — never an
 * answer from before a caller's question (as util/fresh-reads.ts for database reads), but
 * one load for every caller that was already waiting when it began, even callers served
 * one after another. A caller states when it asked (`performance.now()` of this process);
 * the last answer of each key is kept with the time its load started. Failures are not
 * kept. Bounded: past `limit` keys the oldest answer goes first. In memory only.
 */
import { performance } from 'node:perf_hooks';

export class AnswersSince<V> {
  readonly #answers = new Map<string, { startedAt: number; value: V }>();

  constructor(private readonly limit = 1_000) {}

  /** The value of `key` from a load that started at `askedAt` or later: a kept one, else `load`'s (then kept). */
  async get(key: string, askedAt: number, load: () => Promise<V>): Promise<V> {
    const kept = this.#answers.get(key);
    if (kept && kept.startedAt >= askedAt) return kept.value;
    const startedAt = performance.now();
    const value = await load();
    const now = this.#answers.get(key);
    if (!now || now.startedAt < startedAt) {
      this.#answers.delete(key); // the newest last, so the oldest go first
      this.#answers.set(key, { startedAt, value });
      if (this.#answers.size > this.limit) this.#answers.delete(this.#answers.keys().next().value!);
    }
    return value;
  }

  /** Keys with an answer kept (for tests). */
  get size(): number {
    return this.#answers.size;
  }
}
