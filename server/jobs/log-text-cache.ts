/**
 * The plain-text log (`GET /api/jobs/:id/log`) shared between readers. A stored log only
 * ever grows at its end — an attempt's events are appended in seq order, each batch in one
 * transaction — so the text rendered for its first N events never changes. Readers of
 * the same log share that text: the first pays for reading and rendering a page, the
 * others write the same buffers, and readers that arrive together wait on one database
 * read instead of each making their own (50 readers of a running job cost one read).
 *
 * Memory stays bounded: each log keeps at most `entryBytes` of text (readers go on from
 * the database past that point, each with its own renderer, as without the cache), and
 * all logs together at most `totalBytes`, the least recently read dropped first.
 *
 * Each piece of shared text is also kept compressed, made by the first reader who asks for
 * gzip (log-gzip.ts): those readers share the compression as the others share the text.
 * The compressed bytes count towards `totalBytes` too.
 *
 * The text of a job this queen ingests is also kept as its events are stored (`stored`,
 * fed from the live bus): from the job's first event, and for as long as they follow on
 * from the text kept. Its first readers then read nothing from the database — a job page
 * opened by fifty people at once costs no log read. Such text is gathered into pieces of
 * at least SEAL_BYTES (a reader arriving seals what there is once it is worth sharing, and
 * otherwise takes it as a tail of its own), so that a chatty build, or a growing log read
 * over and over, does not leave thousands of tiny pieces to compress and walk one by one;
 * logs nobody has read yet make room first.
 */
import type { Db } from '../db/client.ts';
import { LOG_PAGE_BYTES, readJobEvents, type LogOf, type StoredEvent } from '../db/job-log.ts';
import { crc32 } from 'node:zlib';
import { dataBytesOf } from '../../common/protocol/event-data-bytes.ts';
import { deflatePiece, gzipLog, type SharedPiece } from './log-gzip.ts';
import { jobLogText, LogTextRenderer } from './log-text.ts';

export interface LogTextCacheLimits {
  /** Text kept for all logs together. */
  totalBytes: number;
  /** Text kept for one log; the rest of a longer log is read per reader. */
  entryBytes: number;
}

export const DEFAULT_LOG_TEXT_CACHE_LIMITS: LogTextCacheLimits = { totalBytes: 16 * 1024 * 1024, entryBytes: 4 * 1024 * 1024 };

/** Text kept from stored events is made into a piece once it reaches this size. */
const SEAL_BYTES = 64 * 1024;
/**
 * A reader arriving makes the open text into a piece only from this size: below it, the
 * reader ends with the open text as a tail piece that readers share until the text grows
 * (`Entry.tail`), never kept among the pieces. Otherwise every reader of a growing log
 * would seal a tiny piece, and a log read for an hour while it grows would be thousands
 * of pieces that every later reader walks through, one by one — the cost of a read would
 * follow the number of reads before it, not its bytes.
 */
const READER_SEAL_BYTES = 16 * 1024;
/** A gzip'd log up to this size is kept whole for the readers that follow (`gzipped`). */
const WHOLE_GZIP_BYTES = 256 * 1024;

/** One log's shared text: the rendering of its events up to `lastSeq`. */
interface Entry {
  readonly of: LogOf;
  readonly segments: Piece[];
  /** Bytes of text (what `entryBytes` bounds), the open text's included. */
  bytes: number;
  /**
   * Text stored or read since the last piece, not yet made into one: strings, and the
   * UTF-8 of output the drone sent (`dataBytesOf`), which is copied into the piece as it
   * is rather than measured and encoded again.
   */
  open: (string | Buffer)[];
  /** The open text as readers' last piece, shared until the open text changes. */
  tail?: Piece;
  /** The last whole gzip member made of shared pieces, and the last seq it holds (`gzipped`). */
  whole?: { body: Buffer; lastSeq: number };
  /** Bytes of the pieces' compressed forms made so far. */
  deflatedBytes: number;
  /** CRC-32 of the text so far (each piece records it up to its end, for gzip's trailer). */
  crc: number;
  lastSeq: number;
  readonly renderer: LogTextRenderer;
  /** The entry reached `entryBytes`: its text and `lastSeq` no longer change. */
  full: boolean;
  /** Dropped from the cache: readers still holding it may finish, its bytes no longer count. */
  evicted: boolean;
  extension?: { promise: Promise<boolean>; startedAt: number };
}

