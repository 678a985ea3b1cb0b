/**
 * Routes WebSocket upgrades on the queen's HTTP server: `/drone` for drones (drone token)
 * and `/api/events` for browsers and the CLI (API token in the Authorization header or
 * the `token` query parameter, since browsers cannot set headers on a WebSocket).
 * A refused upgrade is answered with a plain HTTP status and nothing is created.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { tickPeer, watchPeer, type PeerLiveness } from '../../common/peer-liveness.ts';
import { MAX_MESSAGE_BYTES } from '../../common/protocol/index.ts';
import { bearerToken } from '../auth/tokens.ts';
import type { Logger } from '../logger.ts';
import type { DroneCredential } from '../auth/drone-credentials.ts';

import type { StillAllowed } from '../live/credential-rechecks.ts';

/** The credential an events socket was opened with. */
export interface EventsCredential {
  /** Names the credential (a hash of the token or session), so sockets opened with one share its re-checks. */
  key: string;
  /** Whether it is still valid (not revoked, ended or expired). */
  stillAllowed: StillAllowed;
}

export interface UpgradeHandlers {
  log: Logger;
  /** The drone credential a token is (which names it may speak for), or undefined. */
  authorizeDrone(token: string): Promise<DroneCredential | undefined>;
  /**
   * Whether a token (or session) may follow jobs: undefined when not, else the credential
   * with a check that it is still good (asked again while the socket stays open).
   */
  authorizeEvents(token: string | undefined, req: IncomingMessage): Promise<EventsCredential | undefined>;
  /** `liveness` knows when the drone was last heard from (any frame). */
  onDrone(ws: WebSocket, credential: DroneCredential, req: IncomingMessage, liveness: PeerLiveness): void;
  onEvents(ws: WebSocket, credential: EventsCredential): void;
  /**
   * How often a drone that sent nothing since the last check is pinged; one that answers
   * nothing until the next check is dropped (peer-liveness.ts). Drones ping the queen at
   * the same period when they hear nothing, so an idle link costs one ping and its pong.
   */
  dronePingMs: number;
  /** The same for event watchers (browsers, the CLI), which seldom send anything. */
  watcherPingMs: number;
  /** Hears of every refused credential (counted in /metrics, logged rate-limited). */
  onRejected?(kind: 'drone' | 'api_token', req: IncomingMessage): void;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function attachSocketUpgrades(server: Server, h: UpgradeHandlers): { close(): void } {
  const drones = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const events = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const liveness = new WeakMap<WebSocket, PeerLiveness>();

  const track = (ws: WebSocket): PeerLiveness => {
    const peer = watchPeer(ws, 1);
    liveness.set(ws, peer);
    ws.on('error', (err) => h.log.debug({ err }, 'websocket error'));
    return peer;
  };

  server.on('upgrade', async (req, socket, head) => {
    socket.on('error', () => {});
    try {
      const url = new URL(req.url ?? '/', 'http://queen');
      if (url.pathname === '/drone') {
        const token = bearerToken(req.headers.authorization);
        const credential = token ? await h.authorizeDrone(token) : undefined;
        if (!credential) {
          h.onRejected?.('drone', req);
          return refuse(socket, 401, 'Unauthorized');
        }
        drones.handleUpgrade(req, socket, head, (ws) => {
          h.onDrone(ws, credential, req, track(ws));
        });
      } else if (url.pathname === '/api/events') {
        const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
        const credential = await h.authorizeEvents(token, req);
        if (!credential) {
          if (token) h.onRejected?.('api_token', req);
          return refuse(socket, 401, 'Unauthorized');
        }
        events.handleUpgrade(req, socket, head, (ws) => {
          track(ws);
          h.onEvents(ws, credential);
        });
      } else {
        refuse(socket, 404, 'Not Found');
      }
    } catch (err) {
      h.log.error({ err }, 'websocket upgrade failed');
      refuse(socket, 500, 'Internal Server Error');
    }
  });

  const check = (clients: Set<WebSocket>) => () => {
    for (const ws of clients) {
      const peer = liveness.get(ws);
      if (peer) tickPeer(ws, peer);
    }
  };
  const timers = [setInterval(check(drones.clients), h.dronePingMs), setInterval(check(events.clients), h.watcherPingMs)];
  for (const timer of timers) timer.unref();

  return {
    close() {
      for (const timer of timers) clearInterval(timer);
      // A planned stop says so (1001 "going away"): drones log a restart, not a lost queen.
      // Whatever has not closed a moment later is cut, so shutdown never waits on a peer.
      for (const ws of [...drones.clients, ...events.clients]) ws.close(1001, 'queen stopping');
      setTimeout(() => {
        for (const ws of [...drones.clients, ...events.clients]) ws.terminate();
      }, 250).unref();
      drones.close();
      events.close();
    },
  };
}
