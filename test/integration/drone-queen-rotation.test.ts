/**
 * A drone connection given several queens: it uses the first that welcomes it and, when
 * that one is lost or cannot be reached, tries the next at once — well within a heartbeat
 * period, whatever its backoff — saying hello with its running jobs; only after every
 * queen failed in a row does it back off. Small WebSocket servers play the queens, so this
 * runs without a database.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { QueenConnection } from '../../drone/connection.ts';
import { PROTOCOL_VERSION, parseDroneMessage, type DroneHello } from '../../common/protocol/index.ts';
import { freePort } from '../helpers/free-port.ts';

/** A queen that welcomes every drone and reports each hello. */
async function fakeQueen(): Promise<{ url: string; hellos: { hello: DroneHello; socket: WebSocket }[]; next(): Promise<{ hello: DroneHello; socket: WebSocket }>; close(): Promise<void> }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const hellos: { hello: DroneHello; socket: WebSocket }[] = [];
  const waiters: ((h: { hello: DroneHello; socket: WebSocket }) => void)[] = [];
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = parseDroneMessage(data as Buffer);
      if (message.type !== 'drone:hello') return;
      socket.send(JSON.stringify({ type: 'queen:welcome', version: PROTOCOL_VERSION, droneId: '00000000-0000-4000-8000-000000000001', heartbeatMs: 60_000, resume: [] }));
      const seen = { hello: message, socket };
      hellos.push(seen);
      waiters.splice(0).forEach((w) => w(seen));
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hellos,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => {
      for (const c of server.clients) c.terminate();
      server.close(() => resolve());
    }),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe('a drone connection with several queens', () => {
  it('moves to the next queen at once when it loses one, and skips one it cannot reach', async () => {
    const [a, b] = [await fakeQueen(), await fakeQueen()];
    cleanups.push(() => a.close(), () => b.close());
    const nobody = `ws://127.0.0.1:${await freePort()}`; // a queen that is down
    const running = [{ jobId: '00000000-0000-4000-8000-0000000000aa', lease: '00000000-0000-4000-8000-0000000000bb', lastSeq: 7 }];
    const connection = new QueenConnection({
      queenUrl: a.url,
      queenUrls: [a.url, nobody, b.url],
      token: 'T',
      hello: () => ({ name: 'mover', capacity: 1, speed: 1, labels: [], plugins: [], running }),
      heartbeatJobs: () => [],
      logger: pino({ level: 'silent' }),
      // A backoff far longer than the move may take: moving to an untried queen is not a retry.
      backoff: { initialMs: 20_000, maxMs: 20_000 },
    });
    cleanups.push(() => connection.stop());
    const onA = a.next();
    connection.start();
    await onA;
    assert.equal(connection.queenUrl, a.url);

    const onB = b.next();
    const lostAt = Date.now();
    a.hellos[0].socket.terminate(); // queen A is gone
    const { hello } = await onB;
    const took = Date.now() - lostAt;
    assert.ok(took < 2_000, `on queen B ${took} ms after losing A, past the queen that is down`);
    assert.equal(connection.queenUrl, b.url);
    assert.deepEqual(hello.running, running, 'the hello lists the running jobs, to resume them there');
  });
});