export class LogTextCache {
  readonly #db: Db;
  readonly #limits: LogTextCacheLimits;
  /** In order of last use (a Map keeps insertion order; a read re-inserts its entry). */
  readonly #entries = new Map<string, Entry>();
  /** Text kept from stored events that nobody has read yet, oldest first: evicted first. */
  readonly #unread = new Map<string, Entry>();
  #totalBytes = 0;
  /** Orders readers' arrivals against extensions' starts (see `read`). */
  #clock = 0;

  constructor(db: Db, limits: LogTextCacheLimits = DEFAULT_LOG_TEXT_CACHE_LIMITS) {
    this.#db = db;
    this.#limits = limits;
  }

  /** Bytes of text held for all logs (for tests and metrics). */
  get bytes(): number {
    return this.#totalBytes;
  }

  /**
   * The log's text as stored now, in pieces. `version` names the stored log's identity
   * beyond `of`: an attempt that was abandoned before it started is stored again under
   * the same number (see `requeueJob`), so the caller passes something that changes with
   * it (the job's lease); undefined reads without the cache. `untilSeq`: the last seq
   * stored when the reader asked (the job row's `lastSeq`) — a read of a log that keeps
   * growing ends there (or later, if the shared text already goes further) rather than
   * chasing the build.
   */
  async *read(of: LogOf, version: string | undefined, untilSeq = Infinity): AsyncGenerator<Buffer | string> {
    for await (const piece of this.pieces(of, version, untilSeq)) yield typeof piece === 'string' || Buffer.isBuffer(piece) ? piece : piece.text;
  }

