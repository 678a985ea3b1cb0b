/**
 * A queen → client message of `/api/events`, serialized once. The fan-out builds one frame
 * per event batch or status change and hands the same bytes to every subscriber: encoding
 * per subscriber was half of a busy queen's CPU with a thousand watchers of one job.
 *
 * `wire` is the whole WebSocket frame as a server sends it (RFC 6455 §5.2: FIN and the text
 * opcode, the payload length, no mask), built on first use and then written as it is to
 * every socket (live-client.ts) — one buffer and one write per socket, where ws's own send
 * allocated a header and an options object and wrote twice for each.
 */
import type { LiveServerMessage } from '../../common/live-events.ts';

const FIN_TEXT = 0x81;

function frameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([FIN_TEXT, length]);
  if (length < 65_536) {
    const header = Buffer.alloc(4);
    header[0] = FIN_TEXT;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = FIN_TEXT;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

export class LiveFrame {
  /** The message's JSON, as UTF-8. */
  readonly payload: Buffer;
  #wire?: Buffer;

  constructor(message: LiveServerMessage) {
    this.payload = Buffer.from(JSON.stringify(message));
  }

  /** Payload bytes (what a client's buffer grows by, give or take the header). */
  get length(): number {
    return this.payload.length;
  }

  get wire(): Buffer {
    return (this.#wire ??= Buffer.concat([frameHeader(this.payload.length), this.payload]));
  }
}

export const encodeFrame = (message: LiveServerMessage): LiveFrame => new LiveFrame(message);
