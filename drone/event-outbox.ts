/**
 * Numbers, holds and (re)sends the job events of every job on this drone until the queen
 * acknowledges them. This is what lets a drone keep running its jobs while the queen is
 * unreachable and catch up afterwards with no gap and no duplicate.
 *
 * Per job: events get `seq` 1, 2, 3 … in the order they are pushed, and are stamped with
 * jobId, lease and time. Every event stays held until a `job:ack` with a seq at or above
 * it; after a reconnect everything not acknowledged is sent again, in order. A job's
 * outbox closes once its `job:done` is acknowledged.
 *
 * Memory is bounded: once the held events of all jobs reach `memoryLimitBytes`, further
 * events of a job go to an append-only file (one per job, under `spillDir`) and are read
 * back from it when sent. Nothing is ever dropped. Sending follows the transport's
 * backpressure, so replaying a large backlog does not pile it up in the socket buffer.
 *
 * A disk that cannot take them (full, read-only) does not lose them either: the job's
 * spilled events are read back into memory, its new ones stay there, an error says so,
 * and spilling is tried again a little later. Memory is then the limit, as it would be
 * with no disk at all.
 *
 * Spilling is for a queen that is away, not for one that is merely slower than a build's
 * output: while the queen acknowledges events, an outbox holding over half its memory
 * limit is `congested`, and the executors stop reading the commands' output until it
 * drains (`whenDrained`) — the command waits on its full pipe, as it would writing to a
 * slow terminal. Writing each event to disk and reading it back cost the drone CPU the
 * queen needed on the same machine. Without acknowledgements for `ackStallMs` (the queen
 * gone, or stuck) the outbox is never congested: output flows and spills as before.
 *
 * Everything is synchronous (including the small spill-file reads and writes), which keeps
 * the order of events trivially right: a push is numbered, stored and sent in one step.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_MESSAGE_BYTES } from '../common/protocol/index.ts';
import { dataFrameEvent, encodeDataFrame } from '../common/protocol/data-frame.ts';
import type { JobEvent, QueenWelcome, RunningJobRef } from '../common/protocol/index.ts';
import type { Logger } from './logger.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/**
 * A job event as the runner produces it; the outbox adds jobId, lease, seq and at. A
 * command's output may come as the bytes it wrote (`bytes`, instead of `data`): they go
 * into the data frame as they are, and the queen reads them as the event's `data`.
 */
export type JobEventBody = DistributiveOmit<JobEvent, 'jobId' | 'lease' | 'seq' | 'at'> | OutputBytesBody;

export interface OutputBytesBody {
  type: 'job:cmd:stdout' | 'job:cmd:stderr';
  cmd: number;
  /** UTF-8 in parts (the command's reads), cut between characters (drone/utf8-boundary.ts). */
  bytes: readonly Buffer[];
}

/** Where the outbox sends frames; implemented by the queen connection. */
export interface OutboxTransport {
  /** True while the queen has welcomed us and the socket's send buffer has room. */
  canSend(): boolean;
  /**
   * Sends one frame — JSON text, or a binary data frame (common/protocol/data-frame.ts)
   * when it is a Buffer; `onWritten` runs once it has left the process (or failed to).
   */
  sendFrame(frame: Frame, onWritten: () => void): void;
}

export interface EventOutboxOptions {
  /** Directory of the spill files; emptied when the outbox is created. */
  spillDir: string;
  /** Bytes of held events kept in memory across all jobs before spilling to disk. */
  memoryLimitBytes?: number;
  logger?: Logger;
  now?: () => number;
  /** How long without an acknowledgement before the outbox stops asking output to wait. */
  ackStallMs?: number;
}

export interface EventOutboxEvents {
  /** A job's outbox is gone: its `job:done` was acknowledged, or it was dropped. */
  closed: [jobId: string, why: 'acked' | 'dropped'];
}

/** An event as sent: JSON text, or the binary data frame of an event with output. */
export type Frame = string | Buffer;
interface MemEntry { seq: number; frame: Frame; bytes: number }
interface DiskEntry { seq: number; offset: number; length: number; binary: boolean }
interface SpillFile { path: string; fd: number; size: number }

