/**
 * How a chunk of a job's log is stored in its row of `job_log_chunks`, and read back.
 *
 * - A small chunk (under COMPRESS_FROM characters) is its events' JSON array, as it is, in
 *   `body` (text): a compressor's set-up per body costs more than it saves, when a chatty
 *   build's log of thousands of one-line batches is read back. So is a chunk that does not
 *   compress (random or already compressed output).
 * - Any other is compressed (on the queen's thread while a batch's budget lasts, then on
 *   libuv's pool: SYNC_BUDGET_MS) into `packed` (bytea): a format byte (PACKED_BROTLI),
 *   then brotli's output. What is compressed is a list of records (RECORDS_VERSION): each
 *   event's JSON and, for an event with output, its JSON without `data` followed by the
 *   data as raw UTF-8. Output is neither escaped into JSON on the way in nor parsed out of
 *   it on the way out: it comes from the drone as raw UTF-8
 *   (common/protocol/data-frame.ts) and leaves as text. The bytes go to the database as
 *   they are, in binary format (PGlite: pglite-statements.ts; postgres.js sends a Buffer
 *   as bytea itself) — until 2026-12-04 they were base64 text in `body`, a third more
 *   for the database to write and the queen to encode, and that much more on disk.
 *
 * Rows stored before keep their `body`, which says what it is by its first character: `[`
 * JSON, `~` brotli as base64 (records, or JSON on rows of 2026-12-03), anything else gzip'd
 * JSON as base64. A row has a `body` or a `packed`, never both (migration 0022).
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompress, brotliDecompressSync, constants, gunzip, gunzipSync } from 'node:zlib';
import type { StoredJobEvent } from '../../common/protocol/index.ts';
import { dataBytesOf } from '../../common/protocol/event-data-bytes.ts';
import { storedJsonOf } from '../../common/protocol/stored-event-json.ts';
import { HiveError } from '../errors.ts';

/** A stored body that cannot be read back (a corrupt row). */
export class CorruptChunkError extends HiveError {}

const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);
const gunzipAsync = promisify(gunzip);
/**
 * Bodies smaller than this are (de)compressed on the spot: a trip through libuv's thread
 * pool costs far more than the work (a log stored in thousands of one-line batches read
 * 8× slower through it).
 */
const SYNC_ZIP_BELOW = 16 * 1024;
const COMPRESS_FROM = 2048;
/** Compressed to this part of its size or more, a chunk is kept as JSON (as base64 text, the rule was the same). */
const KEEP_AS_JSON_FROM = 0.6;
const BROTLI_MARK = '~';
/** The first byte of a `packed` value: brotli's output follows. */
const PACKED_BROTLI = 0x01;
const PACKED_BROTLI_BYTE = Buffer.from([PACKED_BROTLI]);
/** The first byte of a list of records (JSON, the other thing a compressed body holds, starts with `[`). */
const RECORDS_VERSION = 0x01;
const JSON_ONLY = 0;
const WITH_DATA = 1;

/**
 * Brotli at quality 1: on log text it is faster than gzip at level 1, which bodies were
 * before, and compresses better — measured on 256 KiB chunks of event JSON: `seq`'s
 * numbers 8.1 against 10.4 ms per MB to 11.8 % against 27.1 % of their size (gzip's
 * output there was so poor that PostgreSQL's own TOAST compression then shrank it 6× more,
 * at the queen's cost in PGlite), `ls -lR`'s lines 5.6 against 8.4 ms to 13.8 against
 * 14.3 %, a repeated line 0.55 against 2.3 ms. Reading back costs about the same.
 * The size hint lets brotli size its window to the body.
 *
 * The output buffer is as large as the input (zlib's default, 16 KiB, at least): the
 * output then fits in one, where with 16 KiB every 16 KiB of output was a trip from
 * libuv's pool back to the queen's thread and out again (or, compressing on the spot, a
 * loop through JavaScript). Measured on 1 MiB of `seq`'s output compressed on the pool,
 * the queen's thread was busy 1.9 ms with 16 KiB and 0.9 ms with 256 KiB; in a profile of
 * a 50 MB log's build, the thread's time in zlib's writes fell from 25 to 13 ms.
 */
const MIN_OUTPUT_BUFFER = 16 * 1024;
const brotliOptions = (bytes: number) => ({
  chunkSize: Math.max(MIN_OUTPUT_BUFFER, bytes),
  params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: bytes },
});

