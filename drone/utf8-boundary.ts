/**
 * Where UTF-8 bytes may be cut without changing the text they decode to: output that goes
 * to the queen as bytes (output-coalescer.ts) is cut into events only between characters,
 * so each event's bytes decode on their own exactly as the whole output would.
 *
 * Invalid bytes decode to U+FFFD whichever way they are cut, as long as no cut falls
 * between a lead byte and the continuation bytes that would complete it: these functions
 * look back at most three bytes, the longest a character's continuation can be.
 */

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;

/** How many bytes a character starting with this lead byte has (1 for anything else). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  return 1;
}

/**
 * How many bytes at the end of `bytes` begin a character that the next bytes may
 * complete (0–3): they are held back until those arrive, or the output ends.
 */
export function incompleteTailLength(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let back = 1; back <= Math.min(3, end); back++) {
    const byte = bytes[end - back];
    if (isContinuation(byte)) continue;
    return sequenceLength(byte) > back ? back : 0;
  }
  return 0;
}

/**
 * How many of `next`'s first bytes belong to the character `start` (an incomplete tail, as
 * `incompleteTailLength` found it) begins: its continuation bytes, as many as it lacks and
 * `next` has. Fewer than it lacks, with more of `next` after them, leaves it invalid — it
 * decodes to U+FFFD however the bytes after it are cut.
 */
export function continuationLength(start: Uint8Array, next: Uint8Array): number {
  const lacking = sequenceLength(start[0]) - start.length;
  let n = 0;
  while (n < lacking && n < next.length && isContinuation(next[n])) n++;
  return n;
}

/**
 * The largest cut at or before `at` (0 < at < bytes.length) that falls between
 * characters; `at` itself when the bytes there are not a character's continuation, and
 * never 0 (a run of stray continuation bytes is cut where asked).
 */
export function characterBoundaryAtOrBefore(bytes: Uint8Array, at: number): number {
  for (let cut = at; cut >= Math.max(1, at - 3); cut--) {
    if (!isContinuation(bytes[cut])) return cut;
  }
  return at;
}
