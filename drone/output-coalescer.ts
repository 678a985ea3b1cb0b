/**
 * Turns a command's raw stdout/stderr bytes into a few large output events instead of one
 * per line or per read: a chatty command printing 100 000 short lines must not become
 * 100 000 WebSocket frames and database rows.
 *
 * Per stream, output is gathered in a buffer flushed at once after a quiet spell, else at
 * most every `flushMs`, or as soon as it reaches `maxBufferChars`. How it is gathered:
 *
 * - With a filter (the secret masker, for a job with secrets), as text: bytes →
 *   StringDecoder (keeps UTF-8 characters that straddle reads whole) → the filter. Emitted
 *   chunks are strings of at most `maxChunkChars` UTF-16 units that never split a
 *   surrogate pair.
 * - Without one, as the bytes the command wrote, never decoded: the queen reads a data
 *   frame's output as UTF-8 (common/protocol/data-frame.ts), so the drone decoding it to
 *   a string and encoding it back only cost it time (~1 ms per MB) and memory. Emitted
 *   chunks are at most `maxChunkChars` bytes — no more UTF-16 units than that either —
 *   cut only between characters (utf8-boundary.ts): each decodes on its own as the whole
 *   output would, invalid bytes included. A chunk is the reads' own buffers (or parts of
 *   them), in order, which the outbox copies into the frame (joined here first, each chunk
 *   would be one more copy and allocation).
 *
 * Within a stream order is exact; between stdout and stderr it is as exact as the flush
 * window (the stream written to first is emitted first).
 */
import { StringDecoder } from 'node:string_decoder';
import { MAX_OUTPUT_CHUNK_CHARS } from '../common/protocol/index.ts';
import type { TextFilter } from './secret-masker.ts';
import { characterBoundaryAtOrBefore, continuationLength, incompleteTailLength } from './utf8-boundary.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputCoalescerOptions {
  /** A chunk of a stream's output: text when the stream has a filter, else its bytes (in parts). */
  emit: (stream: OutputStream, data: string | Buffer[]) => void;
  /** One filter per stream (e.g. `() => masker.stream()`); without it output stays bytes. */
  createFilter?: () => TextFilter;
  flushMs?: number;
  /** A flush is due at this size (UTF-16 units of text, or bytes). */
  maxBufferChars?: number;
  /** The largest chunk emitted (UTF-16 units of text, or bytes). */
  maxChunkChars?: number;
}

/** A stream gathered as text, through its filter. */
interface TextStream {
  decoder: StringDecoder;
  filter: TextFilter;
  pending: string;
}

/**
 * A stream gathered as bytes. Each piece begins and ends between characters: a read's
 * unfinished last character is carried over to the next.
 */
interface ByteStream {
  pieces: Buffer[];
  size: number;
  /** The start of a character that the next read may complete. */
  carry: Buffer | undefined;
}

type StreamState = TextStream | ByteStream;

/** How much a stream holds: UTF-16 units of text, or bytes. */
const pendingSize = (s: StreamState): number => ('pieces' in s ? s.size : s.pending.length);

export class OutputCoalescer {
  readonly #emitFn: OutputCoalescerOptions['emit'];
  readonly #flushMs: number;
  readonly #maxBufferChars: number;
  readonly #maxChunkChars: number;
  readonly #streams: Record<OutputStream, StreamState>;
  /** Streams with pending text, in the order they first got some since the last flush. */
  #order: OutputStream[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** When output last went out (performance.now()); see `write`. */
  #lastFlushAt = -Infinity;
  #ended = false;

  constructor(options: OutputCoalescerOptions) {
    this.#emitFn = options.emit;
    this.#flushMs = options.flushMs ?? 15;
    this.#maxChunkChars = options.maxChunkChars ?? MAX_OUTPUT_CHUNK_CHARS;
    this.#maxBufferChars = Math.min(options.maxBufferChars ?? 32 * 1024, this.#maxChunkChars);
    const state = (): StreamState => {
      const filter = options.createFilter?.();
      if (!filter) return { pieces: [], size: 0, carry: undefined };
      return { decoder: new StringDecoder('utf8'), filter, pending: '' };
    };
    this.#streams = { stdout: state(), stderr: state() };
  }

