/**
 * The UTF-8 bytes of an output event's `data` as they came in the drone's data frame
 * (data-frame.ts), kept beside the string the queen decoded from them. Storing a chunk
 * writes each event's data as UTF-8 again (server/db/log-chunk-body.ts): measuring and
 * encoding the string once more cost the queen's thread ~37 ms per 50 MB of log, where
 * copying the bytes it already has costs a few.
 *
 * Only bytes that are valid UTF-8 are kept: those decode to a string that encodes back to
 * exactly them. Output that is not (a binary dump) was decoded with replacement
 * characters, and is encoded from the string as before, so what is stored is always the
 * string's UTF-8, whichever way it was made.
 */
import { isUtf8 } from 'node:buffer';

const dataBytes = new WeakMap<object, Buffer>();

/** Called by the parser for a valid event whose `data` was decoded from `bytes`. */
export function noteDataBytes(event: { data: string }, bytes: Buffer): void {
  if (isUtf8(bytes)) dataBytes.set(event, bytes);
}

/** The UTF-8 of an event's `data`, when the parser kept it (or it was carried to this form). */
export function dataBytesOf(event: object): Buffer | undefined {
  return dataBytes.get(event);
}

/** Another form of an event (its stored form) keeps the bytes of the same `data`. */
export function carryDataBytes(from: object, to: object): void {
  const bytes = dataBytes.get(from);
  if (bytes !== undefined) dataBytes.set(to, bytes);
}
