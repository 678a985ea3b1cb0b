/**
 * Fault: SIGTERM to a queen or a drone process whose stdout and stderr are pipes nobody
 * reads (a log shipper that hung, a terminal that was suspended). Once the pipes are full
 * every write to them would block; logging must not hold the process up — it keeps
 * serving — and SIGTERM must end it within 5 s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../common/protocol/index.ts';
import { nextEvent } from '../helpers/events.ts';
import { freePort } from '../helpers/free-port.ts';
import { startQueenProcess } from '../helpers/queen-process.ts';
import { openRawDrone } from '../helpers/raw-drone.ts';
import { createTestDatabase } from '../helpers/test-db.ts';
import { cleanupsAfterTests } from '../helpers/file-cleanups.ts';
import { hiveCommandArgs } from '../helpers/built-hive.ts';

/** Enough log lines of a few hundred bytes each to fill any pipe and its reader's buffer many times. */
const FLOOD = 4000;

const { cleanups, tempDir } = cleanupsAfterTests();

describe('SIGTERM with a stalled log pipe', () => {
  it('ends a queen within 5 s, which kept serving while its log could not be written', async (t) => {
    const testDb = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    if (testDb) cleanups.push(() => testDb.close());
    const queen = await startQueenProcess({
      dataDir: await tempDir('hive-sigterm-queen-'),
      port: await freePort(),
      databaseUrl: testDb?.url,
      env: { HIVE_LOG_LEVEL: 'debug' },
      output: 'ignore-pipe',
    });
    cleanups.push(() => queen.kill('SIGKILL'));

    // Each malformed frame costs the queen a warning in its log and the drone an error reply.
    const raw = await openRawDrone(queen.port);
    cleanups.push(async () => raw.close());
    for (let i = 0; i < FLOOD; i++) raw.sendRaw(`{"type":"no-such-message","n":${i}}`);
    let replies = 0;
    await raw.waitFor((m) => m.type === 'error' && ++replies === FLOOD, 60_000);
    assert.ok(queen.process.stdout!.readableLength > 0, 'the test never read the queen\'s output');
    assert.equal((await queen.api('GET', '/healthz')).status, 200, 'still serving');

    const started = Date.now();
    const exit = await queen.kill('SIGTERM');
    const took = Date.now() - started;
    t.diagnostic(`the queen ended ${took} ms after SIGTERM`);
    assert.ok(took < 5000, `the queen ended ${took} ms after SIGTERM`);
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  it('ends a drone within 5 s, which kept working while its log could not be written', async (t) => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    await nextEvent(wss, 'listening');
    const port = (wss.address() as { port: number }).port;
    const connected = nextEvent<[WebSocket]>(wss, 'connection');
    const drone = spawn(process.execPath, [
      ...hiveCommandArgs, 'drone', '--queen', `ws://127.0.0.1:${port}`, '--name', 'stalled-log', '--capacity', '1',
      '--executor', 'process', '--data-dir', await tempDir('hive-sigterm-drone-'),
    ], { env: { PATH: process.env.PATH, HOME: process.env.HOME, HIVE_DRONE_TOKEN: 'any-token-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      drone.once('exit', (code, signal) => resolve({ code, signal })));
    cleanups.push(async () => {
      if (drone.exitCode === null && drone.signalCode === null) drone.kill('SIGKILL');
      await exited;
    });

    // This fake queen floods the drone with frames it cannot read (a warning each), then
    // welcomes and pings it: the pong, answered on the drone's event loop after every frame
    // before it, shows the drone was never blocked by its log.
    const [socket] = await connected;
    for (let i = 0; i < FLOOD; i++) socket.send(`{"type":"no-such-message","n":${i}}`);
    socket.send(JSON.stringify({ type: 'queen:welcome', version: PROTOCOL_VERSION, droneId: 'd-1', heartbeatMs: 100, resume: [] }));
    const ponged = nextEvent(socket, 'pong');
    socket.ping();
    await ponged;
    assert.ok(drone.stdout!.readableLength > 0, 'the test never read the drone\'s output');

    const started = Date.now();
    drone.kill('SIGTERM');
    const exit = await exited;
    const took = Date.now() - started;
    t.diagnostic(`the drone ended ${took} ms after SIGTERM`);
    assert.ok(took < 5000, `the drone ended ${took} ms after SIGTERM`);
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
