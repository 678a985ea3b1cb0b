/**
 * One subscriber's view of one job: everything stored so far, then every new event live,
 * in seq order with no gap and no duplicate.
 *
 * The subscription keeps a cursor (the last seq sent). A live batch goes out — as the one
 * frame every subscriber of the job is sent — only when it follows the cursor exactly and
 * fits under the client's buffer cap. Otherwise the subscription falls behind: it waits
 * until its client drained, then reads pages from the database after its cursor (reads
 * shared with the job's other subscribers at the same point: catch-up-reads.ts), and goes
 * back to live once a read that began after the job's last live batch found nothing more.
 * So a slow or briefly disconnected client costs the build nothing and the queen at most
 * its cap: it just catches up from storage.
 */
import type { StoredEvent } from '../db/job-log.ts';
import type { Logger } from '../logger.ts';
import type { CatchUpReads } from './catch-up-reads.ts';
import type { LiveClient } from './live-client.ts';
import { encodeFrame, type LiveFrame } from './live-frame.ts';

/** A batch just stored, as the fan-out hands it to each subscriber of its job. */
export interface LiveBatch {
  attempt: number;
  firstSeq: number;
  lastSeq: number;
  events: StoredEvent[];
  /** The batch's `events` message, encoded on first use and then shared. */
  frame(): LiveFrame;
}

/** What a subscription needs of its job's place in the fan-out. */
export interface JobFeedState {
  /**
   * The fan-out's clock at the feed's creation or its last batch (or notice of one),
   * whichever is later: a read begun since then saw every batch the job's subscribers did
   * not get live.
   */
  readonly notBefore: number;
  /**
   * The last batch this queen stored of the job, while no other queen stored any since:
   * a subscriber that has it has everything stored, and needs no read to know so.
   */
  readonly tail?: { attempt: number; lastSeq: number };
}

export class JobSubscription {
  #cursor: number;
  #catchingUp = false;
  #closed = false;
  /** A status message that did not fit under the cap; the newest replaces older ones. */
  #pendingStatus?: LiveFrame;

  constructor(
    readonly jobId: string,
    /** A subscription follows the attempt it started on; clients subscribe again when the job's status shows a new one (its events are numbered from 1 again). */
    readonly attempt: number,
    after: number,
    readonly client: LiveClient,
    private readonly deps: { feed: JobFeedState; reads: CatchUpReads; log: Logger },
    /** The last seq of a job that had ended at subscribe (it never gets more), else undefined. */
    private readonly finalSeq?: number,
  ) {
    this.#cursor = after;
  }

  /** Sends the job's snapshot, then what was stored after the cursor, then live events. */
  start(snapshot: LiveFrame): void {
    this.sendStatus(snapshot);
    this.#fallBehind();
  }

  close(): void {
    this.#closed = true;
  }

  sendStatus(frame: LiveFrame): void {
    if (this.#closed) return;
    if (this.client.trySend(frame)) {
      this.#pendingStatus = undefined;
      return;
    }
    this.#pendingStatus = frame;
    this.#fallBehind();
  }

  /** A batch of this job was just stored by this queen. */
  onBatch(batch: LiveBatch): void {
    if (this.#closed || this.#catchingUp || batch.attempt !== this.attempt || batch.lastSeq <= this.#cursor) return;
    if (batch.firstSeq > this.#cursor + 1) return this.#fallBehind(); // a gap: read it from storage
    // Overlapping a page read from storage (a batch cut into several chunks): only the rest, in a frame of its own.
    const frame = batch.firstSeq === this.#cursor + 1
      ? batch.frame()
      : encodeFrame({ type: 'events', jobId: this.jobId, events: batch.events.filter((e) => e.seq > this.#cursor) });
    if (this.client.trySend(frame)) this.#cursor = batch.lastSeq;
    else this.#fallBehind();
  }

  /** Events were stored elsewhere (another queen): read them from the database. */
  onStoredElsewhere(): void {
    if (!this.#closed) this.#fallBehind();
  }

  /** Whether the cursor is at the end of what is stored, as far as known without a read. */
  #hasAll(): boolean {
    if (this.#pendingStatus) return false;
    if (this.finalSeq !== undefined) return this.#cursor >= this.finalSeq;
    const tail = this.deps.feed.tail;
    return tail !== undefined && tail.attempt === this.attempt && this.#cursor >= tail.lastSeq;
  }

  #fallBehind(): void {
    if (!this.#catchingUp) void this.#catchUp();
  }

  async #catchUp(): Promise<void> {
    this.#catchingUp = true;
    const { reads, feed, log } = this.deps;
    try {
      for (;;) {
        if (this.#closed || !this.client.open) return;
        // Let the client drain before sending more: the queen holds at most its cap for it.
        await this.client.drained();
        if (this.#closed || !this.client.open) return;
        if (this.#pendingStatus && this.client.trySend(this.#pendingStatus)) this.#pendingStatus = undefined;
        if (this.#hasAll()) return;
        const page = await reads.read({ jobId: this.jobId, attempt: this.attempt }, this.#cursor, feed.notBefore);
        if (this.#closed) return;
        if (page.frame) {
          if (this.client.trySend(page.frame)) this.#cursor = page.lastSeq;
          continue; // a page that did not fit is sent after the next drain (it is kept, not read again)
        }
        // Caught up only if the read began after the job's feed existed and after its last
        // batch: every batch before that was stored before the read began, and every later
        // one reaches the subscription live. Otherwise read again.
        if (page.startedAt >= feed.notBefore && !this.#pendingStatus) return;
        if (this.finalSeq !== undefined) {
          // Storage ends before the seq the job ended with: its log was deleted (retention).
          this.#cursor = this.finalSeq;
          return;
        }
      }
    } catch (err) {
      log.warn({ err, jobId: this.jobId }, 'catching up a subscriber failed');
      this.client.trySend(encodeFrame({ type: 'error', code: 'internal_error', message: 'reading the log failed; resubscribe to resume', jobId: this.jobId }));
    } finally {
      this.#catchingUp = false;
    }
  }
}
