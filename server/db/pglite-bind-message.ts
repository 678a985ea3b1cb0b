/**
 * The Bind, Execute and Sync messages of one run of a prepared statement (the PostgreSQL
 * wire protocol), written into one buffer of exactly their size.
 *
 * PGlite's own serializer (pg-protocol's) copied a binary parameter five times — a slice
 * of it, into a parameter writer that starts at 256 bytes for every message and grows by
 * half its size at a time, out of that, into the message's writer (growing the same way),
 * and out of that — each time into a zero-filled ArrayBuffer, and joining the three
 * messages was a sixth copy. A large log's chunk bodies are nearly all the bytes the queen
 * hands PGlite: in a profile of a build printing 2M short lines (2.7 MB of bodies), those
 * copies were ~21 ms of the queen's thread, besides the garbage they left. Here a text
 * is written once, as UTF-8, straight into the message.
 */

/**
 * A parameter: a string in text format; `{ binary }` in binary format — bytes, or a
 * string's UTF-8 (what `textrecv` takes for a text parameter); null for SQL NULL.
 */
export type BindValue = string | { binary: string | Uint8Array } | null;

/** Execute (the unnamed portal, every row) and Sync. */
const EXECUTE_SYNC = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x53, 0, 0, 0, 4]);
const BIND = 0x42;
const TEXT_FORMAT = 0;
const BINARY_FORMAT = 1;

export function bindExecuteSync(statement: string, values: readonly BindValue[]): Uint8Array {
  const datas = values.map((value) => (value === null || typeof value === 'string' ? value : value.binary));
  const lengths = datas.map((data) => (data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength));
  const statementBytes = Buffer.byteLength(statement);
  // The length counts itself, not the message's type byte.
  const bindLength = 4 + 1 + statementBytes + 1 + 2 + 2 * values.length + 2
    + lengths.reduce((n, length) => n + 4 + length, 0) + 2;
  const out = Buffer.allocUnsafe(1 + bindLength + EXECUTE_SYNC.length);
  out[0] = BIND;
  let at = out.writeInt32BE(bindLength, 1);
  out[at++] = 0; // the unnamed portal
  at += out.write(statement, at);
  out[at++] = 0;
  at = out.writeUInt16BE(values.length, at);
  for (const value of values) at = out.writeUInt16BE(value !== null && typeof value !== 'string' ? BINARY_FORMAT : TEXT_FORMAT, at);
  at = out.writeUInt16BE(values.length, at);
  datas.forEach((data, i) => {
    if (data === null) {
      at = out.writeInt32BE(-1, at);
      return;
    }
    at = out.writeInt32BE(lengths[i], at);
    if (typeof data === 'string') out.write(data, at);
    else out.set(data, at);
    at += lengths[i];
  });
  at = out.writeUInt16BE(0, at); // no result format codes: every column as text
  EXECUTE_SYNC.copy(out, at);
  return out;
}
