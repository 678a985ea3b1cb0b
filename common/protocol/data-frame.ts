/**
 * A job event whose `data` travels as raw UTF-8 after its JSON, in a binary WebSocket
 * frame: a command's output, which is most of what a drone sends. As JSON text, every
 * byte of output was escaped by the drone's `JSON.stringify` (~3.8 ns per byte, the
 * largest part of a drone's work on a large log) and unescaped by the queen's
 * `JSON.parse` (~2.7 ns per byte); here the drone writes the string's UTF-8 and the queen
 * reads it back, each well under a nanosecond per byte.
 *
 * Layout: one byte DATA_FRAME_KIND; the length of the header as a 32-bit big-endian integer;
 * the header, the event's JSON without `data`; then `data`, to the end of the frame.
 * The queen checks a decoded frame with the same schema as the event's JSON form.
 */
import { ProtocolError } from './protocol-error.ts';

/** The first byte of a data frame (the only kind of binary frame there is). */
const DATA_FRAME_KIND = 0x01;
const PREFIX_BYTES = 5;

/**
 * The frame of an event: `header` is its JSON without `data`; `data` as text, or its
 * UTF-8 in parts, copied one after the other.
 */
export function encodeDataFrame(header: string, data: string | readonly Uint8Array[]): Buffer {
  const headerBytes = Buffer.byteLength(header);
  let dataBytes = 0;
  if (typeof data === 'string') dataBytes = Buffer.byteLength(data);
  else for (const part of data) dataBytes += part.length;
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + headerBytes + dataBytes);
  frame[0] = DATA_FRAME_KIND;
  frame.writeUInt32BE(headerBytes, 1);
  frame.write(header, PREFIX_BYTES);
  let at = PREFIX_BYTES + headerBytes;
  if (typeof data === 'string') frame.write(data, at);
  else for (const part of data) { frame.set(part, at); at += part.length; }
  return frame;
}

/**
 * The event a data frame carries, as its JSON form would parse — the header's members and
 * `data` — checked no further than the framing; a ProtocolError says what is wrong.
 */
export function dataFrameEvent(frame: Buffer): Record<string, unknown> {
  if (frame.length < PREFIX_BYTES) throw new ProtocolError(`binary frame of ${frame.length} bytes is too short`);
  if (frame[0] !== DATA_FRAME_KIND) throw new ProtocolError(`binary frame of unknown kind ${frame[0]}`);
  const headerEnd = PREFIX_BYTES + frame.readUInt32BE(1);
  if (headerEnd > frame.length) throw new ProtocolError('binary frame\'s header runs past its end');
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8', PREFIX_BYTES, headerEnd));
  } catch (cause) {
    throw new ProtocolError('binary frame\'s header is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('binary frame\'s header must be a JSON object');
  if ('data' in value) throw new ProtocolError('binary frame\'s header must not hold "data"');
  return { ...value, data: frame.toString('utf8', headerEnd) };
}

/** The bytes of a data frame's `data` (of a frame `dataFrameEvent` accepted). */
export function dataFrameData(frame: Buffer): Buffer {
  return frame.subarray(PREFIX_BYTES + frame.readUInt32BE(1));
}
