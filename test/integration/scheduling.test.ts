/**
 * Two real drones with different capacities, speeds and labels: jobs go where the rules
 * say, and a job that finds every drone full starts as soon as a slot frees.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { findJob } from '../../server/db/jobs.ts';
import { createJobGates, GATE_SCRIPT, GATED_COMMAND, type JobGates } from '../helpers/job-gates.ts';

let queen: TestQueen;
let drones: TestDrone[] = [];
let repo: GitRepo;
let gates: JobGates;

before(async () => {
  queen = await startTestQueen();
  gates = await createJobGates();
  // Each job's command waits until the test opens its gate (a file named after it).
  repo = await createGitRepo({ files: { 'wait.sh': GATE_SCRIPT + 'echo "passed gate $1"\n' } });
  drones = [
    await connectDrone(queen, { name: 'fast-small', capacity: 1, speed: 2, labels: ['linux'] }),
    await connectDrone(queen, { name: 'slow-big', capacity: 2, speed: 1, labels: ['linux', 'gpu'] }),
  ];
});
after(async () => {
  await Promise.all(drones.map((d) => d.stop()));
  await queen?.stop();
  await repo?.cleanup();
  await gates?.remove();
});

async function gatedProject(name: string, labels: string[] = []) {
  const res = await queen.api('POST', '/api/projects', {
    name, repoUrl: repo.url, config: { env: gates.env, labels, phases: { test: [GATED_COMMAND] } },
  });
  return res.body.id as string;
}
const trigger = async (projectId: string) => (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;
const open = (jobId: string) => gates.open(jobId);
const running = (jobId: string) => queen.waitForJob(jobId, ['running']);
/** Lets every pending resolution and scheduling round finish. */
async function settle() {
  await queen.resolver.settled();
  await queen.dispatcher.settled();
}

it('places jobs by speed, labels and free capacity, and starts a waiting job when a slot frees', async () => {
  const plain = await gatedProject('plain');
  const gpu = await gatedProject('gpu', ['gpu']);

  const first = await trigger(plain);
  assert.equal((await running(first)).droneName, 'fast-small', 'the fastest free drone takes the first job');
  const second = await trigger(plain);
  assert.equal((await running(second)).droneName, 'slow-big', 'the fast drone is full');
  const third = await trigger(gpu);
  assert.equal((await running(third)).droneName, 'slow-big', 'only slow-big has the gpu label');

  // Every drone is now full: the fourth job waits in the queue.
  const fourth = await trigger(plain);
  await settle();
  await settle();
  assert.equal((await findJob(queen.testDb.db, fourth))?.status, 'queued');

  // A gpu job while slow-big is full waits too, even though fast-small will free first.
  const fifth = await trigger(gpu);
  await settle();
  assert.equal((await findJob(queen.testDb.db, fifth))?.status, 'queued');

  // The first freed slot (on fast-small) goes to the oldest job it can run: the fourth.
  await open(first);
  assert.equal((await queen.waitForJob(first)).status, 'passed');
  assert.equal((await running(fourth)).droneName, 'fast-small');
  assert.equal((await findJob(queen.testDb.db, fifth))?.status, 'queued', 'the gpu job cannot use fast-small');

  // A slot on slow-big frees: the gpu job gets it.
  await open(second);
  assert.equal((await running(fifth)).droneName, 'slow-big');

  for (const id of [third, fourth, fifth]) await open(id);
  for (const id of [third, fourth, fifth]) assert.equal((await queen.waitForJob(id)).status, 'passed');
  const listed = (await queen.api('GET', '/api/drones')).body.drones;
  assert.deepEqual(listed.map((d: { name: string; running: number }) => [d.name, d.running]), [['fast-small', 0], ['slow-big', 0]]);
});

it('never assigns a job no connected drone can run, and says it is queued', async () => {
  const arm = await gatedProject('arm-only', ['arm64']);
  const id = await trigger(arm);
  await settle();
  const job = await findJob(queen.testDb.db, id);
  assert.equal(job?.status, 'queued');
  assert.ok(job?.spec, 'resolved and waiting for a drone');
  await queen.api('POST', `/api/jobs/${id}/cancel`);
  assert.equal((await queen.waitForJob(id)).status, 'cancelled');
});