interface JobBox {
  jobId: string;
  lease: string;
  lastSeq: number;
  ackedSeq: number;
  /** Highest seq handed to the transport on the current connection. */
  sentSeq: number;
  doneSeq: number | undefined;
  // Held events: seqs ackedSeq+1 … are in `mem`, then the rest in `disk` (both queues
  // with a head index). Once a job has events on disk, its new events go there too, so
  // the two parts never interleave.
  mem: MemEntry[];
  memHead: number;
  /** Bytes of this job's events in `mem` (its part of the outbox's memory). */
  memBytes: number;
  disk: DiskEntry[];
  diskHead: number;
  file: SpillFile | undefined;
}

export const DEFAULT_OUTBOX_MEMORY_LIMIT = 8 * 1024 * 1024;
/** After a failed spill, how long events stay in memory before the disk is tried again. */
export const SPILL_RETRY_MS = 5_000;
/** Unacknowledged events in flight per job (output events are at most 64 KiB each). */
export const SEND_WINDOW = 256;
/** See `ackStallMs`: acknowledgements come within milliseconds of a batch's write. */
export const DEFAULT_ACK_STALL_MS = 1_000;

export class EventOutbox extends EventEmitter<EventOutboxEvents> {
  readonly #boxes = new Map<string, JobBox>();
  readonly #spillDir: string;
  readonly #memoryLimit: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #transport: OutboxTransport | undefined;
  #memBytes = 0;
  #pumping = false;
  #pumpScheduled = false;
  /** While set, spilling failed and is not tried again before this time. */
  #spillRetryAt: number | undefined;
  readonly #ackStallMs: number;
  /** When an acknowledgement last freed events (the queen is taking them). */
  #lastAckAt = -Infinity;
  /** Producers waiting for the congestion to end (`whenDrained`). */
  #drainWaiters: (() => void)[] = [];
  #drainTimer: NodeJS.Timeout | undefined;

  constructor(options: EventOutboxOptions) {
    super();
    this.#spillDir = options.spillDir;
    this.#memoryLimit = options.memoryLimitBytes ?? DEFAULT_OUTBOX_MEMORY_LIMIT;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#ackStallMs = options.ackStallMs ?? DEFAULT_ACK_STALL_MS;
    // Spill files of a previous drone process belong to jobs that died with it.
    rmSync(this.#spillDir, { recursive: true, force: true });
  }

  /** Connects the outbox to its transport; events pushed before are sent once it can. */
  attach(transport: OutboxTransport): void {
    this.#transport = transport;
    this.pump();
  }

  /** Starts holding events for a job. */
  open(jobId: string, lease: string): void {
    if (this.#boxes.has(jobId)) throw new Error(`job ${jobId} already has an outbox`);
    this.#boxes.set(jobId, {
      jobId, lease, lastSeq: 0, ackedSeq: 0, sentSeq: 0, doneSeq: undefined,
      mem: [], memHead: 0, memBytes: 0, disk: [], diskHead: 0, file: undefined,
    });
  }

  has(jobId: string): boolean {
    return this.#boxes.has(jobId);
  }

  leaseOf(jobId: string): string | undefined {
    return this.#boxes.get(jobId)?.lease;
  }

  get size(): number {
    return this.#boxes.size;
  }

  /** Bytes of held events in memory, across all jobs. */
  get memoryBytes(): number {
    return this.#memBytes;
  }

