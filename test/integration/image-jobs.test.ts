/**
 * A job that names an image never runs silently on a drone's host: it waits for a drone
 * with Docker (and the queue says so), unless its project allows falling back to plain
 * processes; a drone whose `docker` label was set by hand without an engine errors it
 * rather than run it on the host. A repository's `.hive.yml` cannot allow the fallback.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let repo: GitRepo;
const drones: TestDrone[] = [];

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { '.hive.yml': 'processFallback: true\n' } });
  // Plain-process drones, whatever engine this machine has.
  drones.push(await connectDrone(queen, { name: 'no-docker', capacity: 1, env: { HIVE_DRONE_EXECUTOR: 'process' } }));
});
after(async () => {
  await Promise.all(drones.map((d) => d.stop()));
  await queen?.stop();
  await repo?.cleanup();
});

async function imageProject(name: string, extra: Record<string, unknown> = {}) {
  const res = await queen.api('POST', '/api/projects', {
    name, repoUrl: repo.url, config: { image: 'hive-test/busybox', phases: { test: ['echo "ran as $(id -un 2>/dev/null || echo someone)"'] }, ...extra },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
const trigger = async (projectId: string) => (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;

it('waits for a drone with Docker, saying so, even when .hive.yml asks for the fallback', async () => {
  const job = await trigger(await imageProject('strict'));
  await queen.resolver.settled();
  await queen.dispatcher.settled();
  const detail = (await queen.api('GET', `/api/jobs/${job}`)).body;
  assert.equal(detail.status, 'queued');
  assert.equal(detail.waitingFor, 'no connected drone has label docker');
  assert.ok(detail.spec.requires.labels.includes('docker'));
  assert.equal((await queen.api('POST', `/api/jobs/${job}/cancel`)).status, 200);
});

it('runs as plain processes when the project allows it, and says so in the log', async () => {
  const job = await trigger(await imageProject('lenient', { processFallback: true }));
  const done = await queen.waitForJob(job);
  assert.equal(done.status, 'passed', done.message ?? '');
  const log = (await queen.api('GET', `/api/jobs/${job}/log`)).text;
  assert.match(log, /Image hive-test\/busybox is not used: this drone runs jobs as plain processes \(the project allows it\)/);
});

it('errors a job that reached a drone whose docker label was set by hand, without running it', async () => {
  await drones[0].stop();
  drones.shift();
  drones.push(await connectDrone(queen, { name: 'claims-docker', capacity: 1, labels: ['docker'], env: { HIVE_DRONE_EXECUTOR: 'process' } }));
  const job = await trigger(await imageProject('mislabelled'));
  const done = await queen.waitForJob(job);
  assert.equal(done.status, 'errored');
  assert.match(done.message ?? '', /This job runs in image hive-test\/busybox, but this drone has no Docker engine/);
  const log = (await queen.api('GET', `/api/jobs/${job}/log`)).text;
  assert.doesNotMatch(log, /ran as/, 'no command ran on the host');
});
