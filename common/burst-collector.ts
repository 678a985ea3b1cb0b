/**
 * Gives memory back after a burst of work. V8 collects garbage when a program allocates,
 * so a program that goes idle right after a burst keeps the garbage of it: 10 s after a
 * 50 MB build log the queen was still 120–220 MiB larger than before, and stayed so while
 * nothing else happened (V8's memory reducer gets to it some time later, or not at all).
 * After `minBytes` of work and then `quietMs` without any, one full collection hands it
 * back: ~100–150 ms of the main thread, once per burst, when nothing else is going on.
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

export class BurstCollector {
  #bytes = 0;
  #timer?: NodeJS.Timeout;
  /** When the last work was noted (Date.now()): the quiet period counts from there. */
  #lastNote = 0;

  constructor(private readonly options: { minBytes: number; quietMs: number; collect?: () => void }) {}

  /** `bytes` of work were done just now: a collection follows once the burst is big enough and over. */
  note(bytes: number): void {
    this.#bytes += bytes;
    this.#lastNote = Date.now();
    if (this.#bytes < this.options.minBytes || this.#timer) return;
    this.#wait(this.options.quietMs);
  }

  /** Waits out the quiet period; work noted meanwhile (still busy) starts it again from that moment. */
  #wait(ms: number): void {
    this.#timer = setTimeout(() => {
      const quietFor = Date.now() - this.#lastNote;
      if (quietFor < this.options.quietMs) return this.#wait(this.options.quietMs - quietFor);
      this.#timer = undefined;
      this.#bytes = 0;
      (this.options.collect ?? collectGarbage)();
    }, ms);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