  /**
   * Whether output should wait before more is read: over half the memory limit is held
   * while the queen is acknowledging events (see the file comment). Of one job (`jobId`):
   * only when, besides, it holds at least an even share of what is held — the jobs that
   * filled the outbox wait, and a job printing a line now and then beside a chatty one
   * is not held up by it.
   */
  congested(jobId?: string): boolean {
    if (!(this.#memBytes * 2 >= this.#memoryLimit && this.#now() - this.#lastAckAt < this.#ackStallMs)) return false;
    if (jobId === undefined) return true;
    const box = this.#boxes.get(jobId);
    return box !== undefined && box.memBytes * this.#boxes.size >= this.#memBytes;
  }

  /**
   * Calls `resume` once output may flow again: acknowledgements brought the held events
   * under a quarter of the limit, or none came for `ackStallMs` — so nothing waits on a
   * queen that went away. Called at once when not congested (for `jobId`, as `congested`).
   */
  whenDrained(resume: () => void, jobId?: string): void {
    if (!this.congested(jobId)) {
      resume();
      return;
    }
    this.#drainWaiters.push(resume);
    this.#watchStall();
  }

  /** One job's flow control (executor.ts's OutputFlow): `congested` and `whenDrained` for that job. */
  flowOf(jobId: string): { congested(): boolean; whenDrained(resume: () => void): void } {
    return { congested: () => this.congested(jobId), whenDrained: (resume) => this.whenDrained(resume, jobId) };
  }

  /** While producers wait: resumes them when no acknowledgement has come for `ackStallMs`. */
  #watchStall(): void {
    if (this.#drainTimer) return;
    const wait = Math.max(1, this.#lastAckAt + this.#ackStallMs - this.#now());
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      if (this.#drainWaiters.length === 0) return;
      if (this.congested()) this.#watchStall();
      else this.#releaseWaiters();
    }, wait);
    this.#drainTimer.unref();
  }

  #releaseWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    for (const resume of waiters) resume();
  }

  /** Held events currently in spill files, across all jobs. */
  get spilledEvents(): number {
    let n = 0;
    for (const box of this.#boxes.values()) n += box.disk.length - box.diskHead;
    return n;
  }

  /**
   * Numbers and stores an event, and sends it when the transport can. Returns its seq, or
   * undefined when the job has no outbox (dropped, or already done).
   */
  push(jobId: string, body: JobEventBody): number | undefined {
    const box = this.#boxes.get(jobId);
    if (!box || box.doneSeq !== undefined) return undefined;
    const seq = box.lastSeq + 1;
    // jobId and lease first: the queen stores the rest of the frame's text as it is
    // (common/protocol/stored-event-json.ts).
    let frame: Frame;
    if ('bytes' in body) {
      const { bytes, ...header } = body;
      frame = encodeDataFrame(JSON.stringify({ jobId, lease: box.lease, ...header, seq, at: this.#now() }), bytes);
    } else {
      frame = frameOf({ jobId, lease: box.lease, ...body, seq, at: this.#now() } as JobEvent);
    }
    const bytes = frameBytes(frame);
    if (box.disk.length > box.diskHead || this.#memBytes + bytes > this.#memoryLimit) {
      this.#spill(box, seq, frame, bytes);
    } else {
      this.#hold(box, seq, frame, bytes);
    }
    box.lastSeq = seq;
    if (body.type === 'job:done') box.doneSeq = seq;
    this.pump();
    return seq;
  }

  /** The queen has stored every event of the job up to `seq`: free them. */
  ack(jobId: string, lease: string, seq: number): void {
    const box = this.#boxes.get(jobId);
    if (!box || box.lease !== lease) return;
    const upTo = Math.min(seq, box.lastSeq);
    if (upTo <= box.ackedSeq) return;
    box.ackedSeq = upTo;
    box.sentSeq = Math.max(box.sentSeq, upTo);
    this.#lastAckAt = this.#now();
    while (box.memHead < box.mem.length && box.mem[box.memHead].seq <= upTo) {
      this.#memBytes -= box.mem[box.memHead].bytes;
      box.memBytes -= box.mem[box.memHead].bytes;
      box.mem[box.memHead++] = undefined as never; // let the frame be collected
    }
    if (this.#drainWaiters.length > 0 && this.#memBytes * 4 < this.#memoryLimit) this.#releaseWaiters();
    compact(box, 'mem', 'memHead');
    while (box.diskHead < box.disk.length && box.disk[box.diskHead].seq <= upTo) box.diskHead++;
    if (box.file && box.diskHead === box.disk.length) this.#removeSpill(box);
    else compact(box, 'disk', 'diskHead');
    if (box.doneSeq !== undefined && upTo >= box.doneSeq) this.#close(box, 'acked');
    else this.pump(); // the window moved on
  }

  /**
   * Applies the queen's welcome after a (re)connect: jobs it resumes are replayed from
   * just after the seq it acknowledged; jobs it does not resume (keep=false, another
   * lease, or not mentioned at all) are dropped. Returns the dropped job ids, whose
   * runners the caller must cancel.
   */
  applyWelcome(resume: QueenWelcome['resume']): string[] {
    const byJob = new Map(resume.map((r) => [r.jobId, r]));
    const abandoned: string[] = [];
    for (const box of [...this.#boxes.values()]) {
      const r = byJob.get(box.jobId);
      if (!r || !r.keep || r.lease !== box.lease) {
        abandoned.push(box.jobId);
        this.drop(box.jobId);
        continue;
      }
      if (r.ackedSeq < box.ackedSeq) {
        // The queen lost acknowledged events (e.g. a restored database); they are freed here.
        this.#logger?.warn({ jobId: box.jobId, queenAcked: r.ackedSeq, droneAcked: box.ackedSeq }, 'queen acknowledged less than before; events between are gone');
      }
      box.sentSeq = box.ackedSeq;
      this.ack(box.jobId, box.lease, r.ackedSeq);
    }
    this.pump();
    return abandoned;
  }

  /** Forgets a job and its held events (the queen abandoned it). */
  drop(jobId: string): void {
    const box = this.#boxes.get(jobId);
    if (box) this.#close(box, 'dropped');
  }

  /** `drone:hello.running`: every job with an outbox and the last seq produced. */
  runningRefs(): RunningJobRef[] {
    return [...this.#boxes.values()].map((b) => ({ jobId: b.jobId, lease: b.lease, lastSeq: b.lastSeq }));
  }

  /**
   * `job:info` frames with every event still held for the job, in order, split so no
   * frame exceeds the protocol's message limit. Lazy, so a large spilled backlog is read
   * one frame at a time. Yields nothing for an unknown job.
   */
  *infoFrames(jobId: string): Generator<string> {
    const box = this.#boxes.get(jobId);
    if (!box) return;
    const head = `{"type":"job:info","jobId":${JSON.stringify(box.jobId)},"lease":${JSON.stringify(box.lease)},"events":[`;
    const budget = MAX_MESSAGE_BYTES - Buffer.byteLength(head) - 2;
    let parts: string[] = [];
    let bytes = 0;
    for (let seq = box.ackedSeq + 1; seq <= box.lastSeq; seq++) {
      const frame = jsonOf(this.#frameAt(box, seq));
      const size = Buffer.byteLength(frame) + 1;
      if (parts.length && bytes + size > budget) {
        yield `${head}${parts.join(',')}]}`;
        parts = [];
        bytes = 0;
      }
      parts.push(frame);
      bytes += size;
    }
    yield `${head}${parts.join(',')}]}`;
  }

  /** Sends held events not yet sent on this connection, in seq order, while the transport can. */
  pump(): void {
    const transport = this.#transport;
    if (!transport || this.#pumping) return;
    this.#pumping = true;
    try {
      for (const box of this.#boxes.values()) {
        // At most SEND_WINDOW events beyond the last ack are in flight: the queen's memory
        // per job stays bounded even when its database is slower than the network.
        while (box.sentSeq < box.lastSeq && box.sentSeq - box.ackedSeq < SEND_WINDOW) {
          if (!transport.canSend()) return;
          const frame = this.#frameAt(box, box.sentSeq + 1);
          box.sentSeq++;
          transport.sendFrame(frame, this.#onWritten);
        }
      }
    } catch (err) {
      // A failing spill-file read must not take the drone down; the next pump retries.
      this.#logger?.error({ err }, 'could not send held job events');
    } finally {
      this.#pumping = false;
    }
  }

  /** Drops every job and removes the spill files. */
  dispose(): void {
    for (const box of [...this.#boxes.values()]) this.#close(box, 'dropped');
  }

  readonly #onWritten = (): void => {
    // Batched: one pump after a burst of written frames, not one per frame.
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  };

  #frameAt(box: JobBox, seq: number): Frame {
    const firstMem = box.memHead < box.mem.length ? box.mem[box.memHead].seq : Infinity;
    const lastMem = box.memHead < box.mem.length ? box.mem[box.mem.length - 1].seq : -Infinity;
    if (seq >= firstMem && seq <= lastMem) return box.mem[box.memHead + (seq - firstMem)].frame;
    const entry = box.disk[box.diskHead + (seq - box.disk[box.diskHead].seq)];
    const buf = Buffer.alloc(entry.length);
    readSync(box.file!.fd, buf, 0, entry.length, entry.offset);
    return entry.binary ? buf : buf.toString('utf8');
  }

  #hold(box: JobBox, seq: number, frame: Frame, bytes: number): void {
    box.mem.push({ seq, frame, bytes });
    this.#memBytes += bytes;
    box.memBytes += bytes;
  }

  /** Appends the event to the job's spill file, or — when the disk fails — keeps it in memory. */
  #spill(box: JobBox, seq: number, frame: Frame, bytes: number): void {
    const now = this.#now();
    if (this.#spillRetryAt === undefined || now >= this.#spillRetryAt) {
      try {
        this.#append(box, seq, frame);
        if (this.#spillRetryAt !== undefined) this.#logger?.info('held job events spill to disk again');
        this.#spillRetryAt = undefined;
        return;
      } catch (err) {
        if (this.#spillRetryAt === undefined) {
          this.#logger?.error({ err, jobId: box.jobId }, 'could not spill held job events to disk; keeping them in memory until it has room');
        }
        this.#spillRetryAt = now + SPILL_RETRY_MS;
      }
    }
    // The job's events must stay one ordered queue: its spilled ones come back to memory first.
    this.#unspill(box);
    this.#hold(box, seq, frame, bytes);
  }

  /** Reads a job's spilled events back into memory (reading needs no room) and drops its file. */
  #unspill(box: JobBox): void {
    for (let i = box.diskHead; i < box.disk.length; i++) {
      const seq = box.disk[i].seq;
      const frame = this.#frameAt(box, seq);
      this.#hold(box, seq, frame, frameBytes(frame));
    }
    this.#removeSpill(box);
  }

  #append(box: JobBox, seq: number, frame: Frame): void {
    if (!box.file) {
      mkdirSync(this.#spillDir, { recursive: true });
      const name = createHash('sha256').update(`${box.jobId}\0${box.lease}`).digest('hex').slice(0, 32);
      const path = join(this.#spillDir, `${name}.events`);
      box.file = { path, fd: openSync(path, 'w+', 0o600), size: 0 };
      this.#logger?.info({ jobId: box.jobId, path }, 'held job events exceed the memory limit; spilling to disk');
    }
    // Text frames end with a newline (a file a person can read), data frames do not: the
    // offsets kept in memory are what reading goes by.
    const binary = typeof frame !== 'string';
    const data = binary ? frame : Buffer.from(`${frame}\n`);
    // A disk that fills up mid-write writes part of it and says so only on the next write.
    const written = writeSync(box.file.fd, data, 0, data.length, box.file.size);
    if (written !== data.length) throw new Error(`short write to ${box.file.path} (${written} of ${data.length} bytes): no space left?`);
    box.disk.push({ seq, offset: box.file.size, length: binary ? data.length : data.length - 1, binary });
    box.file.size += data.length;
  }

  #removeSpill(box: JobBox): void {
    if (!box.file) return;
    try {
      closeSync(box.file.fd);
      rmSync(box.file.path, { force: true });
    } catch (err) {
      this.#logger?.warn({ err, path: box.file.path }, 'could not remove a spill file');
    }
    box.file = undefined;
    box.disk = [];
    box.diskHead = 0;
  }

  #close(box: JobBox, why: 'acked' | 'dropped'): void {
    for (let i = box.memHead; i < box.mem.length; i++) this.#memBytes -= box.mem[i].bytes;
    box.mem = [];
    box.memHead = 0;
    box.memBytes = 0;
    if (this.#drainWaiters.length > 0 && !this.congested()) this.#releaseWaiters();
    this.#removeSpill(box);
    this.#boxes.delete(box.jobId);
    this.emit('closed', box.jobId, why);
  }
}

/** Drops the consumed front of a queue once it is empty or mostly consumed. */
function compact(box: JobBox, key: 'mem' | 'disk', headKey: 'memHead' | 'diskHead'): void {
  const head = box[headKey];
  if (head === box[key].length) {
    box[key] = [];
    box[headKey] = 0;
  } else if (head > 1024 && head * 2 > box[key].length) {
    (box[key] as unknown[]) = box[key].slice(head);
    box[headKey] = 0;
  }
}

/**
 * How an event is sent: an event with output as a binary data frame (its output as raw
 * UTF-8, not escaped into JSON: common/protocol/data-frame.ts), any other as JSON text.
 */
function frameOf(event: JobEvent): Frame {
  if (!('data' in event)) return JSON.stringify(event);
  const { data, ...header } = event;
  return encodeDataFrame(JSON.stringify(header), data);
}

const frameBytes = (frame: Frame): number => (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length);

/** A frame as JSON text (for `job:info`, whose events are JSON). */
function jsonOf(frame: Frame): string {
  return typeof frame === 'string' ? frame : JSON.stringify(dataFrameEvent(frame));
}
