/**
 * `?wait=<seconds>`: triggers and reads of jobs and runs hold their answer until the job
 * or run has ended (200, final JSON) or the time is up (202, JSON as it stands). Waits
 * listen to job statuses — also those other queens relay — and a client that leaves
 * neither cancels the build nor leaves a listener behind.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../server/db/client.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { nextEvent } from '../helpers/events.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { createJobGates, GATE_SCRIPT, GATED_COMMAND, type JobGates } from '../helpers/job-gates.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let gates: JobGates;
let projectId: string;

before(async () => {
  queen = await startTestQueen();
  gates = await createJobGates();
  repo = await createGitRepo({ files: { 'wait.sh': GATE_SCRIPT + 'echo "gate $1 open"\n' } });
  drone = await connectDrone(queen, { name: 'waiter', capacity: 2 });
  projectId = await project(queen, 'wait');
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await gates?.remove();
});

async function project(on: TestQueen, name: string) {
  const res = await on.api('POST', '/api/projects', {
    name, repoUrl: repo.url, config: { env: gates.env, phases: { test: [GATED_COMMAND] } },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
const open = (jobId: string) => gates.open(jobId);
/** Opens each job's gate as soon as the job exists (before it is even resolved). */
function openGatesOfNewJobs(on: TestQueen): () => void {
  const onStatus = (job: { id: string; status: string }) => {
    if (job.status === 'queued') void open(job.id);
  };
  on.bus.on('job-status', onStatus);
  return () => on.bus.off('job-status', onStatus);
}
const counts = async () => ({
  jobs: (await queen.api('GET', `/api/projects/${projectId}/jobs?limit=200`)).body.jobs.length,
  runs: (await queen.api('GET', `/api/projects/${projectId}/runs?limit=200`)).body.runs.length,
});
const waitListeners = () => queen.bus.listenerCount('job-status') + queen.bus.listenerCount('job-status-remote');

describe('?wait on jobs', () => {
  it('answers 200 with the final job, as GET /api/jobs/:id shows it', async () => {
    const stop = openGatesOfNewJobs(queen);
    try {
      const res = await queen.api('POST', `/api/projects/${projectId}/jobs?wait=60`, {});
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'passed');
      const get = await queen.api('GET', `/api/jobs/${res.body.id}`);
      assert.deepEqual(Object.keys(res.body).sort(), Object.keys(get.body).sort(), 'the same JSON as GET /api/jobs/:id');
      assert.ok(res.body.phases.find((p: { name: string }) => p.name === 'test').commands.length === 1);
    } finally {
      stop();
    }
  });

  it('answers 202 with the job as it is when the time runs out, and a later wait gets the end', async () => {
    const res = await queen.api('POST', `/api/projects/${projectId}/jobs?wait=0.3`, {});
    assert.equal(res.status, 202, res.text);
    assert.ok(['queued', 'assigned', 'running'].includes(res.body.status), res.body.status);
    assert.ok(Array.isArray(res.body.phases), 'the detailed JSON');
    // A read with ?wait picks the wait up; the gate opens while it waits.
    const waited = queen.api('GET', `/api/jobs/${res.body.id}?wait=60`);
    await queen.waitForJob(res.body.id, ['running']);
    await open(res.body.id);
    const done = await waited;
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'passed');
    // A job that has ended answers at once.
    const again = await queen.api('GET', `/api/jobs/${res.body.id}?wait=3600`);
    assert.equal(again.status, 200);
  });

  it('refuses a bad wait with a 400 naming it, before queueing anything', async () => {
    const before = await counts();
    for (const wait of ['0', '-1', '3601', 'abc', '', 'NaN', '1e9', 'Infinity']) {
      for (const path of [`/api/projects/${projectId}/jobs?wait=${wait}`, `/api/projects/${projectId}/runs?wait=${wait}`]) {
        const res = await queen.api('POST', path, { times: 2 });
        assert.equal(res.status, 400, `${path}: ${res.text}`);
        assert.match(res.body.error.message, /^wait: /);
      }
    }
    const someJob = (await queen.api('GET', `/api/projects/${projectId}/jobs?limit=1`)).body.jobs[0].id;
    assert.equal((await queen.api('GET', `/api/jobs/${someJob}?wait=0`)).status, 400);
    assert.deepEqual(await counts(), before, 'nothing was queued');
    assert.equal((await queen.api('GET', '/api/jobs/00000000-0000-4000-8000-000000000000?wait=5')).status, 404);
  });

  it('does not cancel the build when the client goes away, and leaves no listener behind', async () => {
    const baseline = waitListeners();
    const abort = new AbortController();
    const listening = nextEvent(queen.bus, 'newListener', (name: string) => name === 'job-status-remote');
    const request = fetch(`${queen.url}/api/projects/${projectId}/jobs?wait=600`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
      signal: abort.signal,
    });
    request.catch(() => {});
    await listening;
    const [job] = (await queen.api('GET', `/api/projects/${projectId}/jobs?limit=1`)).body.jobs;
    await queen.waitForJob(job.id, ['running']);
    assert.equal(waitListeners(), baseline + 2, 'the wait listens to local and relayed statuses');
    const removed = nextEvent(queen.bus, 'removeListener', (name: string) => name === 'job-status-remote');
    abort.abort();
    await assert.rejects(request);
    await removed;
    assert.equal(waitListeners(), baseline, 'its listeners are gone');
    await open(job.id);
    const done = await queen.waitForJob(job.id);
    assert.equal(done.status, 'passed', 'the build went on');
  });
});

