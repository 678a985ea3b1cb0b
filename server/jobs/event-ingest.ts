/**
 * Receives numbered job events from drones and persists them in batches.
 *
 * Per (job, lease) the ingest keeps an inbox; a flush writes the consecutive events (up to
 * MAX_BATCH_BYTES) atomically (appendJobEvents), then acknowledges the drone and tells observers.
 * Writes are group commits: an idle job's event is written at once, one that follows
 * within BATCH_WINDOW_MS of a write waits for the window's end (one that changes the job's
 * status not at all), and whatever arrives during a write
 * goes in the next one, so a busy job costs one write per batch, not per event. Duplicates (replays
 * after a reconnect) are dropped by seq; events of a stale lease are dropped and the drone
 * told to stop that job. A failed write keeps the inbox and retries: nothing is acked
 * before it is stored, so the drone still holds whatever the queen has not. Events of a job
 * reaped under the same lease while its drone kept building are stored as late events
 * (late-result.ts): the drone's result is recorded, not thrown away.
 */
import { BurstCollector } from '../../common/burst-collector.ts';
import type { Db } from '../db/client.ts';
import { toStoredEvent } from '../db/job-log.ts';
import { ACTIVE_STATUSES, findJob, type Job } from '../db/jobs.ts';
import type { Logger } from '../logger.ts';
import type { JobEvent, QueenMessage } from '../../common/protocol/index.ts';
import { isUuid } from '../../common/uuid.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { JobLifecycle } from './job-lifecycle.ts';
import type { LiveBus } from './live-bus.ts';
import { isFinal } from './job-transitions.ts';
import { youngGenerationGrowth } from '../young-generation.ts';
import { oldGenerationGrowth } from '../../common/old-generation-growth.ts';
import { takesLateEvents } from './late-result.ts';

export interface IngestDeps {
  db: Db;
  /** Stores the events and applies what they mean (running, the end) to the job. */
  lifecycle: JobLifecycle;
  log: Logger;
  /** This queen's assignments (`job-status` of assigned jobs): their first events need no read of the job. */
  bus?: LiveBus;
  /** Its drones: an assignment's drone that disconnects takes that shortcut away. */
  hub?: DroneHub;
}

/** Whoever sent the events, to acknowledge or stop them. */
export interface EventSender {
  send(message: QueenMessage): void;
}

interface Stream {
  jobId: string;
  lease: string;
  /** Highest stored seq; undefined until read from the database. */
  storedSeq?: number;
  inbox: JobEvent[];
  sender: EventSender;
  timer?: { kind: 'timeout'; handle: NodeJS.Timeout } | { kind: 'immediate'; handle: NodeJS.Immediate };
  /** The pending timer is a batch window (not a retry): an urgent event may cut it short. */
  windowing?: boolean;
  flushing?: Promise<void>;
  retryMs: number;
  /** The lease is not (or no longer) the job's: drop everything. */
  stale: boolean;
  /** The job was reaped under this lease while its drone kept building: its events are late (late-result.ts). */
  late?: boolean;
  /** A write of this stream is in flight. */
  writing?: boolean;
  /** When its last write began (performance.now()), for the batch window. */
  lastWriteAt: number;
}

/**
 * A log this large, then 2 s with less than 64 KiB of events, and the queen collects its
 * garbage (burst-collector.ts says why; the other builds' few events must not put it off); from 2 MiB on its young
 * generation may grow meanwhile (young-generation.ts), and its old generation triple
 * between full collections (old-generation-growth.ts).
 */
const COLLECT_AFTER_BYTES = 16 * 1024 * 1024;
const COLLECT_WHEN_QUIET_MS = 2_000;
const QUIET_BELOW_BYTES = 64 * 1024;

/** Roughly what an event cost the queen: its output, and a little for the rest. */
const eventBytes = (e: JobEvent) => 100 + ('data' in e ? e.data.length : 0);

/**
 * The least time between the starts of two writes of a stream that is not busy: output
 * arrives from the drone's coalescer every ~15 ms per command, and one transaction for a
 * few of them costs less than one each. The first event after a quiet spell, and events
 * that change the job's status (started, done), are written at once, so the window never
 * delays an occasional line or a result.
 */
export const BATCH_WINDOW_MS = 10;
/**
 * Output bytes one write takes at most (at least one event): a write's memory — events,
 * their JSON, compressed chunks — stays bounded whatever the log and the drone's window,
 * and what is left goes in the next write at once.
 */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Written without waiting for a batch window. */
const isUrgent = (e: JobEvent) => e.type === 'job:started' || e.type === 'job:done';

/** Assignments remembered for their first events (a drone that never sends any leaves one behind). */
const MAX_FRESH_ASSIGNMENTS = 10_000;