/**
 * An event as a chunk holds it: its JSON, or its JSON without `data` and the data — with
 * the data's UTF-8 when the drone's frame brought it (common/protocol/event-data-bytes.ts).
 */
export type ChunkPart = { json: string } | { header: string; data: string; dataBytes?: Buffer };

/** How an event goes into a chunk; `chars` is about what it adds to the chunk's size. */
export function chunkPartOf(event: StoredJobEvent): { part: ChunkPart; chars: number } {
  if ('data' in event) {
    const { data, ...rest } = event;
    const header = JSON.stringify(rest);
    return { part: { header, data, dataBytes: dataBytesOf(event) }, chars: header.length + data.length + 10 };
  }
  // The drone's own text of the event when the parser kept it (stored-event-json.ts).
  const json = storedJsonOf(event) ?? JSON.stringify(event);
  return { part: { json }, chars: json.length + 1 };
}

/**
 * How long a batch's chunks may be compressed on the queen's own thread, in milliseconds.
 * A trip through libuv's thread pool costs that thread ~0.3–0.5 ms per chunk (the stream
 * around the compressor: two writes, their callbacks, the output's buffers), while brotli
 * compresses 256 KiB of a repetitive log in ~0.15 ms: for such logs the trip cost more
 * than the work. Output that compresses slowly (~2 ms per chunk) uses the budget up at
 * its first chunk and the rest go to the pool, so the thread is held ~2 ms per batch at
 * most, plus one chunk.
 */
const SYNC_BUDGET_MS = 2;

/** Time left to compress on the queen's thread, shared by the chunks of one batch. */
export interface SyncBudget {
  ms: number;
}

export const syncBudget = (): SyncBudget => ({ ms: SYNC_BUDGET_MS });

/** A chunk as its row holds it: its events' JSON, or their records compressed. */
export type ChunkBody = { body: string; packed: null } | { body: null; packed: Buffer };
/** A chunk's row as read back (rows stored before have a `body` of another kind: see above). */
export interface StoredChunk {
  body: string | null;
  packed: Uint8Array | null;
}

/**
 * The row of a chunk of these parts (`chars`: their sizes added up), compressed on the
 * spot while `budget` lasts (a small body always), else on libuv's thread pool.
 */
export async function encodeChunkParts(parts: ChunkPart[], chars: number, budget: SyncBudget = { ms: 0 }): Promise<ChunkBody> {
  if (chars < COMPRESS_FROM) return { body: jsonArray(parts), packed: null };
  const size = recordsSize(parts);
  const options = brotliOptions(size);
  let compressed: Buffer;
  if (size < SYNC_ZIP_BELOW || budget.ms > 0) {
    const start = performance.now();
    compressed = brotliCompressSync(writeRecords(parts, scratchOf(size)), options);
    budget.ms -= performance.now() - start;
  } else {
    compressed = await brotliAsync(writeRecords(parts, Buffer.allocUnsafe(size)), options);
  }
  // Output that does not compress well (already compressed, random, base64 of either, at
  // ~75 %) is kept as it is: each read would decompress it for little saved.
  if (compressed.length >= chars * KEEP_AS_JSON_FROM) return { body: jsonArray(parts), packed: null };
  return { body: null, packed: Buffer.concat([PACKED_BROTLI_BYTE, compressed]) };
}

/** The row of these events, as the queen stores a batch of them (tools, benches, tests). */
export function encodeChunkEvents(events: StoredJobEvent[]): Promise<ChunkBody> {
  const parts = events.map(chunkPartOf);
  return encodeChunkParts(parts.map((p) => p.part), parts.reduce((n, p) => n + p.chars, 1));
}

const partJson = (part: ChunkPart): string =>
  'json' in part ? part.json : `${part.header.slice(0, -1)},"data":${JSON.stringify(part.data)}}`;

function jsonArray(parts: ChunkPart[]): string {
  return `[${parts.map(partJson).join(',')}]`;
}

/** The size of these parts' records. */
function recordsSize(parts: ChunkPart[]): number {
  let size = 1;
  for (const part of parts) {
    size += 'json' in part ? 5 + Buffer.byteLength(part.json) : 9 + Buffer.byteLength(part.header) + (part.dataBytes?.length ?? Buffer.byteLength(part.data));
  }
  return size;
}

/**
 * The buffer records compressed on the spot are written into, kept from chunk to chunk:
 * a fresh 256 KiB buffer per chunk was memory glibc mapped anew and the kernel faulted
 * in page by page (~3 % of the queen's time on a large log).
 */
