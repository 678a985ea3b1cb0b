/**
 * A `.hive.yml` matrix through a real queen and a real drone: one job per combination,
 * each with its variables in the environment of every command and its combination as
 * its name; re-runs keep their combination; bad matrices and trusted settings end the
 * job errored before any sibling is queued.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findJob } from '../../server/db/jobs.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let projectId: string;

const matrixYml = `
matrix:
  NODE: ["18", "20"]
  DB: [pg, sqlite]
  exclude:
    - { NODE: "18", DB: sqlite }
env:
  NODE: "the matrix wins over env"
phases:
  test:
    - echo "node=$NODE db=$DB job=$HIVE_JOB_ID"
    - sh -c 'echo "in a child, node=$NODE"'
`;

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { '.hive.yml': matrixYml } });
  await repo.commit({ branch: 'bad-matrix', files: { '.hive.yml': 'matrix:\n  NODE: ["18"]\n  exclude: [{ NODE: "19" }]\n' } });
  await repo.commit({
    branch: 'privileged',
    files: { '.hive.yml': 'matrix:\n  NODE: ["18", "20"]\nplugins:\n  - name: docker\n    config: { image: "busybox", privileged: true }\n' },
  });
  drone = await connectDrone(queen, { name: 'matrix-drone', capacity: 2 });
  const res = await queen.api('POST', '/api/projects', { name: 'matrix', repoUrl: repo.url });
  assert.equal(res.status, 201, res.text);
  projectId = res.body.id;
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

const trigger = async (body: object = {}) => {
  const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, body);
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
};
/** The run once all its jobs ended (`?wait` answers 200 then). */
const finishedRun = async (runId: string) => {
  const res = await queen.api('GET', `/api/runs/${runId}?wait=60`);
  assert.equal(res.status, 200, res.text);
  return res.body;
};
const log = async (jobId: string) => (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
const jobCount = async () => (await queen.api('GET', `/api/projects/${projectId}/jobs?limit=200`)).body.jobs.length;
// PostgreSQL's jsonb keeps object keys shortest first: DB before NODE in names.
const EXPECTED = ['DB=pg NODE=18', 'DB=pg NODE=20', 'DB=sqlite NODE=20'];

describe('a .hive.yml matrix', () => {
  let matrixRun: any;

  it('makes one job per combination (2×2 minus an exclusion: 3), each with its variables and name', async () => {
    const first = await trigger({ message: 'matrix please' });
    const job = await queen.waitForJob(first);
    assert.ok(job.runId, `the job became a run (${job.status}: ${job.message})`);
    const run = await finishedRun(job.runId);
    matrixRun = run;
    assert.equal(run.status, 'passed');
    assert.equal(run.jobs.length, 3);
    assert.equal(run.jobs[0].id, first, 'the triggered job builds the first combination');
    assert.deepEqual(run.jobs.map((j: { name: string }) => j.name).sort(), EXPECTED);
    assert.deepEqual(run.jobs[0].matrix, { NODE: '18', DB: 'pg' });
    assert.equal(run.times, 1);
    assert.equal(run.trigger.message, 'matrix please');
    const sha = await repo.head();
    for (const j of run.jobs) {
      const text = await log(j.id);
      assert.match(text, new RegExp(`node=${j.matrix.NODE} db=${j.matrix.DB} job=${j.id}`), text);
      assert.match(text, new RegExp(`in a child, node=${j.matrix.NODE}\\n`), 'every command sees them');
      const stored = await findJob(queen.testDb.db, j.id);
      assert.equal(stored?.spec?.checkout.sha, sha, 'the same commit');
      assert.equal(stored?.spec?.env.NODE, j.matrix.NODE);
      // The job's own JSON carries its name, combination and run.
      const view = (await queen.api('GET', `/api/jobs/${j.id}`)).body;
      assert.equal(view.name, j.name);
      assert.equal(view.runId, run.id);
    }
  });

  it('re-runs one matrix job with its combination, without expanding again', async () => {
    const sqlite = matrixRun.jobs.find((j: { name: string }) => j.name === 'DB=sqlite NODE=20');
    const before = await jobCount();
    const res = await queen.api('POST', `/api/jobs/${sqlite.id}/rerun`);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.matrix, { NODE: '20', DB: 'sqlite' });
    assert.equal(res.body.name, 'DB=sqlite NODE=20');
    const done = await queen.waitForJob(res.body.id);
    assert.equal(done.status, 'passed');
    assert.equal(done.runId, null, 'a re-run of one job is a job on its own');
    assert.match(await log(done.id), /node=20 db=sqlite/);
    await queen.resolver.settled();
    assert.equal(await jobCount(), before + 1, 'no siblings');
  });

  it('re-runs the whole run: the matrix expands again at the same commit', async () => {
    const res = await queen.api('POST', `/api/runs/${matrixRun.id}/rerun`);
    assert.equal(res.status, 201, res.text);
    const run = await finishedRun(res.body.id);
    assert.equal(run.status, 'passed');
    assert.deepEqual(run.jobs.map((j: { name: string }) => j.name).sort(), EXPECTED);
    assert.equal(run.ref.sha, matrixRun.ref.sha);
  });

  it('multiplies a run of N by its combinations', async () => {
    const res = await queen.api('POST', `/api/projects/${projectId}/runs`, { times: 2 });
    assert.equal(res.status, 201, res.text);
    const run = await finishedRun(res.body.id);
    assert.equal(run.status, 'passed');
    assert.equal(run.jobs.length, 6);
    assert.deepEqual(run.jobs.map((j: { name: string }) => j.name).sort(), [...EXPECTED, ...EXPECTED].sort());
  });

  it('ends the job errored with the matrix\'s problem, and queues nothing else', async () => {
    const before = await jobCount();
    const job = await queen.waitForJob(await trigger({ branch: 'bad-matrix' }));
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /Invalid \.hive\.yml: matrix\.exclude\[0\]\.NODE: "19" is not one of its values/);
    assert.equal(job.runId, null);
    await queen.resolver.settled();
    assert.equal(await jobCount(), before + 1);
  });

  it('keeps the trust check: a matrix job asking for trusted settings ends errored, with no siblings', async () => {
    const before = await jobCount();
    const job = await queen.waitForJob(await trigger({ branch: 'privileged' }));
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /\.hive\.yml asks for trusted settings: container\.privileged/);
    await queen.resolver.settled();
    assert.equal(await jobCount(), before + 1);
  });
});