export class EventIngest {
  readonly #streams = new Map<string, Stream>();
  readonly #collector = new BurstCollector({ minBytes: COLLECT_AFTER_BYTES, quietMs: COLLECT_WHEN_QUIET_MS, quietBytes: QUIET_BELOW_BYTES, young: youngGenerationGrowth, during: oldGenerationGrowth });
  /**
   * Jobs this queen just assigned, by id: the lease and the stored seq (0) the claim set.
   * While the drone stays connected here, events under that lease can only be stored by
   * this ingest, so a stream that starts with one needs no read of the job — one query
   * less per job. A disconnect of the drone forgets its jobs (it may send them elsewhere).
   */
  readonly #fresh = new Map<string, { lease: string; lastSeq: number }>();

  constructor(private readonly deps: IngestDeps) {
    deps.bus?.on('job-status', (job) => {
      if (job.status !== 'assigned' || !job.lease) return;
      this.#fresh.delete(job.id);
      this.#fresh.set(job.id, { lease: job.lease, lastSeq: job.lastSeq });
      if (this.#fresh.size > MAX_FRESH_ASSIGNMENTS) this.#fresh.delete(this.#fresh.keys().next().value!);
    });
    deps.hub?.on('disconnected', (drone) => {
      for (const id of drone.jobs) this.#fresh.delete(id);
    });
  }

  accept(sender: EventSender, event: JobEvent): void {
    const key = `${event.jobId}\n${event.lease}`;
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = { jobId: event.jobId, lease: event.lease, inbox: [], sender, retryMs: 100, stale: false, lastWriteAt: -Infinity };
      const fresh = this.#fresh.get(event.jobId);
      if (fresh?.lease === event.lease) {
        stream.storedSeq = fresh.lastSeq;
        stream.late = false;
      }
      this.#fresh.delete(event.jobId);
      this.#streams.set(key, stream);
    }
    stream.sender = sender; // after a reconnect, acknowledge on the new socket
    if (stream.stale) return;
    stream.inbox.push(event);
    // Group commit: while a write is in flight, events gather and go in the next one
    // (scheduled when it ends), so a busy job is written in batches. An idle job's event
    // waits a short window for company, unless it changes the job's status. A pending
    // write (or retry) timer will take this event along too.
    if (stream.writing) return;
    if (stream.timer && !(stream.windowing && isUrgent(event))) return;
    // The first event after a quiet spell is written at once (a line printed now and then
    // reaches watchers without waiting); one within a window of the last write waits for
    // the window's end, so a chatty job still costs at most one write per window.
    const sinceLastWrite = performance.now() - stream.lastWriteAt;
    this.#schedule(stream, isUrgent(event) ? 0 : Math.max(0, BATCH_WINDOW_MS - sinceLastWrite), true);
  }

  /** Writes everything received so far (shutdown, tests). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.#streams.values()].map(async (s) => {
      // A write takes at most MAX_BATCH_BYTES: go on while writes make progress.
      for (let left = Infinity; s.inbox.length > 0 && s.inbox.length < left && !s.stale;) {
        left = s.inbox.length;
        await this.#flush(s);
      }
    }));
  }

  #schedule(stream: Stream, delayMs: number, window = false): void {
    cancelTimer(stream);
    stream.windowing = window && delayMs > 0;
    const fire = () => {
      stream.timer = undefined;
      stream.windowing = false;
      void this.#flush(stream);
    };
    // Without a delay, after the other events this turn of the event loop brought (they
    // join the write), not a timer's millisecond later: `job:started` and `job:done` are
    // on the way of every build's status.
    stream.timer = delayMs > 0 ? { kind: 'timeout', handle: setTimeout(fire, delayMs) } : { kind: 'immediate', handle: setImmediate(fire) };
  }

  #flush(stream: Stream): Promise<void> {
    // Flushes of one stream run one after another, so writes stay in seq order.
    const previous = stream.flushing ?? Promise.resolve();
    const next = previous.then(() => this.#write(stream));
    stream.flushing = next;
    return next;
  }

  async #write(stream: Stream): Promise<void> {
    stream.writing = true;
    stream.lastWriteAt = performance.now();
    let stored = false;
    try {
      stored = await this.#writeBatch(stream);
    } finally {
      stream.writing = false;
    }
    // What arrived during the write goes next. After no progress (a gap waiting for a
    // replay, a retry already timed) the next event or the retry timer moves things on.
    if (stored && stream.inbox.length > 0 && !stream.stale && !stream.timer) this.#schedule(stream, 0);
  }

  /** Writes one batch; true when events were stored. */
  async #writeBatch(stream: Stream): Promise<boolean> {
    if (stream.inbox.length === 0 || stream.stale) return false;
    let batch: JobEvent[] = [];
    try {
      if (stream.storedSeq === undefined && !(await this.#load(stream))) return false;
      batch = this.#takeConsecutive(stream);
      if (batch.length === 0) return false;
      const stored = batch.map(toStoredEvent);
      // What the job is after the batch: whether the stream has ended.
      const after = stream.late
        ? await this.deps.lifecycle.recordLateEvents(stream.jobId, stream.lease, stored).then((job) => job && { ended: !!job.lateResult, cancelRequested: false })
        : await this.deps.lifecycle.recordEvents(stream.jobId, stream.lease, stored).then((job) => job && { ended: isFinal(job.status), cancelRequested: job.cancelRequested });
      if (!after) {
        // The lease changed or the job ended under us: re-read the truth next time.
        stream.storedSeq = undefined;
        this.#putBack(stream, batch);
        if (await this.#load(stream)) this.#schedule(stream, 0);
        return false;
      }
      stream.retryMs = 100;
      stream.storedSeq = batch[batch.length - 1].seq;
      this.#ack(stream);
      // A cancel given while the assignment was on its way (claimed, not yet sent) reached
      // the drone before it and was ignored there as a job it did not have. The drone's
      // first event comes after the assignment, so its batch sees the cancel: say it again.
      // (Given later, a cancel reaches a drone that has the job.)
      if (after.cancelRequested && !after.ended && batch[0].seq === 1) {
        stream.sender.send({ type: 'job:cancel', jobId: stream.jobId, lease: stream.lease, reason: 'Cancelled' });
      }
      this.#collector.note(batch.reduce((n, e) => n + eventBytes(e), 0));
      if (after.ended) this.#forget(stream);
      return true;
    } catch (err) {
      // Nothing was acked, so the drone still holds these events, but it will not send
      // them again while its socket lives: the batch goes back into the inbox and the
      // retry writes it, whether or not another event ever arrives.
      this.#putBack(stream, batch);
      this.deps.log.error({ err, jobId: stream.jobId, events: batch.length }, 'storing job events failed; retrying');
      stream.retryMs = Math.min(stream.retryMs * 2, 5000);
      this.#schedule(stream, stream.retryMs);
      return false;
    }
  }

  /** Returns a batch that was not stored to the front of the inbox (unless the stream went stale). */
  #putBack(stream: Stream, batch: JobEvent[]): void {
    if (batch.length > 0 && !stream.stale) stream.inbox.unshift(...batch);
  }

  /** Reads the job's lease and stored seq; false (and the stream goes stale) when the lease is not current. */
  async #load(stream: Stream): Promise<boolean> {
    // An id that cannot be a job's is stale at once: asking the database would fail
    // (and be retried) for as long as the drone kept sending.
    const job = isUuid(stream.jobId) ? await findJob(this.deps.db, stream.jobId) : undefined;
    stream.late = !!job && job.lease === stream.lease && takesLateEvents(job);
    if (!job || job.lease !== stream.lease || !(ACTIVE_STATUSES.includes(job.status) || stream.late)) {
      this.#markStale(stream, job);
      return false;
    }
    stream.storedSeq = job.lastSeq;
    return true;
  }

