/**
 * A drone's name is one connection across all queens sharing a PostgreSQL: a second
 * drone under a live drone's name is refused whichever queen it says hello to; the same
 * drone back on another queen after its old connection stopped answering takes its place
 * (the old queen closes that connection and says so); a queen that does not answer at all
 * is taken for dead or stuck; two hellos racing on two queens let exactly one in. PGlite
 * is embedded in one process, so this needs a PostgreSQL server (TEST_DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '../../common/protocol/index.ts';
import { openDatabase } from '../../server/db/client.ts';
import { findDrone, isHeld, registerDrone } from '../../server/db/drones.ts';
import { queens } from '../../server/db/schema.ts';
import { DRONE_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';

const skip = process.env.TEST_DATABASE_URL ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server';

describe('drone names across queens sharing one PostgreSQL', { skip, concurrency: false }, () => {
  let a: TestQueen;
  let b: TestQueen;
  let bDataDir: string;
  const open: RawDrone[] = [];

  before(async () => {
    a = await startTestQueen();
    bDataDir = await mkdtemp(join(tmpdir(), 'hive-queen-b-'));
    const bDb = await openDatabase({ url: a.testDb.url!, maxConnections: 5 });
    const key = (await readFile(join(a.dataDir, 'secret.key'), 'utf8')).trim();
    b = await startTestQueen({ HIVE_SECRET_KEY: key }, { testDb: { ...bDb }, dataDir: bDataDir });
  });
  after(async () => {
    for (const d of open) d.close();
    await b?.close();
    await b?.testDb.close();
    await a?.stop();
    if (bDataDir) await rm(bDataDir, { recursive: true, force: true });
  });

  async function raw(queen: TestQueen, opts?: { answerPings?: boolean }) {
    const d = await openRawDrone(queen.port, DRONE_TOKEN, opts);
    open.push(d);
    return d;
  }
  const helloOf = (name: string) => ({ type: 'drone:hello', version: PROTOCOL_VERSION, name, labels: [], plugins: [], capacity: 1, speed: 1, running: [] });
  /** The first answer to a hello: the welcome, or the refusal. */
  const answer = (d: RawDrone) => d.waitFor((m) => m.type === 'queen:welcome' || m.type === 'error') as Promise<{ type: string; code?: string; message?: string }>;
  const holds = (queen: TestQueen, name: string) => queen.hub.all().some((d) => d.name === name);

  it('refuses a second drone under a name connected to another queen, naming that queen', async () => {
    const first = await raw(a);
    const welcome = await first.hello({ name: 'twin' });
    const second = await raw(b);
    second.send(helloOf('twin'));
    const why = await answer(second);
    assert.equal(why.code, 'already_connected');
    assert.match(why.message!, /^a drone named "twin" is already connected, to the queen at .+; give this one another name \(--name\)$/);
    assert.equal((await second.closed).code, 4009);
    assert.ok(holds(a, 'twin') && !holds(b, 'twin'));
    assert.equal(first.messages.some((m) => m.type === 'error'), false, 'the first drone was not disturbed');
    const row = await findDrone(a.testDb.db, welcome.droneId);
    assert.equal(row?.queenId, a.queenId, 'the name still belongs to A');

    // Free on B once the drone left A — whether or not A has written its disconnect yet
    // (asked, A finds it does not hold the drone and says so).
    first.close();
    await first.closed;
    const third = await raw(b);
    assert.equal((await third.hello({ name: 'twin' })).type, 'queen:welcome');
    third.close();
    await third.closed;
  });

  it('lets the drone in on another queen when its old connection stopped answering, which that queen closes', async () => {
    const stale = await raw(a, { answerPings: false });
    const { droneId } = await stale.hello({ name: 'moved' });
    const back = await raw(b);
    assert.equal((await back.hello({ name: 'moved' })).type, 'queen:welcome');
    assert.equal((await stale.closed).code, 4001, 'A closed the connection that did not answer');
    assert.ok(!holds(a, 'moved') && holds(b, 'moved'));
    const row = await findDrone(a.testDb.db, droneId);
    assert.deepEqual([row?.connected, row?.queenId], [true, b.queenId]);
    back.close();
    await back.closed;
  });

  it('takes the name over from a queen that does not answer (dead or stuck, not yet counted dead)', async () => {
    // A queen that beat a moment ago but listens to nobody: its row, and a drone row naming it.
    const hung = randomUUID();
    await a.testDb.db.insert(queens).values({ id: hung, address: 'hung-queen:8080', beatMs: 600_000 });
    const held = await registerDrone(a.testDb.db, { name: 'orphan', labels: [], plugins: [], capacity: 1, speed: 1 }, hung);
    assert.ok(!isHeld(held));
    const drone = await raw(b);
    assert.equal((await drone.hello({ name: 'orphan' })).type, 'queen:welcome');
    assert.equal((await findDrone(a.testDb.db, held.id))?.queenId, b.queenId);
    drone.close();
    await drone.closed;
  });

  it('lets exactly one of two hellos racing on two queens in', async () => {
    const onA = await raw(a);
    const onB = await raw(b);
    onA.send(helloOf('racer'));
    onB.send(helloOf('racer'));
    const outcomes = await Promise.all([answer(onA), answer(onB)]);
    assert.deepEqual(outcomes.map((m) => m.type).sort(), ['error', 'queen:welcome']);
    assert.equal([holds(a, 'racer'), holds(b, 'racer')].filter(Boolean).length, 1);
    assert.equal(outcomes.find((m) => m.type === 'error')?.code, 'already_connected');
  });
});
