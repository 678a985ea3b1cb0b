/**
 * PGlite's parser and serializer for bytea, replaced: its own turn each byte into or out of
 * two hex digits in JavaScript (`Uint8Array.from` over `parseInt` of each pair; `map` and
 * `join` of each byte's string) — ~25 s for 50 MiB each way, measured for uploads
 * (uploads.ts), and a log's packed chunks (log-chunk-body.ts) are megabytes. Node's hex
 * codec does the same natively. Parameters of statements run through
 * pglite-statements.ts go as bytes without either; this serves the rest.
 */
import { types } from '@electric-sql/pglite';
import { HiveError } from '../errors.ts';

/** A bytea value PGlite sent in a form this parser does not read (only `bytea_output = hex` is). */
export class ByteaFormatError extends HiveError {}

const HEX_PREFIX = '\\x';

export function parseBytea(text: string): Buffer {
  if (!text.startsWith(HEX_PREFIX)) throw new ByteaFormatError(`a bytea value came as "${text.slice(0, 16)}…", not as hex (bytea_output must be hex)`);
  return Buffer.from(text.slice(HEX_PREFIX.length), 'hex');
}

export function serializeBytea(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`a bytea parameter must be a Buffer or Uint8Array, not ${typeof bytes}`);
  return HEX_PREFIX + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** PGlite's options that install both. */
export const byteaTypeOptions = {
  parsers: { [types.BYTEA]: parseBytea },
  serializers: { [types.BYTEA]: serializeBytea },
};
