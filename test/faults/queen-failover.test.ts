/**
 * Fault: two queens share one PostgreSQL and a drone knows both; the queen it is connected
 * to is SIGKILLed mid-build. The drone moves to the other queen at once (no backoff while
 * a queen is untried), resumes its job's stream there from the last stored seq, and the job
 * passes as the same attempt — nothing errored, every line once, in order, as the
 * surviving queen's API and a watcher on its /api/events both see it.
 *
 * The two queens start at the same moment on an empty database: both migrate (one waits
 * for the other's advisory lock) and both come up. PostgreSQL only: the embedded database
 * belongs to one process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startDrone } from '../helpers/drone-process.ts';
import { openEventsClient, type EventsClient } from '../helpers/events-client.ts';
import { freePort } from '../helpers/free-port.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, jobLog, numberedLines, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startQueenProcess, type QueenProcess } from '../helpers/queen-process.ts';
import { createEmptyPostgresDatabase, testDatabaseKind } from '../helpers/test-db.ts';

const skip = testDatabaseKind() === 'postgres' ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server, the embedded one is a single process\'s';
const LINES = 40;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** The job's stdout as the watcher has received it so far, from every `events` message of the job. */
function stdoutOf(client: EventsClient, jobId: string): string {
  return client.messages
    .filter((m) => m.type === 'events' && m.jobId === jobId)
    .flatMap((m) => m.events)
    .filter((e: { type: string }) => e.type === 'job:cmd:stdout')
    .map((e: { data: string }) => e.data)
    .join('');
}

describe('a queen of two killed mid-build', { skip }, () => {
  it('the drone moves to the other queen and the job passes there with every line once', async (t) => {
    let last = Date.now();
    const took = (what: string) => {
      t.diagnostic(`${what}: ${Date.now() - last} ms`);
      last = Date.now();
    };
    const database = (await createEmptyPostgresDatabase())!;
    cleanups.push(() => database.drop());
    const repo = await createGitRepo({ files: { README: 'failover\n' } });
    cleanups.push(() => repo.cleanup());
    const secretKey = randomBytes(32).toString('hex');
    const queenOptions = async (name: string) => {
      const dataDir = await mkdtemp(join(tmpdir(), `hive-failover-${name}-`));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      return {
        dataDir, port: await freePort(), databaseUrl: database.url,
        // A short lease: were the drone's jobs not taken over, they would end errored within the test.
        env: { HIVE_SECRET_KEY: secretKey, HIVE_HEARTBEAT_MS: '300', HIVE_LEASE_MS: '5000' },
      };
    };
    const [aOptions, bOptions] = await Promise.all([queenOptions('a'), queenOptions('b')]);

    // Both at the same moment, on an empty database: both migrate, under the advisory lock.
    const [a, b] = await Promise.all([startQueenProcess(aOptions), startQueenProcess(bOptions)]);
    cleanups.push(() => a.kill('SIGKILL'), () => b.kill('SIGTERM'));
    took('two queens started at once on an empty database serve');

    const gate = join(aOptions.dataDir, 'gate');
    const projectId = await numberedProject(a.api, { name: 'failover', repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0.01 });
    const jobId = await triggerJob(a.api, projectId);
    // Both queens' addresses, A's first: the drone connects to A.
    const drone = await startDrone(undefined, { name: 'mover', ports: [a.port, b.port] });
    cleanups.push(() => drone.stop());
    const watcher = await openEventsClient(b.url);
    cleanups.push(async () => watcher.close());
    watcher.send({ type: 'subscribe', jobId });
    await watcher.waitFor(() => /^line 10$/m.test(stdoutOf(watcher, jobId)), 30_000);
    took('the job printed its first lines on a drone of A, followed on B');
    const onA = await droneOf(a, 'mover');
    assert.equal(onA.queen?.id, (await queenSelf(a)).id, 'connected to A');

    assert.deepEqual(await a.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });
    await writeFile(gate, ''); // the rest is printed after A is gone

    const res = await b.api('GET', `/api/jobs/${jobId}?wait=30`);
    took('A killed; the job passed on B');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'passed', `${res.body.status}: ${res.body.message ?? ''}\n${drone.output().slice(-3000)}`);
    assert.equal(res.body.attempt, 1, 'the same attempt, not a re-run');
    assertNumberedLog(await jobLog(b.api, jobId), LINES);

    // The watcher on B saw every line once, in order, across the move.
    await watcher.waitFor(() => numberedLines(stdoutOf(watcher, jobId)).length >= LINES, 10_000);
    assertNumberedLog(stdoutOf(watcher, jobId), LINES);
    const onB = await droneOf(b, 'mover');
    assert.equal(onB.queen?.id, (await queenSelf(b)).id, 'now connected to B');
    assert.equal(onB.connected, true);
    assert.match(drone.output(), /welcomed by the queen/);
  });
});

async function droneOf(queen: QueenProcess, name: string): Promise<any> {
  const res = await queen.api('GET', '/api/drones');
  assert.equal(res.status, 200, res.text);
  const drone = res.body.drones.find((d: any) => d.name === name);
  assert.ok(drone, `drone ${name} listed: ${res.text}`);
  return drone;
}

/** The queen answering (its id in the fleet view). */
async function queenSelf(queen: QueenProcess): Promise<{ id: string }> {
  const res = await queen.api('GET', '/api/queens');
  assert.equal(res.status, 200, res.text);
  return res.body.self;
}
