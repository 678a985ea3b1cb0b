/**
 * Gives memory back after a burst of work. V8 collects garbage when a program allocates,
 * so a program that goes idle right after a burst keeps the garbage of it: 10 s after a
 * 50 MB build log the queen was still 120–220 MiB larger than before, and stayed so while
 * nothing else happened (V8's memory reducer gets to it some time later, or not at all).
 * After `minBytes` of work and then `quietMs` without any, one full collection hands it
 * back: ~100–150 ms of the main thread, once per burst, when nothing else is going on.
 *
 * A process may also let its young generation grow for the burst (`young`): from
 * `young.fromBytes` of work on, growth is allowed; once the burst is quiet it is not, the
 * collection runs, and while the young generation is still larger than before the burst
 * (V8 shrinks it only at a full collection that finds the allocation rate low — seconds
 * after the burst) the collection is tried again every `young.retryMs` of quiet, a few
 * times at most.
 *
 * The collection is V8's `gc()`, which Node.js gives to programs started with --expose-gc.
 * Set from inside, the flag adds `gc` to contexts created afterwards, so it is set here
 * for one context of our own instead of being asked of every way a process is started.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let fullGc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!fullGc) {
    setFlagsFromString('--expose-gc');
    fullGc = runInNewContext('gc') as () => void;
  }
  fullGc();
}

/** How a process lets its young generation grow during a burst (server/young-generation.ts for the queen). */
export interface YoungGenerationGrowth {
  /** Work this large lets the young generation grow. */
  fromBytes: number;
  allow(): void;
  restrict(): void;
  /** Whether the young generation is still larger than the size it is kept at. */
  grown(): boolean;
  /** Quiet time between tries to collect it back to its size. */
  retryMs: number;
  /** Tries after the first collection. */
  retries: number;
}

export class BurstCollector {
  #bytes = 0;
  #timer?: NodeJS.Timeout;
  /** When the last work was noted (Date.now()): the quiet period counts from there. */
  #lastNote = 0;
  /** The young generation may grow (since the burst passed `young.fromBytes`). */
  #growing = false;
  /** Collections still to try while the young generation stays grown (undefined: none under way). */
  #triesLeft: number | undefined;

  constructor(private readonly options: { minBytes: number; quietMs: number; collect?: () => void; young?: YoungGenerationGrowth }) {}

  /** `bytes` of work were done just now: a collection follows once the burst is big enough and over. */
  note(bytes: number): void {
    this.#bytes += bytes;
    this.#lastNote = Date.now();
    const { young } = this.options;
    if (young && !this.#growing && this.#bytes >= young.fromBytes) {
      this.#growing = true;
      young.allow();
    }
    if (this.#timer) {
      // A burst during the tries to shrink the young generation: wait for this one's end.
      if (!this.#growing || this.#triesLeft === undefined) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#triesLeft = undefined;
    if (this.#bytes < this.options.minBytes && !this.#growing) return;
    this.#wait(this.options.quietMs);
  }

  /** Waits out the quiet period; work noted meanwhile (still busy) starts it again from that moment. */
  #wait(ms: number): void {
    this.#timer = setTimeout(() => {
      const quietFor = Date.now() - this.#lastNote;
      const quietMs = this.#triesLeft === undefined ? this.options.quietMs : this.options.young!.retryMs;
      if (quietFor < quietMs) return this.#wait(quietMs - quietFor);
      this.#timer = undefined;
      this.#collect();
    }, ms);
    this.#timer.unref();
  }

  #collect(): void {
    const { young } = this.options;
    if (this.#growing) {
      this.#growing = false;
      young!.restrict();
      this.#triesLeft = young!.retries;
    }
    // A burst that let the young generation grow but stayed small is collected only if it grew.
    const worth = this.#bytes >= this.options.minBytes || (young?.grown() ?? false);
    this.#bytes = 0;
    if (worth) (this.options.collect ?? collectGarbage)();
    if (this.#triesLeft === undefined) return;
    if (this.#triesLeft > 0 && young!.grown()) {
      this.#triesLeft--;
      this.#wait(young!.retryMs);
    } else {
      this.#triesLeft = undefined;
    }
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
