/**
 * Builds end to end: a real git repository, a real queen, a real drone process over a
 * real WebSocket, commands run as real processes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { scrapeMetrics, startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let mainSha: string;
let failingSha: string;

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({
    files: {
      'check.sh': 'echo "checking $1"\necho "to stderr" >&2\ntest -f ok\n',
      ok: '',
      '.hive.yml': 'phases:\n  test:\n    - sh check.sh one\n    - echo "branch=$HIVE_BRANCH commit=$HIVE_COMMIT"\n',
    },
  });
  mainSha = await repo.head('main');
  // A second branch whose test fails: it removes the file the check needs.
  failingSha = await repo.commit({ branch: 'broken', from: 'main', files: { ok: null }, message: 'break it' });
  drone = await connectDrone(queen, { name: 'builder', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

async function project(name: string, config: object = {}) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, config });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
async function trigger(projectId: string, body: object = {}) {
  const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, body);
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
const log = async (jobId: string) => (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;

describe('a build end to end', () => {
  it('runs a passing commit on the drone and stores its output in order', async () => {
    const id = await project('passing', { phases: { prepare: ['echo preparing'] } });
    const jobId = await trigger(id);
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.droneName, 'builder');

    const text = await log(jobId);
    const expected = ['$ echo preparing', 'preparing', '$ sh check.sh one', 'checking one', 'to stderr', '$ echo "branch=$HIVE_BRANCH commit=$HIVE_COMMIT"', `branch=main commit=${mainSha}`];
    let from = 0;
    for (const line of expected) {
      const at = text.indexOf(line, from);
      assert.ok(at >= 0, `"${line}" missing or out of order in:\n${text}`);
      from = at + line.length;
    }

    const detail = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    assert.equal(detail.ref.sha, mainSha);
    assert.equal(detail.drone.name, 'builder');
    assert.deepEqual(detail.commands.map((c: { command: string; exitCode: number }) => [c.command, c.exitCode]), [
      ['echo preparing', 0], ['sh check.sh one', 0], ['echo "branch=$HIVE_BRANCH commit=$HIVE_COMMIT"', 0],
    ]);
    const phases = Object.fromEntries(detail.phases.map((p: { name: string; status: string }) => [p.name, p.status]));
    // Phases without commands are reported skipped.
    assert.deepEqual(phases, { environment: 'skipped', prepare: 'passed', test: 'passed', deploy: 'skipped', cleanup: 'skipped' });
    assert.ok(detail.startedAt && detail.finishedAt && detail.durationMs >= 0);
    assert.equal(detail.spec.checkout.sha, mainSha);
  });

  it('ends a failing commit failed, skips to cleanup, and keeps stdout and stderr apart', async () => {
    const id = await project('failing', { phases: { cleanup: ['echo cleaning'], deploy: ['echo deploying'] } });
    const jobId = await trigger(id, { branch: 'broken', type: 'TEST_AND_DEPLOY' });
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'failed');
    const detail = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    assert.equal(detail.ref.sha, failingSha);
    assert.deepEqual(detail.commands.map((c: { command: string; exitCode: number }) => [c.command, c.exitCode]), [
      ['sh check.sh one', 1], ['echo cleaning', 0],
    ]);
    const phases = Object.fromEntries(detail.phases.map((p: { name: string; status: string }) => [p.name, p.status]));
    assert.equal(phases.test, 'failed');
    assert.equal(phases.deploy, 'skipped');
    assert.equal(phases.cleanup, 'passed');
    const text = await log(jobId);
    assert.match(text, /\[exit code 1\]/);
    assert.doesNotMatch(text, /deploying/);
  });

  it('runs deploy for TEST_AND_DEPLOY when the tests pass', async () => {
    const id = await project('deploying', { phases: { deploy: ['echo deploying $HIVE_JOB_TYPE'] } });
    const jobId = await trigger(id, { type: 'TEST_AND_DEPLOY' });
    assert.equal((await queen.waitForJob(jobId)).status, 'passed');
    assert.match(await log(jobId), /deploying TEST_AND_DEPLOY/);
  });

  it('builds an exact older commit by sha', async () => {
    const newer = await repo.commit({ branch: 'main', files: { 'new.txt': 'x' }, message: 'newer' });
    assert.notEqual(newer, mainSha);
    const id = await project('by-sha');
    const jobId = await trigger(id, { sha: mainSha });
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.ref.sha, mainSha);
    assert.match(await log(jobId), new RegExp(`commit=${mainSha}`));
  });

  it('ends errored, with a clear message, for an unknown branch or a bad .hive.yml', async () => {
    const id = await project('unknown-branch');
    const missing = await queen.waitForJob(await trigger(id, { branch: 'no-such-branch' }));
    assert.equal(missing.status, 'errored');
    assert.match(missing.message ?? '', /branch "no-such-branch"/);

    await repo.commit({ branch: 'bad-yaml', from: 'main', files: { '.hive.yml': 'phases:\n  tset: [oops]\n' }, message: 'typo' });
    const bad = await queen.waitForJob(await trigger(id, { branch: 'bad-yaml' }));
    assert.equal(bad.status, 'errored');
    assert.match(bad.message ?? '', /\.hive\.yml: phases/);
  });

  it('re-runs a job on the same commit as a new job', async () => {
    const id = await project('rerun');
    const first = await trigger(id);
    await queen.waitForJob(first);
    const res = await queen.api('POST', `/api/jobs/${first}/rerun`);
    assert.equal(res.status, 201);
    assert.equal(res.body.number, 2);
    assert.equal(res.body.trigger.rerunOf, first);
    const rerun = await queen.waitForJob(res.body.id);
    assert.equal(rerun.status, 'passed');
    assert.equal(rerun.ref.sha, (await queen.api('GET', `/api/jobs/${first}`)).body.ref.sha);
  });

  it('passes secrets to commands but never shows them: masked in logs, absent from API and stored spec', async () => {
    const secret = 'sup3r-s3cret-value';
    const created = await queen.api('POST', '/api/projects', {
      name: 'secrets', repoUrl: repo.url,
      secrets: { API_TOKEN: secret },
      // In `prepare`: the repository's .hive.yml replaces `test`.
      config: { phases: { prepare: ['echo "token=$API_TOKEN"', 'test "$(printf %s "$API_TOKEN" | wc -c)" -eq 18 && echo matches'] } },
    });
    assert.equal(created.status, 201);
    assert.doesNotMatch(created.text, new RegExp(secret));
    assert.deepEqual(created.body.secrets, ['API_TOKEN']);
    const jobId = await trigger(created.body.id);
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    const text = await log(jobId);
    assert.match(text, /token=\*{8}/);
    assert.match(text, /matches/);
    for (const body of [text, (await queen.api('GET', `/api/jobs/${jobId}`)).text, (await queen.api('GET', `/api/projects/${created.body.id}`)).text]) {
      assert.doesNotMatch(body, new RegExp(secret));
    }
    assert.ok(!JSON.stringify(job.spec).includes(secret), 'the stored spec holds no secret');

    // Removing the secret with null.
    const patched = await queen.api('PATCH', `/api/projects/${created.body.id}`, { secrets: { API_TOKEN: null } });
    assert.deepEqual(patched.body.secrets, []);
  });

  it('exposes Prometheus metrics to the metrics token only', async () => {
    assert.equal((await fetch(`${queen.url}/metrics`)).status, 401);
    assert.equal((await queen.api('GET', '/metrics')).status, 401, 'not even the admin token');
    const res = { text: await scrapeMetrics(queen) };
    assert.match(res.text, /^hive_drones_connected 1$/m);
    assert.match(res.text, /^hive_jobs_finished_total\{status="passed"\} [1-9]\d*$/m);
    assert.match(res.text, /^hive_jobs\{status="queued"\} 0$/m);
    assert.match(res.text, /^hive_job_events_total [1-9]\d*$/m);
    assert.match(res.text, /^hive_job_queue_seconds_count [1-9]\d*$/m);
  });

  it('reports the drone with its labels, capacity and last contact', async () => {
    const drones = (await queen.api('GET', '/api/drones')).body.drones;
    assert.equal(drones.length, 1);
    assert.equal(drones[0].name, 'builder');
    assert.equal(drones[0].capacity, 2);
    assert.equal(drones[0].connected, true);
    assert.ok(Date.parse(drones[0].lastSeenAt));
  });
});
