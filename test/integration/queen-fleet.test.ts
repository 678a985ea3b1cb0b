/**
 * Queens sharing one PostgreSQL see one fleet and respect each other's drones: both list
 * every drone with the queen it is connected to; a drone on B is drained, resumed and
 * disconnected through A; A never reaps the lease of a job whose drone is connected to B,
 * however expired it looks; a queen started again marks only its own earlier drones
 * disconnected. PostgreSQL only: the embedded database is one process's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../server/db/client.ts';
import { findDrone } from '../../server/db/drones.ts';
import { findJob } from '../../server/db/jobs.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { nextEvent } from '../helpers/events.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, waitForOutput, type TestQueen } from '../helpers/queen.ts';
import { testDatabaseKind } from '../helpers/test-db.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';
import { until } from '../helpers/until.ts';

const skip = testDatabaseKind() === 'postgres' ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server, the embedded one is a single process\'s';
// Heartbeats every 2 s: a lease made to look expired stays so for the reaper check that follows.
const ENV = { HIVE_HEARTBEAT_MS: '2000', HIVE_LEASE_MS: '10000', HIVE_ADMIN_PASSWORD: 'fleet-admin-password' };

describe('the fleet of queens sharing one PostgreSQL', { skip }, () => {
  let a: TestQueen;
  let b: TestQueen;
  let onA: TestDrone;
  let onB: TestDrone;
  let repo: GitRepo;
  let bDataDir: string;
  let gates: string;

  before(async () => {
    a = await startTestQueen(ENV);
    bDataDir = await mkdtemp(join(tmpdir(), 'hive-queen-b-'));
    const bDb = await openDatabase({ url: a.testDb.url!, maxConnections: 5 });
    const key = (await readFile(join(a.dataDir, 'secret.key'), 'utf8')).trim();
    b = await startTestQueen({ ...ENV, HIVE_SECRET_KEY: key }, { testDb: { ...bDb }, dataDir: bDataDir });
    [onA, onB] = await Promise.all([connectDrone(a, { name: 'on-a' }), connectDrone(b, { name: 'on-b' })]);
    gates = await mkdtemp(join(tmpdir(), 'hive-fleet-gates-'));
    repo = await createGitRepo({ files: { README: 'fleet\n' } });
  });
  after(async () => {
    await Promise.all([onA?.stop(), onB?.stop()]);
    await b?.close();
    await b?.testDb.close();
    await a?.stop();
    await repo?.cleanup();
    for (const dir of [bDataDir, gates]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const drones = async (queen: TestQueen) => {
    const res = await queen.api('GET', '/api/drones');
    assert.equal(res.status, 200, res.text);
    return new Map<string, any>(res.body.drones.map((d: any) => [d.name, d]));
  };

  it('lists every drone of every live queen, each with the queen it is connected to', async () => {
    for (const [queen, other] of [[a, b], [b, a]] as const) {
      const beats = new Map<string, number>((await queen.api('GET', '/api/queens')).body.queens.map((q: any) => [q.id, Date.parse(q.lastSeenAt)]));
      const listed = await drones(queen);
      const own = listed.get(queen === a ? 'on-a' : 'on-b');
      const theirs = listed.get(queen === a ? 'on-b' : 'on-a');
      assert.deepEqual([own.connected, own.queen.id, own.queen.self], [true, queen.queenId, true]);
      assert.deepEqual([theirs.connected, theirs.queen.id, theirs.queen.self, theirs.queen.live], [true, other.queenId, false, true]);
      // Last seen: the other queen's drone no earlier than that queen's last beat (which vouches for its sockets).
      assert.ok(Date.parse(theirs.lastSeenAt) >= beats.get(other.queenId)!, `${theirs.lastSeenAt} vs the beat ${new Date(beats.get(other.queenId)!).toISOString()}`);
    }
    // The drones page says the same: A's own drone "this queen", B's with B's address.
    const session = await logIn(a.url, 'admin', ENV.HIVE_ADMIN_PASSWORD);
    const page = await (await webRequest(a.url, '/drones', { session })).text();
    const row = (name: string) => page.match(new RegExp(`<tr data-drone="${name}">[\\s\\S]*?</tr>`))?.[0] ?? '';
    assert.match(row('on-a'), /this queen/);
    assert.match(row('on-b'), new RegExp(`<code>[^<]*:${b.port}</code>`));
    assert.match(row('on-b'), /status-drone-connected/);
    const queens = (await a.api('GET', '/api/queens')).body;
    assert.equal(queens.self.id, a.queenId);
    assert.deepEqual(queens.queens.map((q: any) => q.id).sort(), [a.queenId, b.queenId].sort());
    assert.ok(queens.queens.every((q: any) => q.live));
  });

  it('never reaps, on A, the lease of a job whose drone is connected to B; B extends it', async () => {
    const project = (await a.api('POST', '/api/projects', {
      name: 'leased', repoUrl: repo.url,
      config: { env: { GATE: join(gates, 'leased') }, phases: { test: ['echo started; while [ ! -e "$GATE" ]; do sleep 0.05; done'] } },
    })).body;
    // Only B's drone can take it: A's is drained for this test.
    const aDrone = (await drones(a)).get('on-a');
    assert.equal((await a.api('POST', `/api/drones/${aDrone.id}/drain`)).status, 200);
    const jobId = (await a.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
    await waitForOutput(b, jobId, /started/);
    // B's drone has vouched for the lease in a heartbeat (B's memory; its next heartbeat is at most 2 s away).
    const lease = (await findJob(a.testDb.db, jobId))!.lease!;
    const bDrone = b.hub.all().find((d) => d.name === 'on-b')!;
    // State kept in the queen's memory, which no event announces.
    await until('a heartbeat naming the lease', () => bDrone.heartbeat?.leases.has(lease) === true, { everyMs: 50 });
    // However expired the lease looks (B's writes late, say), A leaves it to B.
    await a.testDb.db.execute(sql`update jobs set lease_expires_at = now() - interval '1 second' where id = ${jobId}`);
    assert.deepEqual(await a.reaper.check(), { reaped: 0, extended: 0 });
    assert.equal((await findJob(a.testDb.db, jobId))?.status, 'running');
    // B, whose drone vouched for it in a heartbeat within the lease, extends it (or its next heartbeat did).
    assert.equal((await b.reaper.check()).reaped, 0);
    const job = await findJob(a.testDb.db, jobId);
    assert.equal(job?.status, 'running');
    assert.ok(job!.leaseExpiresAt! > new Date(), 'the lease runs again');
    assert.equal((await a.api('POST', `/api/jobs/${jobId}/cancel`)).status, 200);
    await b.waitForJob(jobId, ['cancelled']);
    assert.equal((await a.api('POST', `/api/drones/${aDrone.id}/resume`)).status, 200);
  });

  it('drains, resumes and disconnects a drone of B through A', async () => {
    const id = (await drones(a)).get('on-b').id;
    const drained = nextEvent(b.hub, 'capacity');
    assert.equal((await a.api('POST', `/api/drones/${id}/drain`)).status, 200);
    await drained;
    assert.equal(b.hub.get(id)?.draining, true, 'B applied the drain to the drone it holds');
    const resumed = nextEvent(b.hub, 'capacity');
    assert.equal((await a.api('POST', `/api/drones/${id}/resume`)).status, 200);
    await resumed;
    assert.equal(b.hub.get(id)?.draining, false);

    const gone = nextEvent(b.hub, 'disconnected');
    const back = nextEvent(b.hub, 'connected');
    const res = await a.api('POST', `/api/drones/${id}/disconnect`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.disconnected, 'through its queen');
    await gone;
    await back; // it knows only B, and reconnects there
  });

  it('a queen started again marks only its own earlier drones disconnected', async () => {
    const bDroneId = (await drones(b)).get('on-b').id;
    const aDroneId = (await drones(a)).get('on-a').id;
    const { testDb: aDb, dataDir, queenId } = a;
    await a.close();
    // The closing queen records its drone's disconnect as the socket closes, which may land
    // after close() returned: wait for it, so that it cannot undo what the test sets next.
    const deadline = Date.now() + 10_000;
    while ((await findDrone(aDb.db, aDroneId))?.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // As a killed queen would leave it: its drone still marked connected to it.
    await aDb.db.execute(sql`update drones set connected = true where id = ${aDroneId}`);
    const restartedAt = Date.now();
    a = await startTestQueen(ENV, { testDb: aDb, dataDir });
    assert.equal(a.queenId, queenId, 'the same queen: its id is kept in its data dir');
    const lastSeen = (await findDrone(aDb.db, aDroneId))!.lastSeenAt.getTime();
    assert.ok(lastSeen < restartedAt, 'its earlier drone was last seen in the earlier run, not at the restart');
    assert.equal((await findDrone(aDb.db, aDroneId))?.connected, false, 'its own earlier drone is gone');
    assert.equal((await findDrone(aDb.db, bDroneId))?.connected, true, 'B\'s drone stays connected');
    const listed = await drones(a);
    assert.deepEqual([listed.get('on-b').connected, listed.get('on-b').queen.id], [true, b.queenId]);
    assert.equal(listed.get('on-a').connected, false);
  });
});
