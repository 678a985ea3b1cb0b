/**
 * Turns a command's raw stdout/stderr bytes into a few large output events instead of one
 * per line or per read: a chatty command printing 100 000 short lines must not become
 * 100 000 WebSocket frames and database rows.
 *
 * Per stream: bytes → StringDecoder (keeps UTF-8 characters that straddle reads whole) →
 * an optional filter (the secret masker) → a buffer flushed at once after a quiet spell,
 * else at most every `flushMs`, or as soon as it reaches `maxBufferChars`. Emitted chunks are at most `maxChunkChars` long and never
 * split a UTF-16 surrogate pair. Within a stream order is exact; between stdout and
 * stderr it is as exact as the flush window (the stream written to first is emitted first).
 */
import { StringDecoder } from 'node:string_decoder';
import { MAX_OUTPUT_CHUNK_CHARS } from '../common/protocol/index.ts';
import type { TextFilter } from './secret-masker.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputCoalescerOptions {
  emit: (stream: OutputStream, data: string) => void;
  /** One filter per stream (e.g. `() => masker.stream()`). */
  createFilter?: () => TextFilter;
  flushMs?: number;
  maxBufferChars?: number;
  maxChunkChars?: number;
}

interface StreamState {
  decoder: StringDecoder;
  filter: TextFilter | undefined;
  pending: string;
}

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
    const state = (): StreamState => ({ decoder: new StringDecoder('utf8'), filter: options.createFilter?.(), pending: '' });
    this.#streams = { stdout: state(), stderr: state() };
  }

  write(stream: OutputStream, chunk: Buffer | string): void {
    if (this.#ended) return;
    const s = this.#streams[stream];
    const text = typeof chunk === 'string' ? chunk : s.decoder.write(chunk);
    this.#append(stream, s.filter ? s.filter.write(text) : text);
    // Flush both streams, not just the full one, so the other's earlier text goes first.
    if (s.pending.length >= this.#maxBufferChars) this.#flushPending();
    else if (s.pending && !this.#timer && !this.#immediate) {
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
      let rest = s.decoder.end();
      if (s.filter) rest = s.filter.write(rest) + s.filter.end();
      this.#append(stream, rest);
    }
    this.#ended = true;
    this.#flushPending();
  }

  #append(stream: OutputStream, text: string): void {
    if (!text) return;
    const s = this.#streams[stream];
    if (!s.pending) this.#order.push(stream);
    s.pending += text;
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
    const text = s.pending;
    s.pending = '';
    for (const chunk of splitChunks(text, this.#maxChunkChars)) this.#emitFn(stream, chunk);
  }
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
