/**
 * Several queens sharing one PostgreSQL act as one (LISTEN/NOTIFY): a job triggered on
 * queen A runs on a drone connected to queen B, a browser on A follows it live, and a
 * cancel given on A reaches the drone through B. PGlite is embedded in one process, so
 * this needs a PostgreSQL server (TEST_DATABASE_URL; `.ci/run` provides one).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { openDatabase } from '../../server/db/client.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { openEventsClient } from '../helpers/events-client.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone } from '../helpers/raw-drone.ts';

const skip = process.env.TEST_DATABASE_URL ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server';

describe('queens sharing one PostgreSQL', { skip }, () => {
  let a: TestQueen;
  let b: TestQueen;
  let drone: TestDrone;
  let repo: GitRepo;
  let projectId: string;
  let bDataDir: string;

  before(async () => {
    a = await startTestQueen();
    // Queen B: its own process state and connection pool, the same database.
    bDataDir = await mkdtemp(join(tmpdir(), 'hive-queen-b-'));
    const bDb = await openDatabase({ url: a.testDb.url!, maxConnections: 5 });
    b = await startTestQueen({ HIVE_SECRET_KEY: await sharedKey(a) }, { testDb: { ...bDb }, dataDir: bDataDir });
    drone = await connectDrone(b, { name: 'on-b', capacity: 1 });
    repo = await createGitRepo({ files: { 'README': 'x\n' } });
    projectId = (await a.api('POST', '/api/projects', {
      name: 'shared', repoUrl: repo.url,
      config: { phases: { test: ['i=0; while [ $i -lt 20 ]; do echo "line $i"; i=$((i+1)); sleep 0.02; done'] } },
    })).body.id;
  });
  after(async () => {
    await drone?.stop();
    await b?.close();
    await b?.testDb.close();
    await a?.stop();
    await repo?.cleanup();
    if (bDataDir) await rm(bDataDir, { recursive: true, force: true });
  });

  it('runs a job queued on A on a drone of B, and A\'s subscribers follow it live', async () => {
    const client = await openEventsClient(a.url);
    const jobId = (await a.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id;
    client.send({ type: 'subscribe', jobId });
    const done = await client.waitFor((m) => m.type === 'job' && m.job.status === 'passed');
    assert.equal(done.job.drone.name, 'on-b');
    await client.waitFor(() => {
      const all = client.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
      return all.at(-1)?.seq === done.job.lastSeq;
    });
    const events = client.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
    events.forEach((e, i) => assert.equal(e.seq, i + 1));
    const stdout = events.filter((e) => e.type === 'job:cmd:stdout').map((e) => e.data).join('');
    assert.equal(stdout, Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''));
    client.close();
  });

  it('tells a page on A that watches the fleet when a drone comes to or leaves B', async () => {
    const client = await openEventsClient(a.url);
    client.send({ type: 'subscribe-drones' });
    // The subscription is in place once A answered a message sent after it (messages are
    // handled in order; this one is refused).
    client.send({ type: 'no-such-message' });
    await client.waitFor((m) => m.type === 'error' && m.code === 'protocol_error');
    const changes = () => client.messages.filter((m) => m.type === 'drones-changed').length;
    const joining = await openRawDrone(b.port);
    await joining.hello({ name: 'visiting-b' });
    await client.waitFor(() => changes() >= 1);
    const before = changes();
    joining.close();
    await joining.closed;
    await client.waitFor(() => changes() > before);
    client.close();
  });

  it('relays a cancel given on A to the drone on B', async () => {
    const project = (await a.api('POST', '/api/projects', {
      name: 'shared-long', repoUrl: repo.url, config: { phases: { test: ['echo started; sleep 300'] } },
    })).body;
    const client = await openEventsClient(a.url);
    const jobId = (await a.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
    client.send({ type: 'subscribe', jobId });
    await client.waitFor((m) => m.type === 'events' && m.events.some((e: { data?: string }) => e.data === 'started\n'));
    assert.equal((await a.api('POST', `/api/jobs/${jobId}/cancel`)).status, 200);
    const ended = await client.waitFor((m) => m.type === 'job' && m.job.status === 'cancelled');
    assert.match(ended.job.message, /Cancelled by admin/);
    assert.doesNotMatch(ended.job.message, /did not confirm/, 'the drone itself confirmed');
    client.close();
  });
});

describe('a queen alone on PostgreSQL', { skip }, () => {
  it('announces nothing while no other queen is live, and to a queen that joins at once', async () => {
    const a = await startTestQueen();
    const listener = postgres(a.testDb.url!, { max: 1, onnotice: () => {} });
    const heard: { channel: string; payload: string }[] = [];
    const waiters: (() => void)[] = [];
    for (const channel of ['hive_job_status', 'hive_job_events', 'hive_queue', 'hive_probe']) {
      await listener.listen(channel, (payload) => {
        heard.push({ channel, payload });
        for (const w of waiters.splice(0)) w();
      });
    }
    const until = async (found: () => boolean) => {
      while (!found()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    // Notices are delivered in commit order: once a probe sent after the job ended is
    // heard, every notice the queen sent for the job has been heard too.
    let probes = 0;
    const probe = async () => {
      const id = `probe-${++probes}`;
      await listener.notify('hive_probe', id);
      await until(() => heard.some((h) => h.payload === id));
    };
    const drone = await connectDrone(a, { name: 'lone', capacity: 1 });
    const repo = await createGitRepo({ files: { README: 'x\n' } });
    const dataDir = await mkdtemp(join(tmpdir(), 'hive-queen-b-'));
    let b: TestQueen | undefined;
    try {
      const project = (await a.api('POST', '/api/projects', { name: 'lone', repoUrl: repo.url, config: { phases: { test: ['echo one'] } } })).body;
      const first = (await a.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
      assert.equal((await a.waitForJob(first)).status, 'passed');
      await probe();
      assert.deepEqual(heard.filter((h) => h.channel !== 'hive_probe'), [], 'a queen alone sent no notice');

      const bDb = await openDatabase({ url: a.testDb.url!, maxConnections: 5 });
      b = await startTestQueen({ HIVE_SECRET_KEY: await sharedKey(a) }, { testDb: { ...bDb }, dataDir });
      const second = (await a.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
      assert.equal((await a.waitForJob(second)).status, 'passed');
      await probe();
      const statuses = heard.filter((h) => h.channel === 'hive_job_status').map((h) => JSON.parse(h.payload).j);
      assert.ok(statuses.includes(second), 'the second job\'s statuses were announced to the queen that joined');
      assert.ok(heard.some((h) => h.channel === 'hive_job_events' && JSON.parse(h.payload).j === second), 'and its events');
      assert.ok(!statuses.includes(first));
    } finally {
      await drone.stop();
      await b?.close();
      await b?.testDb.close();
      await listener.end();
      await a.stop();
      await repo.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** The key queen A generated, so B can open the secrets A sealed. */
async function sharedKey(queen: TestQueen): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(join(queen.dataDir, 'secret.key'), 'utf8')).trim();
}
