/**
 * Runs of N jobs (`POST /api/projects/:id/runs` with `times`) through a real queen and a
 * real drone: one commit for all jobs even when the branch moves between their
 * resolutions, a status that follows the jobs, cancel, re-run, listing, and bad input.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findJob } from '../../server/db/jobs.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { serveRepoOverHttp, type GitHttpServer } from '../helpers/git-http-server.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { createJobGates, GATE_SCRIPT, GATED_COMMAND, type JobGates } from '../helpers/job-gates.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let gates: JobGates;
let projectId: string;

before(async () => {
  queen = await startTestQueen();
  gates = await createJobGates();
  // Each job waits until the test writes its gate file, then exits with the code in it.
  repo = await createGitRepo({ files: { 'wait.sh': GATE_SCRIPT + 'echo "commit $HIVE_COMMIT"\nexit "$(cat "$GATES/$1")"\n' } });
  drone = await connectDrone(queen, { name: 'runner', capacity: 1 });
  projectId = await project('runs', repo.url);
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await gates?.remove();
});

async function project(name: string, repoUrl: string, extra: object = {}) {
  const res = await queen.api('POST', '/api/projects', {
    name, repoUrl, config: { env: gates.env, phases: { test: [GATED_COMMAND] } }, ...extra,
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
/** Opens a job's gate, with the exit code its command ends with. */
const open = (jobId: string, exitCode = 0) => gates.open(jobId, String(exitCode));
const getRun = async (runId: string) => {
  const res = await queen.api('GET', `/api/runs/${runId}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
};
const postRun = async (body: object, id = projectId) => {
  const res = await queen.api('POST', `/api/projects/${id}/runs`, body);
  assert.equal(res.status, 201, res.text);
  return res.body;
};
const sha = async (jobId: string) => (await findJob(queen.testDb.db, jobId))?.spec?.checkout.sha;

describe('a run of N jobs', () => {
  it('queues N jobs of one commit, and its status follows them to passed', async () => {
    const run = await postRun({ times: 3, message: 'three times' });
    assert.equal(run.status, 'queued');
    assert.equal(run.times, 3);
    assert.equal(run.jobs.length, 3);
    assert.deepEqual(run.counts, { queued: 3, running: 0, passed: 0, failed: 0, errored: 0, cancelled: 0, timed_out: 0 });
    assert.deepEqual(run.jobs.map((j: { name: null }) => j.name), [null, null, null]);
    assert.equal(run.startedAt, null);
    assert.equal(run.finishedAt, null);
    const [first, second, third] = run.jobs.map((j: { id: string }) => j.id);
    assert.deepEqual(run.jobs.map((j: { number: number }) => j.number), [run.jobs[0].number, run.jobs[0].number + 1, run.jobs[0].number + 2]);
    // Each job's own JSON names its run.
    assert.equal((await queen.api('GET', `/api/jobs/${first}`)).body.runId, run.id);

    await queen.waitForJob(first, ['running']);
    const running = await getRun(run.id);
    assert.equal(running.status, 'running');
    assert.equal(running.counts.running, 1);
    assert.equal(running.counts.queued, 2);
    assert.ok(running.startedAt);

    await open(first);
    await queen.waitForJob(first);
    // One passed, the others wait for the drone's one slot: still running.
    await queen.waitForJob(second, ['running']);
    assert.equal((await getRun(run.id)).status, 'running');
    await open(second);
    await open(third);
    for (const id of [second, third]) assert.equal((await queen.waitForJob(id)).status, 'passed');

    const done = await getRun(run.id);
    assert.equal(done.status, 'passed');
    assert.equal(done.counts.passed, 3);
    assert.ok(done.finishedAt && done.startedAt && done.durationMs >= 0);
    assert.equal(done.durationMs, Date.parse(done.finishedAt) - Date.parse(done.startedAt));
    assert.ok(done.jobs.every((j: { durationMs: number; status: string }) => j.status === 'passed' && j.durationMs >= 0));
    const shas = new Set(await Promise.all([first, second, third].map(sha)));
    assert.deepEqual([...shas], [await repo.head()]);
    assert.equal(done.ref.sha, await repo.head(), 'the run records the commit its jobs build');
  });

  it('is failed once all ended and one failed', async () => {
    const run = await postRun({ times: 2 });
    const [a, b] = run.jobs.map((j: { id: string }) => j.id);
    await open(a, 1);
    await open(b, 0);
    assert.equal((await queen.waitForJob(a)).status, 'failed');
    assert.equal((await queen.waitForJob(b)).status, 'passed');
    const done = await getRun(run.id);
    assert.equal(done.status, 'failed');
    assert.deepEqual([done.counts.failed, done.counts.passed], [1, 1]);
  });

  it('builds one commit even when the branch moves between the jobs\' resolutions', async () => {
    const moving = await createGitRepo({ files: { 'wait.sh': 'echo "commit $HIVE_COMMIT"\n' } });
    const first = await moving.head();
    let second: string | undefined;
    let advertisements = 0;
    const auth = { username: 'x-access-token', password: 'secret-token-1' };
    // Before the second fetch of the branch is answered, the branch moves on.
    const http: GitHttpServer = await serveRepoOverHttp(moving, auth, {
      beforeServe: async (req) => {
        if (!req.url?.includes('info/refs')) return;
        if (++advertisements === 2) second = await moving.commit({ files: { later: 'x' }, message: 'moved on' });
      },
    });
    try {
      const id = await project('moving', http.url, { credentials: auth });
      const run = await postRun({ times: 3 }, id);
      for (const job of run.jobs) assert.equal((await queen.waitForJob(job.id)).status, 'passed');
      assert.ok(second && second !== first, 'the branch moved during the run');
      const shas = await Promise.all(run.jobs.map((j: { id: string }) => sha(j.id)));
      assert.equal(new Set(shas).size, 1, `one commit for all: ${shas.join(', ')}`);
      assert.ok([first, second].includes(shas[0]));
      assert.equal((await getRun(run.id)).ref.sha, shas[0]);
      // The log of each says which commit it checked out.
      for (const job of run.jobs) assert.match((await queen.api('GET', `/api/jobs/${job.id}/log`)).text, new RegExp(`commit ${shas[0]}`));
    } finally {
      await http.close();
      await moving.cleanup();
    }
  });

  it('cancels every unfinished job of a run, and says when there is nothing left to cancel', async () => {
    const run = await postRun({ times: 3 });
    const [a, b, c] = run.jobs.map((j: { id: string }) => j.id);
    await queen.waitForJob(a, ['running']);
    const res = await queen.api('POST', `/api/runs/${run.id}/cancel`);
    assert.equal(res.status, 200, res.text);
    for (const id of [a, b, c]) assert.equal((await queen.waitForJob(id)).status, 'cancelled');
    const done = await getRun(run.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.counts.cancelled, 3);
    const again = await queen.api('POST', `/api/runs/${run.id}/cancel`);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /has already ended/);
  });

  it('re-runs a run: a new run with the same settings and commit', async () => {
    const run = await postRun({ times: 2, priority: 7, message: 'again please' });
    for (const job of run.jobs) await open(job.id);
    for (const job of run.jobs) await queen.waitForJob(job.id);
    const res = await queen.api('POST', `/api/runs/${run.id}/rerun`);
    assert.equal(res.status, 201, res.text);
    const rerun = res.body;
    assert.notEqual(rerun.id, run.id);
    assert.equal(rerun.times, 2);
    assert.equal(rerun.jobs.length, 2);
    assert.equal(rerun.priority, 7);
    assert.equal(rerun.trigger.message, 'again please');
    assert.equal(rerun.ref.sha, (await getRun(run.id)).ref.sha, 'the same commit');
    for (const job of rerun.jobs) await open(job.id);
    for (const job of rerun.jobs) assert.equal((await queen.waitForJob(job.id)).status, 'passed');
    assert.equal((await getRun(rerun.id)).status, 'passed');
  });

  it('lists a project\'s runs, newest first, a page at a time', async () => {
    const all = (await queen.api('GET', `/api/projects/${projectId}/runs?limit=200`)).body.runs;
    assert.ok(all.length >= 4);
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const res = await queen.api('GET', `/api/projects/${projectId}/runs?limit=2${before ? `&before=${before}` : ''}`);
      assert.equal(res.status, 200, res.text);
      seen.push(...res.body.runs.map((r: { id: string }) => r.id));
      before = res.body.next;
    } while (before);
    assert.deepEqual(seen, all.map((r: { id: string }) => r.id));
    assert.ok(all.every((r: { jobs: unknown[]; status: string }) => r.jobs.length > 0 && r.status));
  });

  it('refuses bad input with a 400 naming the field, and changes nothing', async () => {
    const before = (await queen.api('GET', `/api/projects/${projectId}/runs?limit=200`)).body.runs.length;
    for (const times of [0, 101, 1.5, '3', -1, null]) {
      const res = await queen.api('POST', `/api/projects/${projectId}/runs`, { times });
      assert.equal(res.status, 400, `times ${times}: ${res.text}`);
      assert.match(res.body.error.message, /^times: /, res.text);
    }
    const unknownField = await queen.api('POST', `/api/projects/${projectId}/runs`, { times: 2, tims: 3 });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error.message, /tims/);
    assert.equal((await queen.api('GET', `/api/projects/${projectId}/runs?limit=200`)).body.runs.length, before);
    const listBad = await queen.api('GET', `/api/projects/${projectId}/runs?before=nope`);
    assert.equal(listBad.status, 400);
  });

  it('answers 404 for unknown projects and runs', async () => {
    const nobody = '00000000-0000-4000-8000-000000000000';
    assert.equal((await queen.api('POST', `/api/projects/${nobody}/runs`, { times: 2 })).status, 404);
    assert.equal((await queen.api('GET', `/api/projects/${nobody}/runs`)).status, 404);
    for (const id of [nobody, 'not-a-uuid']) {
      assert.equal((await queen.api('GET', `/api/runs/${id}`)).status, 404);
      assert.equal((await queen.api('POST', `/api/runs/${id}/cancel`)).status, 404);
      assert.equal((await queen.api('POST', `/api/runs/${id}/rerun`)).status, 404);
    }
    const res = await queen.api('GET', `/api/runs/${nobody}`);
    assert.match(res.body.error.message, new RegExp(`Run ${nobody} does not exist`));
  });
});
