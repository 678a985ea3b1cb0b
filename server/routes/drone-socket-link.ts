/** A drone's WebSocket as the drone session sees it: send, close, a liveness probe, when last heard. */
import type { WebSocket } from 'ws';
import type { PeerLiveness } from '../../common/peer-liveness.ts';
import type { DroneLink } from '../scheduler/drone-hub.ts';

export function socketLink(ws: WebSocket, liveness: PeerLiveness): DroneLink {
  return {
    heardAt: () => liveness.heardAt,
    send: (m) => ws.send(JSON.stringify(m)),
    close: (code, reason) => ws.close(code, reason),
    probe: (timeoutMs) => new Promise<boolean>((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve(false);
      const done = (alive: boolean) => {
        clearTimeout(timer);
        ws.off('pong', onPong);
        ws.off('close', onClose);
        resolve(alive);
      };
      const onPong = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      ws.on('pong', onPong);
      ws.once('close', onClose);
      try {
        ws.ping();
      } catch {
        done(false);
      }
    }),
  };
}