  write(stream: OutputStream, chunk: Buffer | string): void {
    if (this.#ended) return;
    const s = this.#streams[stream];
    if ('pieces' in s) this.#appendBytes(stream, s, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    else this.#append(stream, s.filter.write(typeof chunk === 'string' ? chunk : s.decoder.write(chunk)));
    // Flush both streams, not just the full one, so the other's earlier text goes first.
    if (pendingSize(s) >= this.#maxBufferChars) this.#flushPending();
    else if (pendingSize(s) > 0 && !this.#timer && !this.#immediate) {
      // The first output after a quiet spell goes out at once (after the reads of this
      // turn of the event loop): a line printed now and then reaches watchers without
      // waiting for the window. Output that follows within `flushMs` of a flush waits for
      // the window's end, so a chatty command still makes one event per window.
      const quietFor = performance.now() - this.#lastFlushAt;
      if (quietFor >= this.#flushMs) {
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#flushPending();
        });
      } else {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#flushPending();
        }, this.#flushMs - quietFor);
      }
    }
  }

  /**
   * Emits everything, including text held by the decoder and the filter. Call once, when
   * the command has ended and before its `job:cmd:done`; later writes are ignored.
   */
  end(): void {
    if (this.#ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = this.#streams[stream];
      if ('pieces' in s) {
        // An unfinished character at the very end goes as it is: the queen decodes it to
        // U+FFFD, as StringDecoder's end() would have.
        if (s.carry) this.#addPiece(stream, s, s.carry);
        s.carry = undefined;
      } else {
        this.#append(stream, s.filter.write(s.decoder.end()) + s.filter.end());
      }
    }
    this.#ended = true;
    this.#flushPending();
  }

  #append(stream: OutputStream, text: string): void {
    if (!text) return;
    const s = this.#streams[stream] as TextStream;
    if (!s.pending) this.#order.push(stream);
    s.pending += text;
  }

  /** A read's bytes, less the start of a character the next read may complete. */
  #appendBytes(stream: OutputStream, s: ByteStream, chunk: Buffer): void {
    let bytes = chunk;
    if (s.carry) {
      // The carried character, with the bytes of this read that continue it, is a piece of
      // its own: joined with the whole read, every read of non-ASCII output that split a
      // character was copied.
      const n = continuationLength(s.carry, bytes);
      const joined = Buffer.concat([s.carry, bytes.subarray(0, n)]);
      bytes = bytes.subarray(n);
      s.carry = undefined;
      if (bytes.length === 0 && incompleteTailLength(joined) > 0) {
        s.carry = joined; // the read ended inside the character too
        return;
      }
      this.#addPiece(stream, s, joined);
    }
    const tail = incompleteTailLength(bytes);
    // The carry is copied: a view would keep the whole read's buffer alive for 1–3 bytes.
    s.carry = tail > 0 ? Buffer.from(bytes.subarray(bytes.length - tail)) : undefined;
    if (tail > 0) bytes = bytes.subarray(0, bytes.length - tail);
    this.#addPiece(stream, s, bytes);
  }

  #addPiece(stream: OutputStream, s: ByteStream, bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (s.size === 0) this.#order.push(stream);
    s.pieces.push(bytes);
    s.size += bytes.length;
  }

  #flushPending(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#lastFlushAt = performance.now();
    for (const stream of this.#order.slice()) this.#flushStream(stream);
  }

  #flushStream(stream: OutputStream): void {
    const s = this.#streams[stream];
    this.#order = this.#order.filter((x) => x !== stream);
    if ('pieces' in s) {
      const pieces = s.pieces;
      s.pieces = [];
      s.size = 0;
      for (const chunk of splitByteChunks(pieces, this.#maxChunkChars)) this.#emitFn(stream, chunk);
      return;
    }
    const text = s.pending;
    s.pending = '';
    for (const chunk of splitChunks(text, this.#maxChunkChars)) this.#emitFn(stream, chunk);
  }
}

/**
 * Groups `pieces` (UTF-8, each beginning and ending between characters) into chunks of at
 * most `max` bytes, each a list of pieces or parts of one, cut only between characters.
 */
export function splitByteChunks(pieces: readonly Buffer[], max: number): Buffer[][] {
  const chunks: Buffer[][] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  for (let piece of pieces) {
    while (piece.length > 0) {
      if (size + piece.length <= max) {
        chunk.push(piece);
        size += piece.length;
        break;
      }
      if (size > 0) {
        // Between two pieces is between two characters.
        chunks.push(chunk);
        chunk = [];
        size = 0;
        continue;
      }
      const cut = characterBoundaryAtOrBefore(piece, max);
      chunks.push([piece.subarray(0, cut)]);
      piece = piece.subarray(cut);
    }
  }
  if (size > 0) chunks.push(chunk);
  return chunks;
}

/** Splits `text` into pieces of at most `max` UTF-16 units, never inside a surrogate pair. */
export function splitChunks(text: string, max: number): string[] {
  const chunks: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + max, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && end - i > 1 && code >= 0xd800 && code <= 0xdbff) end--;
    chunks.push(text.slice(i, end));
    i = end;
  }
  return chunks;
}
