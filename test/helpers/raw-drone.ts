/**
 * A hand-driven drone connection: a real WebSocket speaking the protocol message by
 * message, for tests of how the queen treats exact sequences (duplicates, stale leases,
 * malformed frames) that a well-behaved drone would never produce on purpose.
 */
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, type QueenMessage } from '../../common/protocol/index.ts';
import { DRONE_TOKEN } from './queen.ts';

export interface RawDrone {
  messages: QueenMessage[];
  send(message: unknown): void;
  /** A frame as it is: text, or (a Buffer) a binary frame. */
  sendRaw(frame: string | Buffer): void;
  waitFor<T extends QueenMessage = QueenMessage>(match: (m: QueenMessage) => boolean, timeoutMs?: number): Promise<T>;
  hello(over?: Record<string, unknown>): Promise<Extract<QueenMessage, { type: 'queen:welcome' }>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
  /** The socket itself, for tests of the link's upkeep (pings and pongs). */
  socket: WebSocket;
}

/** `answerPings: false` plays a half-open connection: the socket stays, the peer never answers. */
export async function openRawDrone(port: number, token = DRONE_TOKEN, opts: { answerPings?: boolean } = {}): Promise<RawDrone> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/drone`, {
    headers: { authorization: `Bearer ${token}` },
    autoPong: opts.answerPings ?? true,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const messages: QueenMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    messages.push(JSON.parse(raw.toString()));
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const drone: RawDrone = {
    messages,
    closed,
    socket: ws,
    send: (m) => ws.send(JSON.stringify(m)),
    sendRaw: (frame) => ws.send(frame),
    waitFor(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < messages.length; seen++) {
            if (match(messages[seen])) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(messages[seen] as never);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async hello(over = {}) {
      const from = messages.length;
      drone.send({ type: 'drone:hello', version: PROTOCOL_VERSION, name: 'raw', capacity: 1, speed: 1, labels: [], plugins: [], running: [], ...over });
      return drone.waitFor((m) => m.type === 'queen:welcome' && messages.indexOf(m) >= from);
    },
    close: () => ws.close(),
  };
  return drone;
}
