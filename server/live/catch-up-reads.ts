/**
 * Reads of stored events for subscribers that are behind (they joined mid-job, resumed
 * after a reconnect, or stopped reading for a while), shared between them: one database
 * read per (job, attempt, after-seq) is in flight at a time, and its page is encoded into
 * one frame that every subscriber at that point is sent. Pages that held events are kept
 * a little while (bounded by bytes): stored events never change, so a page read for one
 * subscriber is right for the next one at the same point — a crowd opening a running job
 * costs about one read of its log, not one per browser.
 *
 * "Nothing after seq N" is only true as of when it was read: an empty page (kept or in
 * flight) is shared only with callers for whom it began late enough (`notBefore`, on the
 * fan-out's clock, which moves with every batch), since a subscriber decides from it that
 * it caught up.
 */
import type { Db } from '../db/client.ts';
import { readJobEvents, type LogOf } from '../db/job-log.ts';
import { encodeFrame, type LiveFrame } from './live-frame.ts';

/** A subscriber catches up in pages of about this many bytes, so each fits under a client's cap. */
export const CATCH_UP_PAGE_BYTES = 192 * 1024;
/** Pages kept for subscribers arriving a little later, at most this many bytes in all … */
const KEPT_BYTES = 8 * 1024 * 1024;
/** … and for at most this long (a finished job's log may be deleted by retention later). */
const KEPT_MS = 30_000;

export interface CatchUpPage {
  /** The seq the page follows. */
  after: number;
  /** The last seq in the page; equal to `after` when it is empty. */
  lastSeq: number;
  /** The `events` message of the page; undefined when the page is empty. */
  frame?: LiveFrame;
  /** The fan-out's clock when the read began: an empty page proves nothing of later batches. */
  startedAt: number;
}

interface Kept {
  page: CatchUpPage;
  at: number;
}

/** What a kept page counts against the bound (an empty one: its entry). */
const sizeOf = (page: CatchUpPage) => page.frame?.length ?? 100;

export class CatchUpReads {
  #inFlight = new Map<string, { page: Promise<CatchUpPage>; startedAt: number }>();
  #kept = new Map<string, Kept>();
  #keptBytes = 0;
  /** Database reads made (for the stats and the tests: shared reads are counted once). */
  reads = 0;

  constructor(private readonly db: Db, private readonly clock: () => number) {}

  /**
   * The page after `after`: kept, or shared with a read in flight — unless that read began
   * before `notBefore` on the fan-out's clock (it could not prove the caller caught up).
   */
  read(of: LogOf, after: number, notBefore = 0): Promise<CatchUpPage> {
    const key = `${of.jobId}/${of.attempt}/${after}`;
    const kept = this.#kept.get(key);
    if (kept && Date.now() - kept.at < KEPT_MS && (kept.page.frame || kept.page.startedAt >= notBefore)) return Promise.resolve(kept.page);
    const running = this.#inFlight.get(key);
    if (running && running.startedAt >= notBefore) return running.page;
    const startedAt = this.clock();
    const read = (async () => {
      this.reads++;
      const events = await readJobEvents(this.db, of, after, CATCH_UP_PAGE_BYTES);
      const page = events.length === 0
        ? { after, lastSeq: after, startedAt }
        : { after, lastSeq: events[events.length - 1].seq, frame: encodeFrame({ type: 'events', jobId: of.jobId, events }), startedAt };
      this.#keep(key, page);
      return page;
    })().finally(() => {
      if (this.#inFlight.get(key)?.page === read) this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, { page: read, startedAt });
    return read;
  }

  #keep(key: string, page: CatchUpPage): void {
    const bytes = sizeOf(page);
    if (bytes > KEPT_BYTES / 4) return;
    const old = this.#kept.get(key);
    if (old) {
      this.#kept.delete(key);
      this.#keptBytes -= sizeOf(old.page);
    }
    this.#kept.set(key, { page, at: Date.now() });
    this.#keptBytes += bytes;
    // Oldest first (a Map iterates in insertion order).
    for (const [k, v] of this.#kept) {
      if (this.#keptBytes <= KEPT_BYTES && Date.now() - v.at < KEPT_MS) break;
      this.#kept.delete(k);
      this.#keptBytes -= sizeOf(v.page);
    }
  }
}
