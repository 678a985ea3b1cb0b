/**
 * Whether the other end of a WebSocket is still there, with as few frames as possible.
 *
 * Both ends tick at their own period. A tick after which something was heard from the peer
 * (a message, a ping, a pong) needs no ping: the peer is there. Only a tick after silence
 * sends a ping, and a peer that leaves `maxUnanswered` such pings unanswered is dead. The
 * two ends thereby keep each other alive with about one ping and its pong per period
 * between them — the queen of a thousand idle drones used to receive a heartbeat, a ping
 * and a pong from each of them every period, and to ping each of them as well.
 */

/** What of a WebSocket (the `ws` package's) this needs: the frames that arrive, ping, cut. */
export interface PeerSocket {
  on(event: 'message' | 'ping' | 'pong', listener: () => void): unknown;
  ping(): void;
  terminate(): void;
}

export type LivenessVerdict = 'heard' | 'ping' | 'dead';

export class PeerLiveness {
  #heardAt: number;
  #heardSinceTick = true;
  #unanswered = 0;

  constructor(private readonly maxUnanswered: number) {
    this.#heardAt = Date.now();
  }

  /** Something arrived from the peer. */
  heard(): void {
    this.#heardSinceTick = true;
    this.#heardAt = Date.now();
  }

  /** When something last arrived from the peer (ms since the epoch; the start until then). */
  get heardAt(): number {
    return this.#heardAt;
  }

  /** At each period: `heard` (nothing to do), `ping` (send one now), or `dead` (drop the socket). */
  tick(): LivenessVerdict {
    if (this.#heardSinceTick) {
      this.#heardSinceTick = false;
      this.#unanswered = 0;
      return 'heard';
    }
    if (this.#unanswered >= this.maxUnanswered) return 'dead';
    this.#unanswered++;
    return 'ping';
  }
}

/** A liveness for `ws`, told of every frame that arrives on it. */
export function watchPeer(ws: PeerSocket, maxUnanswered: number): PeerLiveness {
  const liveness = new PeerLiveness(maxUnanswered);
  const heard = () => liveness.heard();
  ws.on('message', heard);
  ws.on('ping', heard);
  ws.on('pong', heard);
  return liveness;
}

/** One tick of `liveness` applied to its socket: nothing, a ping, or the socket cut; returns which. */
export function tickPeer(ws: PeerSocket, liveness: PeerLiveness): LivenessVerdict {
  const verdict = liveness.tick();
  if (verdict === 'dead') ws.terminate();
  else if (verdict === 'ping') ws.ping();
  return verdict;
}
