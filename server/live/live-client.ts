/**
 * One `/api/events` socket as the fan-out sees it: frames go out only while the bytes the
 * queen holds for it stay under a small cap, so a client that stops reading costs the
 * queen at most that much. Frames are shared Buffers, never copied per client: the
 * complete WebSocket frame (live-frame.ts) is written straight to the client's TCP socket,
 * as ws itself writes frames when no extension is negotiated (the queen offers none).
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { LiveFrame } from './live-frame.ts';

/**
 * Bytes the queen may hold unsent for one client. A client over it gets no more live
 * frames: its job subscriptions fall back to reading from the database once it drains.
 */
export const CLIENT_BUFFER_CAP_BYTES = 256 * 1024;

const TEXT = { binary: false } as const;

export class LiveClient {
  /** Sends not yet handed to the OS; 0 means drained. */
  #pending = 0;
  #drainWaiters: (() => void)[] = [];
  /** The most bytes ever held for this client (reported in the fan-out's stats). */
  peakBufferedBytes = 0;
  readonly #written = () => {
    if (--this.#pending > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  };

  /**
   * The TCP socket under the WebSocket, when frames may be written to it directly: ws keeps
   * it as `_socket`, and writes a frame to it as one header and payload, unchanged, unless
   * an extension (compression) was negotiated. Otherwise frames go through `ws.send`.
   */
  readonly #raw?: Socket;

  constructor(private readonly ws: WebSocket, readonly capBytes = CLIENT_BUFFER_CAP_BYTES) {
    const raw = (ws as unknown as { _socket?: Socket })._socket;
    if (raw && ws.extensions === '') this.#raw = raw;
    ws.once('close', () => {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
    });
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Whether `bytes` more may be queued now: always when nothing is queued, so a frame larger than the cap still goes out alone. */
  fits(bytes: number): boolean {
    const queued = this.ws.bufferedAmount;
    return queued === 0 || queued + bytes <= this.capBytes;
  }

  /** Sends the frame if it fits under the cap; false (and nothing sent) when it does not. */
  trySend(frame: LiveFrame): boolean {
    if (!this.open) return true; // nobody to send to: as good as delivered
    if (!this.fits(frame.length)) return false;
    this.#pending++;
    if (this.#raw) this.#raw.write(frame.wire, this.#written);
    else this.ws.send(frame.payload, TEXT, this.#written);
    const queued = this.ws.bufferedAmount;
    if (queued > this.peakBufferedBytes) this.peakBufferedBytes = queued;
    return true;
  }

  /** Resolves once everything sent so far was handed to the OS (or the socket closed). */
  drained(): Promise<void> {
    if (this.#pending === 0 || !this.open) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Ends a client that fell too far behind on messages that cannot be re-read (it reconnects and re-reads). */
  overflowed(): void {
    this.ws.terminate();
  }
}