describe('?wait on runs', () => {
  it('answers 200 with the finished run', async () => {
    const stop = openGatesOfNewJobs(queen);
    try {
      const res = await queen.api('POST', `/api/projects/${projectId}/runs?wait=60`, { times: 2 });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'passed');
      assert.equal(res.body.counts.passed, 2);
      assert.deepEqual(res.body, (await queen.api('GET', `/api/runs/${res.body.id}`)).body, 'the same JSON as GET /api/runs/:id');
    } finally {
      stop();
    }
  });

  it('answers 202 on a short wait while a job is blocked, and 200 once all ended', async () => {
    const res = await queen.api('POST', `/api/projects/${projectId}/runs?wait=0.3`, { times: 2 });
    assert.equal(res.status, 202, res.text);
    assert.ok(['queued', 'running'].includes(res.body.status));
    const waited = queen.api('GET', `/api/runs/${res.body.id}?wait=60`);
    const [a, b] = res.body.jobs.map((j: { id: string }) => j.id);
    await open(a);
    await queen.waitForJob(a);
    const short = await queen.api('GET', `/api/runs/${res.body.id}?wait=0.2`);
    assert.equal(short.status, 202, 'one job still runs');
    assert.equal(short.body.status, 'running');
    await open(b);
    const done = await waited;
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'passed');
  });
});

const skip = process.env.TEST_DATABASE_URL ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server';

describe('?wait with queens sharing one PostgreSQL', { skip }, () => {
  let b: TestQueen;
  let bDrone: TestDrone;
  let bDataDir: string;
  let shared: string;

  before(async () => {
    bDataDir = await mkdtemp(join(tmpdir(), 'hive-queen-b-'));
    const key = (await readFile(join(queen.dataDir, 'secret.key'), 'utf8')).trim();
    const bDb = await openDatabase({ url: queen.testDb.url!, maxConnections: 5 });
    b = await startTestQueen({ HIVE_SECRET_KEY: key }, { testDb: { ...bDb }, dataDir: bDataDir });
    bDrone = await connectDrone(b, { name: 'on-b', labels: ['only-b'] });
    const res = await queen.api('POST', '/api/projects', {
      name: 'on-b', repoUrl: repo.url, config: { labels: ['only-b'], phases: { test: ['echo built on b'] } },
    });
    shared = res.body.id;
  });
  after(async () => {
    await bDrone?.stop();
    await b?.close();
    await b?.testDb.close();
    if (bDataDir) await rm(bDataDir, { recursive: true, force: true });
  });

  it('ends the wait on queen A when the job ends on a drone of queen B', async () => {
    const res = await queen.api('POST', `/api/projects/${shared}/jobs?wait=60`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'passed');
    assert.equal(res.body.drone.name, 'on-b');
    const run = await queen.api('POST', `/api/projects/${shared}/runs?wait=60`, { times: 2 });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.body.status, 'passed');
  });
});
