/**
 * Draining is the queen's state: a drained drone stays connected and finishes its jobs,
 * takes no new ones (the queue says why), stays drained across a reconnect and a restart
 * of the drone, and takes work again once resumed — through the API and the drones page.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { nextEvent } from '../helpers/events.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';
import { createJobGates, GATE_SCRIPT, GATED_COMMAND, type JobGates } from '../helpers/job-gates.ts';

const PASSWORD = 'drain-password';
let queen: TestQueen;
let drone: TestDrone | undefined;
let repo: GitRepo;
let gates: JobGates;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
  gates = await createJobGates();
  repo = await createGitRepo({ files: { 'wait.sh': GATE_SCRIPT } });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await gates?.remove();
});

const open = (jobId: string) => gates.open(jobId);
const droneRow = async (name: string) => (await queen.api('GET', '/api/drones')).body.drones.find((d: { name: string }) => d.name === name);

it('drains a drone on the queen: it finishes its job, takes none, survives a reconnect, and resumes', async () => {
  drone = await connectDrone(queen, { name: 'drainable', capacity: 2 });
  const project = (await queen.api('POST', '/api/projects', {
    name: 'drain', repoUrl: repo.url, config: { env: gates.env, phases: { test: [GATED_COMMAND] } },
  })).body.id;
  const trigger = async () => (await queen.api('POST', `/api/projects/${project}/jobs`, {})).body.id as string;

  const running = await trigger();
  await queen.waitForJob(running, ['running']);
  const id = (await droneRow('drainable')).id;
  const drained = await queen.api('POST', `/api/drones/${id}/drain`);
  assert.deepEqual(drained.body, { id, name: 'drainable', draining: true });

  // A new job waits, and says why, though the drone has a free slot and stays connected.
  const waiting = await trigger();
  await queen.resolver.settled();
  await queen.dispatcher.settled();
  assert.equal((await queen.api('GET', `/api/jobs/${waiting}`)).body.waitingFor, 'every eligible drone is draining (drainable)');
  await open(running);
  assert.equal((await queen.waitForJob(running)).status, 'passed', 'the running job finished');
  assert.equal((await droneRow('drainable')).connected, true, 'the drone is still connected');
  assert.equal((await queen.api('GET', `/api/jobs/${waiting}`)).body.status, 'queued');

  // The drone restarts: it is still drained when it comes back.
  await drone.stop();
  drone = await connectDrone(queen, { name: 'drainable', capacity: 2 });
  await queen.dispatcher.settled();
  assert.equal(queen.hub.all().find((d) => d.name === 'drainable')?.draining, true);
  assert.equal((await queen.api('GET', `/api/jobs/${waiting}`)).body.status, 'queued');

  // Resumed from the drones page: the waiting job starts at once.
  const session = await logIn(queen.url, 'admin', PASSWORD);
  const page = await (await webRequest(queen.url, '/drones', { session })).text();
  assert.match(page, /aria-label="Resume drainable"/);
  const resumed = await webRequest(queen.url, `/drones/${id}/resume`, {
    method: 'POST', session, body: new URLSearchParams({ _csrf: session.csrf }),
  });
  assert.equal(resumed.status, 303);
  await queen.waitForJob(waiting, ['running']);
  await open(waiting);
  assert.equal((await queen.waitForJob(waiting)).status, 'passed');
  assert.equal((await droneRow('drainable')).draining, false);
});

it('drains a drone that is not connected, ahead of its return; unknown drones are 404', async () => {
  const id = (await droneRow('drainable')).id;
  await drone!.stop();
  drone = undefined;
  assert.equal((await queen.api('POST', `/api/drones/${id}/drain`)).status, 200);
  const back = nextEvent(queen.hub, 'connected');
  drone = await connectDrone(queen, { name: 'drainable', capacity: 1 });
  const [joined] = (await back) as [{ draining: boolean }];
  assert.equal(joined.draining, true);
  assert.equal((await queen.api('POST', '/api/drones/00000000-0000-4000-8000-000000000000/resume')).status, 404);
  assert.equal((await queen.api('POST', `/api/drones/${id}/resume`)).body.draining, false);
});