  /**
   * As `read`, with the shared text as pieces that also carry their compressed form
   * (`gzipLog` sends those as they are); text read past the shared part comes as text.
   */
  async *pieces(of: LogOf, version: string | undefined, untilSeq = Infinity): AsyncGenerator<SharedPiece | Buffer | string> {
    if (version === undefined) {
      yield* jobLogText(this.#db, of);
      return;
    }
    const arrivedAt = ++this.#clock;
    const entry = this.#entry(of, version);
    let next = 0;
    /** The last seq whose text this reader has been given. */
    let given = 0;
    for (;;) {
      // Ends once it has what was stored when it asked, however fast the log grows on.
      if (given >= untilSeq) return;
      if (next < entry.segments.length) {
        const piece = entry.segments[next++];
        given = piece.lastSeq;
        yield piece;
        continue;
      }
      // Caught up with the pieces: the open text (stored or read since the last piece)
      // follows, as one more piece once it is worth sharing, else as this reader's own tail.
      if (entry.bytes - sealedBytes(entry) >= READER_SEAL_BYTES) this.#seal(entry);
      if (next < entry.segments.length) continue;
      if (entry.full) break;
      if (entry.lastSeq >= untilSeq) {
        yield* openTail(entry);
        return;
      }
      // An extension that started before this reader arrived may have missed events
      // stored since; only an empty page read after the arrival ends the log.
      const extension = this.#extend(entry);
      const grew = await extension.promise;
      if (!grew && next >= entry.segments.length && extension.startedAt > arrivedAt) {
        yield* openTail(entry);
        return;
      }
    }
    // Past what one log may keep: on from the database, rendering where the entry stopped.
    yield* jobLogText(this.#db, of, { afterSeq: entry.lastSeq, renderer: entry.renderer.copy() });
  }

  /**
   * The log as one gzip member (log-gzip.ts) of what `pieces` gives. A member made of
   * shared pieces alone and small enough for one write is kept whole, with the last seq
   * it holds; a later reader who needs no more than that is given the same bytes — a
   * stored log only grows at its end, so they are still its beginning. Readers of a log
   * that grows between them then cost one member per change, not a walk over the pieces,
   * a join and a copy each.
   */
  async *gzipped(of: LogOf, version: string | undefined, untilSeq = Infinity): AsyncGenerator<Buffer> {
    const kept = version === undefined ? undefined : this.#entry(of, version).whole;
    if (kept && kept.lastSeq >= untilSeq) {
      yield kept.body;
      return;
    }
    let shared = version !== undefined;
    let lastSeq = 0;
    const pieces = this.pieces(of, version, untilSeq);
    async function* watched(): AsyncGenerator<SharedPiece | Buffer | string> {
      for await (const piece of pieces) {
        if (piece instanceof Piece) lastSeq = piece.lastSeq;
        else shared = false;
        yield piece;
      }
    }
    const body: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of gzipLog(watched())) {
      bytes += chunk.length;
      if (shared && bytes <= WHOLE_GZIP_BYTES) body.push(chunk);
      yield chunk;
    }
    if (!shared || bytes > WHOLE_GZIP_BYTES) return;
    const entry = this.#entries.get(keyOf(of, version!));
    if (!entry || (entry.whole && entry.whole.lastSeq >= lastSeq)) return;
    this.#countDeflated(entry, bytes - (entry.whole?.body.length ?? 0));
    entry.whole = { body: Buffer.concat(body, bytes), lastSeq };
  }

  /**
   * Events of the log just stored by this queen, in order (see the module comment): kept
   * when they follow on from the text kept, which for a log not kept yet means from its
   * first event. Anything else is left to readers, who read it from the database.
   */
  stored(of: LogOf, version: string, events: StoredEvent[]): void {
    if (events.length === 0) return;
    const key = keyOf(of, version);
    let entry = this.#entries.get(key) ?? this.#unread.get(key);
    if (!entry) {
      if (events[0].seq !== 1) return;
      entry = newEntry(of);
      this.#unread.set(key, entry);
    }
    // While a reader's page read is under way, it brings these events (they were stored
    // before they were announced) — or, if it started earlier, the next read will.
    if (entry.full || entry.evicted || entry.extension || events[0].seq !== entry.lastSeq + 1) return;
    // Each event's text goes in on its own: joined into one string per batch, it had to be
    // flattened to be measured, a copy into fresh memory (~9 % of the queen's thread on a
    // 2M-line log).
    let bytes = 0;
    for (const e of events) {
      const text = entry.renderer.render(e);
      if (!text) continue;
      const utf8 = 'data' in e && text === e.data ? dataBytesOf(e) : undefined;
      entry.open.push(utf8 ?? text);
      bytes += utf8 ? utf8.length : Buffer.byteLength(text);
    }
    entry.lastSeq = events[events.length - 1].seq;
    if (bytes > 0) {
      entry.tail = undefined;
      entry.bytes += bytes;
      this.#totalBytes += bytes;
    }
    if (entry.bytes >= this.#limits.entryBytes) entry.full = true;
    if (entry.full || entry.bytes - sealedBytes(entry) >= SEAL_BYTES) this.#seal(entry);
    this.#evictBeyondLimit();
  }

  #entry(of: LogOf, version: string): Entry {
    const key = keyOf(of, version);
    const entry = this.#entries.get(key) ?? this.#unread.get(key) ?? newEntry(of);
    this.#unread.delete(key);
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Makes the entry's open text (from stored events) into a piece readers can take. */
  #seal(entry: Entry): void {
    if (entry.open.length === 0) return;
    const piece = openText(entry);
    entry.open = [];
    entry.tail = undefined;
    entry.crc = crc32(piece, entry.crc);
    entry.segments.push(new Piece(piece, entry.lastSeq, entry.crc, sealedBytes(entry) + piece.length, (deflated) => this.#countDeflated(entry, deflated)));
  }

  /** Reads the next page after the entry's end, or joins the read already under way. */
  #extend(entry: Entry): { promise: Promise<boolean>; startedAt: number } {
    if (entry.extension) return entry.extension;
    const startedAt = ++this.#clock;
    const promise = this.#readPage(entry).finally(() => {
      entry.extension = undefined;
    });
    entry.extension = { promise, startedAt };
    return entry.extension;
  }

