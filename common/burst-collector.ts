/**
 * Gives memory back after a burst of work. V8 collects garbage when a program allocates,
 * so a program that goes idle right after a burst keeps the garbage of it: 10 s after a
 * 50 MB build log the queen was still 120–220 MiB larger than before, and stayed so while
 * nothing else happened (V8's memory reducer gets to it some time later, or not at all).
 * After `minBytes` of work and then `quietMs` without any, one full collection hands it
 * back: ~100–150 ms of the main thread, once per burst, when nothing else is going on.
 * "Without any" means less than `quietBytes` of work within `quietMs`: a queen that goes
 * on with small builds after a large log (a trivial build's events are ~1–2 KB, one every
 * second or so) had its collection put off by each of them, for as long as they kept
 * coming — measured, 15 s of builds every 0.5 s after a 50 MB log and no collection.
 *
 * A process may also let its young generation grow for the burst (`young`): from
 * `young.fromBytes` of work on, growth is allowed; once the burst is quiet it is not, the
 * collection runs, and while the young generation is still larger than before the burst
 * (V8 shrinks it only at a full collection that finds the allocation rate low — seconds
 * after the burst) the collection is tried again every `young.retryMs` of quiet, a few
 * times at most.
 *
 * A setting may also hold for the burst's duration (`during`): from its `fromBytes` of work
 * on until the burst's collection is done — the old generation's room to grow between
 * full collections (old-generation-growth.ts), which that collection sets for the next one.
 *
 * A process whose work is mostly Buffers — the drone, passing a command's output on as the
 * bytes it read (drone/output-coalescer.ts) — also asks for a young collection every
 * `sweepEveryBytes` of work (`sweep`). A dead Buffer's memory, outside V8's heap, is freed
 * when a collection finds it dead, and young collections come as V8's heap fills: with
 * little else allocated there they came rarely, the Buffers' memory grew until V8 started
 * full collections for it, and the drone held more afterwards — over seven 50 MB logs,
 * 17 full and 13 young collections where output passed as strings had made 0 and 51, and
 * ~6 MiB more resident after a log. A young collection costs ~0.5 ms.
 *
 * The collections are V8's `gc()`, which Node.js gives to programs started with
 * --expose-gc. Set from inside, the flag adds `gc` to contexts created afterwards, so it
 * is set here for one context of our own instead of being asked of every way a process is
 * started.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: ((options?: { type: 'minor' | 'major' }) => void) | undefined;

function exposedGc() {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as typeof gc;
  }
  return gc!;
}

export function collectGarbage(): void {
  exposedGc()();
}

/** A young collection (a scavenge): frees what died young, Buffers' memory included. */
export function collectYoungGarbage(): void {
  exposedGc()({ type: 'minor' });
}

/** A setting of the process that holds from `fromBytes` of a burst's work until the burst is quiet. */
export interface BurstSetting {
  /** Work this large puts it in place. */
  fromBytes: number;
  allow(): void;
  /** Undoes it, once the collection that ends the burst is done. */
  restrict(): void;
}

/** How a process lets its young generation grow during a burst (server/young-generation.ts for the queen). */
export interface YoungGenerationGrowth extends BurstSetting {
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
  /** When the last work that kept the burst going was noted (Date.now()): the quiet period counts from there. */
  #lastNote = 0;
  /** The young generation may grow (since the burst passed `young.fromBytes`). */
  #growing = false;
  /** `during` is in place (since the burst passed its `fromBytes`). */
  #settingOn = false;
  /** Collections still to try while the young generation stays grown (undefined: none under way). */
  #triesLeft: number | undefined;

  /** Work since the last young collection asked for (`sweepEveryBytes`). */
  #unswept = 0;

  /** Work noted since `#tallySince`, a window of at most `quietMs` (see `quietBytes`). */
  #tally = 0;
  #tallySince = 0;

  constructor(private readonly options: {
    minBytes: number;
    quietMs: number;
    /** Less work than this within `quietMs` still counts as quiet (0, the default: any work keeps a burst going). */
    quietBytes?: number;
    collect?: () => void;
    young?: YoungGenerationGrowth;
    /** A setting for the burst's duration, undone after its collection (common/old-generation-growth.ts). */
    during?: BurstSetting;
    /** A young collection after this much work (see above); none without it. */
    sweepEveryBytes?: number;
    sweep?: () => void;
  }) {}

  /** `bytes` of work were done just now: a collection follows once the burst is big enough and over. */
  note(bytes: number): void {
    this.#bytes += bytes;
    if (this.options.sweepEveryBytes !== undefined) {
      this.#unswept += bytes;
      if (this.#unswept >= this.options.sweepEveryBytes) {
        this.#unswept = 0;
        (this.options.sweep ?? collectYoungGarbage)();
      }
    }
    this.#tallyBusy(bytes);
    const { young, during } = this.options;
    if (young && !this.#growing && this.#bytes >= young.fromBytes) {
      this.#growing = true;
      young.allow();
    }
    if (during && !this.#settingOn && this.#bytes >= during.fromBytes) {
      this.#settingOn = true;
      during.allow();
    }
    if (this.#timer) {
      // A burst during the tries to shrink the young generation: wait for this one's end.
      if (!this.#growing || this.#triesLeft === undefined) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#triesLeft = undefined;
    if (this.#bytes < this.options.minBytes && !this.#growing && !this.#settingOn) return;
    this.#wait(this.options.quietMs);
  }

  /** Counts `bytes` towards the window's work; the quiet period starts again once the window holds `quietBytes`. */
  #tallyBusy(bytes: number): void {
    const now = Date.now();
    if (now - this.#tallySince >= this.options.quietMs) {
      this.#tallySince = now;
      this.#tally = 0;
    }
    this.#tally += bytes;
    if (this.#tally < (this.options.quietBytes ?? 0)) return;
    this.#lastNote = now;
    this.#tallySince = now;
    this.#tally = 0;
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
    // After the collection: it is the one that sets how far the next burst may go.
    if (this.#settingOn) {
      this.#settingOn = false;
      this.options.during!.restrict();
    }
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
    if (this.#settingOn) {
      this.#settingOn = false;
      this.options.during!.restrict();
    }
  }
}
