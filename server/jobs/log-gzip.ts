/**
 * A log's text as one gzip member, built from pieces compressed once and shared between
 * readers (the technique of pigz and zlib's gzjoin). Each piece is its own raw-deflate
 * stream ended with a sync flush — byte-aligned, not final, and referring to nothing
 * before it — so pieces can be written one after another, in any combination: a reader
 * writes the gzip header, the shared pieces it reads (each compressed once, by the first
 * reader who wanted it), its own tail compressed as it reads it, an empty final block,
 * and the trailer: the CRC-32 of all the text (kept per shared piece as it is up to its
 * end, then continued over the tail) and its length mod 2^32.
 *
 * Fifty readers of a 0.92 MiB log then send ~50 × 40 KiB instead of 50 × 0.92 MiB, and
 * the compression is paid once per piece, not once per reader.
 */
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw);

/** Minimal gzip header: deflate, no name or time, unknown OS (RFC 1952). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
/** An empty final deflate block: ends the member after any number of sync-flushed pieces. */
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));

/**
 * Level 1: on log text it compresses within a few percent of level 6 at a quarter to a
 * seventh of the time (~1 µs per KiB here), so a shared piece is compressed in the
 * request's own turn rather than sent to libuv's threads. Sent there, the first gzip of a
 * 0.92 MiB log took 23 ms behind 10 new readers and 58 ms behind 50: each piece's trip
 * waited for the main thread, busy with their requests, where the whole log compresses
 * in about 1 ms.
 */
const LEVEL = 1;
/**
 * A reader's own text — a log past what the cache keeps, a past attempt's — can be
 * hundreds of MiB: it goes to libuv's threads in slices of this size, each its own
 * piece, so the queen's thread is not held for the length of a log.
 */
const OWN_SLICE_BYTES = 256 * 1024;

/** `text` as a raw-deflate piece that can be followed by any other (see the module comment). */
export function deflatePiece(text: Buffer): Buffer {
  return deflateRawSync(text, { level: LEVEL, finishFlush: constants.Z_SYNC_FLUSH });
}

/** A piece of a log's text shared between readers, with what gzip needs of it. */
export interface SharedPiece {
  readonly text: Buffer;
  /** CRC-32 of the log's text from its start to this piece's end. */
  readonly crcToEnd: number;
  /** Bytes of text from the log's start to this piece's end. */
  readonly bytesToEnd: number;
  /** The piece compressed (`deflatePiece`), made once and shared. */
  deflated(): Buffer;
}

export const isSharedPiece = (piece: SharedPiece | Buffer | string): piece is SharedPiece =>
  typeof piece === 'object' && !Buffer.isBuffer(piece);

/** Thrown when a log's shared pieces do not start at its beginning or follow its own text. */
export class LogPieceOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogPieceOrderError';
  }
}

/**
 * One gzip member of the log: shared pieces (which must come first, from the log's
 * start) then text of the reader's own. Yields the compressed bytes.
 */
export async function* gzipLog(pieces: AsyncIterable<SharedPiece | Buffer | string>): AsyncGenerator<Buffer> {
  yield GZIP_HEADER;
  let crc = 0;
  let bytes = 0;
  let ownText = false;
  for await (const piece of pieces) {
    if (isSharedPiece(piece)) {
      if (ownText || piece.bytesToEnd - piece.text.length !== bytes) {
        throw new LogPieceOrderError(`a shared log piece ending at byte ${piece.bytesToEnd} does not follow byte ${bytes}`);
      }
      yield piece.deflated();
      crc = piece.crcToEnd;
      bytes = piece.bytesToEnd;
      continue;
    }
    const text = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (text.length === 0) continue;
    ownText = true;
    crc = crc32(text, crc);
    bytes += text.length;
    for (let at = 0; at < text.length; at += OWN_SLICE_BYTES) {
      yield await deflateRawAsync(text.subarray(at, at + OWN_SLICE_BYTES), { level: LEVEL, finishFlush: constants.Z_SYNC_FLUSH });
    }
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(bytes % 2 ** 32, 4);
  yield Buffer.concat([FINAL_BLOCK, trailer]);
}
