/**
 * A container job's teardown through a real queen and drone process: the result is
 * reported first and the containers are removed after it — but always removed: by the
 * drone once the result is out, by a drone's stop, and by the next start of a drone that
 * was killed. A job without services never gets a network. Waits on the engine's events,
 * never on fixed sleeps. Skipped, with the reason, when no engine answers.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, containersGone, dockerSkipReason, engineEvents, listLabelled, ofJob, removeLabelled } from '../helpers/docker-engine.ts';
import { connectDrone, startDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

const skip = await dockerSkipReason();
const DRONE = `docker-teardown-${process.pid}`;

let queen: TestQueen;
let repo: GitRepo;
let drone: TestDrone | undefined;

before(async () => {
  if (skip) return;
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { README: 'teardown\n' } });
  drone = await connectDrone(queen, { name: DRONE, capacity: 2 });
});
after(async () => {
  if (skip) return;
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await removeLabelled(DRONE);
});

async function project(name: string, config: Record<string, unknown>) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, config: { image: BUSYBOX_IMAGE, ...config } });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
const trigger = async (projectId: string) => (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;

describe('container teardown after the result', { skip, concurrency: false }, () => {
  it('reports the result, then removes the container; a job without services never has a network', async () => {
    const events = await engineEvents();
    try {
      const job = await trigger(await project('plain', { phases: { test: ['echo hi'] } }));
      const done = await queen.waitForJob(job);
      assert.equal(done.status, 'passed', done.message ?? '');
      await events.until(containersGone(job));
      assert.deepEqual(await listLabelled({ job }), { containers: [], networks: [] });
      assert.ok(!events.seen.some((e) => ofJob(job)(e) && e.Type === 'network'), 'no network was created for the job');
    } finally {
      events.close();
    }
  });

  it('gives a job with services its network, and removes containers and network after the result', async () => {
    const events = await engineEvents();
    try {
      const job = await trigger(await project('with-service', {
        phases: { test: ['echo with service'] },
        services: [{ name: 'idle', image: BUSYBOX_IMAGE, command: ['sleep', '600'] }],
      }));
      const done = await queen.waitForJob(job);
      assert.equal(done.status, 'passed', done.message ?? '');
      await events.until((seen) => containersGone(job)(seen) && seen.some((e) => ofJob(job)(e) && e.Type === 'network' && e.Action === 'destroy'));
      assert.ok(events.seen.some((e) => ofJob(job)(e) && e.Type === 'network' && e.Action === 'create'));
      assert.deepEqual(await listLabelled({ job }), { containers: [], networks: [] });
    } finally {
      events.close();
    }
  });

  it('a drone stopped right after a result still removes the job’s containers before it exits', async () => {
    const job = await trigger(await project('stop-after', { phases: { test: ['echo last'] } }));
    const done = await queen.waitForJob(job);
    assert.equal(done.status, 'passed', done.message ?? '');
    await drone!.stop();
    drone = undefined;
    assert.deepEqual(await listLabelled({ drone: DRONE }), { containers: [], networks: [] });
  });

  it('a drone killed mid-job leaves its container, and its next start removes it', async () => {
    const events = await engineEvents();
    const dataDir = await mkdtemp(join(tmpdir(), 'hive-teardown-'));
    let killed: TestDrone | undefined = await startDrone(queen, { name: DRONE, dataDir });
    try {
      const job = await trigger(await project('killed', { phases: { test: ['sleep 600'] } }));
      await events.until((seen) => seen.some((e) => ofJob(job)(e) && e.Action.startsWith('exec_start')));
      await killed.kill();
      assert.equal((await listLabelled({ job })).containers.length, 1, 'the killed drone left its container');
      killed = await startDrone(queen, { name: DRONE, dataDir });
      await events.until(containersGone(job));
      assert.deepEqual(await listLabelled({ job }), { containers: [], networks: [] });
    } finally {
      events.close();
      await killed?.stop();
    }
  });
});