  /** Removes duplicates and returns the events that follow the stored seq without a gap. */
  #takeConsecutive(stream: Stream): JobEvent[] {
    stream.inbox.sort((a, b) => a.seq - b.seq);
    const batch: JobEvent[] = [];
    let expected = stream.storedSeq! + 1;
    let sawDuplicate = false;
    let bytes = 0;
    let i = 0;
    for (; i < stream.inbox.length; i++) {
      const e = stream.inbox[i];
      if (e.seq < expected) {
        sawDuplicate = true;
        continue;
      }
      if (e.seq > expected) break; // a gap: wait for the missing events (replay or query-info)
      if (batch.length > 0 && bytes + eventBytes(e) > MAX_BATCH_BYTES) break; // the rest goes next
      batch.push(e);
      bytes += eventBytes(e);
      expected++;
    }
    const rest = stream.inbox.slice(i);
    stream.inbox = rest;
    if (sawDuplicate && batch.length === 0) this.#ack(stream); // the drone replayed what we have
    if (batch.length === 0 && rest.length > 0) {
      // Something was lost on the way: ask the drone for everything it still holds.
      stream.sender.send({ type: 'job:query-info', jobId: stream.jobId });
    }
    return batch;
  }

  #ack(stream: Stream): void {
    try {
      stream.sender.send({ type: 'job:ack', jobId: stream.jobId, lease: stream.lease, seq: stream.storedSeq! });
    } catch {
      // The socket is gone; the drone learns the stored seq at its next hello.
    }
  }

  #markStale(stream: Stream, job: Job | undefined): void {
    stream.stale = true;
    stream.inbox = [];
    this.deps.log.warn({ jobId: stream.jobId, status: job?.status }, 'ignoring events of a stale assignment');
    try {
      stream.sender.send({ type: 'job:cancel', jobId: stream.jobId, lease: stream.lease, reason: 'assignment is no longer current' });
    } catch {
      // Nothing to tell: the drone is gone.
    }
    // Keep the stale marker a while so a burst of late events is dropped cheaply.
    setTimeout(() => this.#streams.delete(`${stream.jobId}\n${stream.lease}`), 60_000).unref();
  }

  #forget(stream: Stream): void {
    cancelTimer(stream);
    this.#streams.delete(`${stream.jobId}\n${stream.lease}`);
  }
}

function cancelTimer(stream: Stream): void {
  const timer = stream.timer;
  if (timer === undefined) return;
  if (timer.kind === 'immediate') clearImmediate(timer.handle);
  else clearTimeout(timer.handle);
  stream.timer = undefined;
}
