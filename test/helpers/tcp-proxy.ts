/**
 * A TCP proxy a test puts between two parties (a drone and its queen, the queen and
 * PostgreSQL) to break the network between them on purpose:
 *
 * - `pause()` — a silent network: nothing is forwarded either way, connections stay open,
 *   data waits (in the sockets' buffers, as in the kernel's during a real outage) until
 *   `resume()` delivers it in order.
 * - `cut()` — an unreachable host: every connection is reset and new ones are refused
 *   (accepted and reset at once) until `restore()`.
 *
 *   const proxy = await startTcpProxy({ port: queen.port });
 *   // connect through proxy.port …
 *   proxy.cut(); …; proxy.restore();
 */
import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  pause(): void;
  resume(): void;
  cut(): void;
  restore(): void;
  /** Connections forwarded now. */
  readonly connections: number;
  /** Emits 'connection' for every connection forwarded. */
  events: EventEmitter;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** Sends RST rather than FIN where Node can: to the peer, the host is gone, not closing. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') socket.resetAndDestroy();
  else socket.destroy();
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const events = new EventEmitter();
  let paused = false;
  let isCut = false;

  /** Forwards `from` → `to` with backpressure, holding everything while paused. */
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!paused) from.resume();
    });
    from.on('end', () => to.end());
  };

  const server = createServer((client) => {
    client.on('error', () => {});
    if (isCut) {
      reset(client);
      return;
    }
    const upstream = connect({ host: target.host ?? '127.0.0.1', port: target.port });
    upstream.on('error', () => {});
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      reset(client);
      reset(upstream);
    };
    client.once('close', drop);
    upstream.once('close', drop);
    forward(client, upstream);
    forward(upstream, client);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    events.emit('connection');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

  return {
    port: (server.address() as { port: number }).port,
    events,
    get connections() {
      return pairs.size;
    },
    pause() {
      paused = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
    },
    cut() {
      isCut = true;
      for (const { client, upstream } of [...pairs]) {
        reset(client);
        reset(upstream);
      }
      pairs.clear();
    },
    restore() {
      isCut = false;
    },
    async close() {
      isCut = true;
      for (const { client, upstream } of pairs) {
        reset(client);
        reset(upstream);
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
