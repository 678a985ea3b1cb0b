/**
 * One subscriber's view of one job: everything stored so far, then every new event live,
 * in seq order with no gap and no duplicate.
 *
 * The subscription keeps a cursor (the last seq sent). Live batches are forwarded only
 * when they follow the cursor exactly and the socket is keeping up; otherwise the
 * subscription falls back to reading from the database after its cursor. So a slow or
 * briefly disconnected browser costs the build nothing — it just catches up from storage.
 */
import type { Db } from '../db/client.ts';
import { readJobEvents, type StoredEvent } from '../db/job-log.ts';
import type { Job } from '../db/jobs.ts';
import type { Logger } from '../logger.ts';
import type { LiveJob, LiveServerMessage } from '../../common/live-events.ts';

export interface SubscriberSocket {
  /** Sends a JSON message; `done` runs once it was handed to the OS. */
  send(message: LiveServerMessage, done: () => void): void;
  /** Bytes queued but not yet written. */
  readonly bufferedAmount: number;
  readonly open: boolean;
}

/** Above this many queued bytes the subscriber is "behind" and is served from storage. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** A subscriber catches up in pages of about this many bytes, so each stays small in memory. */
const CATCH_UP_PAGE_BYTES = 1024 * 1024;

export class JobSubscription {
  #cursor: number;
  #attempt = 1;
  #catchingUp = false;
  #dirty = false;
  #closed = false;
  #lastWrite: Promise<void> = Promise.resolve();

  constructor(
    readonly jobId: string,
    after: number,
    private readonly socket: SubscriberSocket,
    private readonly db: Db,
    private readonly log: Logger,
  ) {
    this.#cursor = after;
  }

  start(snapshot: Job, view: (job: Job) => LiveJob): void {
    // A subscription follows the attempt it started on; clients subscribe again when the
    // job's status shows a new attempt (its events are numbered from 1 again).
    this.#attempt = snapshot.attempt;
    this.sendStatus(snapshot, view);
    void this.#catchUp();
  }

  close(): void {
    this.#closed = true;
  }

  sendStatus(job: Job, view: (job: Job) => LiveJob): void {
    this.#send({ type: 'job', job: view(job) });
  }

  /** A batch just persisted. */
  onLive(events: StoredEvent[]): void {
    if (this.#closed || events.length === 0) return;
    if (this.#catchingUp || events[0].seq !== this.#cursor + 1 || this.socket.bufferedAmount > HIGH_WATER_BYTES) {
      this.#dirty = true;
      if (!this.#catchingUp) void this.#catchUp();
      return;
    }
    this.#sendEvents(events);
  }

  /** Events were stored elsewhere (another queen): read them from the database. */
  onStored(): void {
    if (this.#closed) return;
    this.#dirty = true;
    if (!this.#catchingUp) void this.#catchUp();
  }

  #sendEvents(events: StoredEvent[]): void {
    const fresh = events.filter((e) => e.seq > this.#cursor);
    if (fresh.length === 0) return;
    this.#cursor = fresh[fresh.length - 1].seq;
    this.#send({ type: 'events', jobId: this.jobId, events: fresh });
  }

  #send(message: LiveServerMessage): void {
    if (this.#closed || !this.socket.open) return;
    this.#lastWrite = new Promise((resolve) => this.socket.send(message, resolve));
  }

  async #catchUp(): Promise<void> {
    if (this.#catchingUp) return;
    this.#catchingUp = true;
    try {
      do {
        this.#dirty = false;
        for (;;) {
          if (this.#closed || !this.socket.open) return;
          // Let the socket drain before reading more: memory stays bounded per subscriber.
          while (this.socket.bufferedAmount > HIGH_WATER_BYTES && this.socket.open) await this.#lastWrite;
          const page = await readJobEvents(this.db, { jobId: this.jobId, attempt: this.#attempt }, this.#cursor, CATCH_UP_PAGE_BYTES);
          if (page.length === 0) break;
          this.#sendEvents(page);
        }
      } while (this.#dirty);
    } catch (err) {
      this.log.warn({ err, jobId: this.jobId }, 'catching up a subscriber failed');
      this.#send({ type: 'error', code: 'internal_error', message: 'reading the log failed; resubscribe to resume' });
    } finally {
      this.#catchingUp = false;
    }
  }
}