let scratch: Buffer | undefined;
const MAX_SCRATCH_BYTES = 1024 * 1024;

function scratchOf(size: number): Buffer {
  if (size > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(size);
  if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 320 * 1024));
  return scratch.subarray(0, size);
}

/**
 * The records of these parts, written straight into `bytes` (of `recordsSize`): made one
 * string first, each 256 KiB body was a large object of its own for V8 (memory mapped
 * afresh, each page faulting on first touch, ~10 µs on the VMs measured), then copied.
 */
function writeRecords(parts: ChunkPart[], bytes: Buffer): Buffer {
  bytes[0] = RECORDS_VERSION;
  let at = 1;
  // A text, or the UTF-8 of one (an event's data as the drone sent it), after its length.
  const text = (s: string | Buffer) => {
    const n = typeof s === 'string' ? bytes.write(s, at + 4) : s.copy(bytes, at + 4);
    bytes.writeUInt32LE(n, at);
    at += 4 + n;
  };
  for (const part of parts) {
    if ('json' in part) {
      bytes[at++] = JSON_ONLY;
      text(part.json);
    } else {
      bytes[at++] = WITH_DATA;
      text(part.header);
      text(part.dataBytes ?? part.data);
    }
  }
  return bytes;
}

/** The events of a stored chunk, whichever way it was stored. */
export async function decodeChunkEvents(chunk: StoredChunk): Promise<StoredJobEvent[]> {
  try {
    if (chunk.packed) return await eventsOfPacked(chunk.packed);
    if (chunk.body === null) throw new CorruptChunkError('a stored log chunk has neither a body nor packed records');
    return await eventsOfBody(chunk.body);
  } catch (cause) {
    if (cause instanceof CorruptChunkError) throw cause;
    throw new CorruptChunkError(`a stored log chunk cannot be read: ${(cause as Error).message}`, { cause });
  }
}

async function eventsOfPacked(packed: Uint8Array): Promise<StoredJobEvent[]> {
  if (packed[0] !== PACKED_BROTLI) throw new CorruptChunkError(`a stored log chunk is packed in an unknown format ${packed[0]}`);
  const compressed = Buffer.from(packed.buffer, packed.byteOffset + 1, packed.byteLength - 1);
  const raw = await (compressed.length < SYNC_ZIP_BELOW ? brotliDecompressSync(compressed) : unbrotliAsync(compressed));
  if (raw[0] !== RECORDS_VERSION) throw new CorruptChunkError(`a stored log chunk holds records of unknown version ${raw[0]}`);
  return eventsOfRecords(raw);
}

/** A `body`: JSON, or (rows stored before 2026-12-04) compressed as base64. */
async function eventsOfBody(body: string): Promise<StoredJobEvent[]> {
  if (body.startsWith('[')) return JSON.parse(body) as StoredJobEvent[];
  const brotli = body.startsWith(BROTLI_MARK);
  const packed = Buffer.from(brotli ? body.slice(BROTLI_MARK.length) : body, 'base64');
  const unpack = brotli ? (packed.length < SYNC_ZIP_BELOW ? brotliDecompressSync : unbrotliAsync) : (packed.length < SYNC_ZIP_BELOW ? gunzipSync : gunzipAsync);
  const raw = await unpack(packed);
  return raw[0] === RECORDS_VERSION ? eventsOfRecords(raw) : JSON.parse(raw.toString('utf8')) as StoredJobEvent[];
}

function eventsOfRecords(raw: Buffer): StoredJobEvent[] {
  const events: StoredJobEvent[] = [];
  let at = 1;
  const text = (): string => {
    if (at + 4 > raw.length) throw new CorruptChunkError('a stored log chunk ends inside a record');
    const end = at + 4 + raw.readUInt32LE(at);
    if (end > raw.length) throw new CorruptChunkError('a stored log chunk ends inside a record');
    const s = raw.toString('utf8', at + 4, end);
    at = end;
    return s;
  };
  while (at < raw.length) {
    const kind = raw[at++];
    if (kind !== JSON_ONLY && kind !== WITH_DATA) throw new CorruptChunkError(`a stored log chunk holds a record of unknown kind ${kind}`);
    const event = JSON.parse(text()) as StoredJobEvent & { data?: string };
    if (kind === WITH_DATA) event.data = text();
    events.push(event);
  }
  return events;
}
