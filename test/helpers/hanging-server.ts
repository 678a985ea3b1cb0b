/**
 * A "git server" that accepts connections and never answers — or, with `trickleMs`, answers
 * with HTTP headers and then one byte of body every `trickleMs`, forever: a little data
 * keeps coming (a low-speed limit below it never fires), so only a total timeout ends the fetch.
 *
 *   const server = await startHangingServer();
 *   server.url('a.git');   // http://127.0.0.1:PORT/a.git
 *   server.maxRequests;    // the most connections that sent a request at the same time
 */
import { EventEmitter } from 'node:events';
import { createServer, type Socket } from 'node:net';

export interface HangingServer {
  port: number;
  url(repo?: string): string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections open now that sent a request. */
  readonly requests: number;
  /** The most connections that had sent a request at one time. */
  readonly maxRequests: number;
  /** Emits 'request' when a connection sends its first bytes. */
  events: EventEmitter;
  close(): Promise<void>;
}

export async function startHangingServer(options: { trickleMs?: number } = {}): Promise<HangingServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  let maxRequests = 0;
  const events = new EventEmitter();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let timer: NodeJS.Timeout | undefined;
    let requesting = false;
    socket.once('data', () => {
      requesting = true;
      maxRequests = Math.max(maxRequests, ++requests);
      events.emit('request');
      if (options.trickleMs === undefined) return;
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
      timer = setInterval(() => socket.write('1\r\n#\r\n'), options.trickleMs);
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      if (requesting) requests--;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (repo = 'repo.git') => `http://127.0.0.1:${port}/${repo}`,
    events,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    get maxRequests() {
      return maxRequests;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
