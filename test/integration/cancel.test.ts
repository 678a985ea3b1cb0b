/** Cancel kills the running command and everything it started, and the job ends cancelled. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { isAlive } from '../helpers/processes.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, waitForOutput, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { 'README': 'cancel me\n' } });
  drone = await connectDrone(queen, { name: 'canceller', capacity: 1 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});



it('kills the running command and its children, runs cleanup, and ends cancelled', async () => {
  const project = (await queen.api('POST', '/api/projects', {
    name: 'long', repoUrl: repo.url,
    config: { phases: { test: ['sleep 300 & echo "child=$!"; sleep 301 & echo "child=$!"; wait', 'echo never'], cleanup: ['echo cleaned up'] } },
  })).body;
  const jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  const output = await waitForOutput(queen, jobId, /child=\d+\s+child=\d+/);
  const pids = [...output.matchAll(/child=(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2);
  assert.ok(pids.every(isAlive), 'the children run before the cancel');

  const res = await queen.api('POST', `/api/jobs/${jobId}/cancel`);
  assert.equal(res.status, 200);
  const job = await queen.waitForJob(jobId);
  assert.equal(job.status, 'cancelled');
  assert.ok(pids.every((pid) => !isAlive(pid)), `children still running: ${pids.filter(isAlive)}`);

  const detail = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
  const commands = detail.commands.map((c: { command: string }) => c.command);
  assert.ok(!commands.includes('echo never'));
  assert.equal(detail.phases.find((p: { name: string }) => p.name === 'test').status, 'cancelled');
  assert.match((await queen.api('GET', `/api/jobs/${jobId}/log`)).text, /cleaned up/);
  // The drone's slot is free again: a new job runs at once.
  const next = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  await waitForOutput(queen, next, /child=\d+/);
  await queen.api('POST', `/api/jobs/${next}/cancel`);
  assert.equal((await queen.waitForJob(next)).status, 'cancelled');
});