  /** True when the entry moved on (events were read, even if they rendered no text). */
  async #readPage(entry: Entry): Promise<boolean> {
    const room = this.#limits.entryBytes - entry.bytes;
    const page = await readJobEvents(this.#db, entry.of, entry.lastSeq, Math.min(LOG_PAGE_BYTES, Math.max(room, 1)));
    if (page.length === 0) return false;
    let text = '';
    for (const e of page) text += entry.renderer.render(e);
    entry.lastSeq = page[page.length - 1].seq;
    // Joins the open text: readers seal it once it is worth sharing (see READER_SEAL_BYTES).
    if (text) {
      const bytes = Buffer.byteLength(text);
      entry.open.push(text);
      entry.tail = undefined;
      entry.bytes += bytes;
      if (!entry.evicted) this.#totalBytes += bytes;
    }
    if (entry.bytes >= this.#limits.entryBytes) entry.full = true;
    if (entry.full) this.#seal(entry);
    this.#evictBeyondLimit();
    return true;
  }

  #countDeflated(entry: Entry, bytes: number): void {
    entry.deflatedBytes += bytes;
    if (entry.evicted) return;
    this.#totalBytes += bytes;
    this.#evictBeyondLimit();
  }

  #evictBeyondLimit(): void {
    for (const entries of [this.#unread, this.#entries]) {
      for (const [key, entry] of entries) {
        if (this.#totalBytes <= this.#limits.totalBytes) return;
        entries.delete(key);
        entry.evicted = true;
        this.#totalBytes -= entry.bytes + entry.deflatedBytes;
      }
    }
  }
}

const keyOf = (of: LogOf, version: string) => `${of.jobId}/${of.attempt}/${version}`;

/** The entry's open text as a last piece, made once for the readers that end while it is unchanged. */
function* openTail(entry: Entry): Generator<Piece> {
  if (entry.open.length === 0) return;
  if (!entry.tail) {
    const text = openText(entry);
    // Not counted in the cache's bytes: it is dropped as the open text changes and never exceeds READER_SEAL_BYTES.
    entry.tail = new Piece(text, entry.lastSeq, crc32(text, entry.crc), sealedBytes(entry) + text.length, () => {});
  }
  yield entry.tail;
}

/** The entry's open text as one buffer, each part written straight into it. */
function openText(entry: Entry): Buffer {
  let size = 0;
  for (const part of entry.open) size += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  const text = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of entry.open) at += typeof part === 'string' ? text.write(part, at) : part.copy(text, at);
  return text.subarray(0, at);
}

function newEntry(of: LogOf): Entry {
  return {
    of, segments: [], bytes: 0, open: [], deflatedBytes: 0, crc: 0, lastSeq: 0, renderer: new LogTextRenderer(), full: false, evicted: false,
  };
}

/** Bytes of the entry's text that is in pieces (not open). */
const sealedBytes = (entry: Entry) => entry.segments.at(-1)?.bytesToEnd ?? 0;

/** A piece of an entry's text; its compressed form is made when a gzip reader first wants it. */
class Piece implements SharedPiece {
  #deflated?: Buffer;

  constructor(
    readonly text: Buffer,
    /** The seq of the last event whose text it holds. */
    readonly lastSeq: number,
    readonly crcToEnd: number,
    readonly bytesToEnd: number,
    private readonly counted: (deflatedBytes: number) => void,
  ) {}

  deflated(): Buffer {
    if (!this.#deflated) {
      this.#deflated = deflatePiece(this.text);
      this.counted(this.#deflated.length);
    }
    return this.#deflated;
  }
}
