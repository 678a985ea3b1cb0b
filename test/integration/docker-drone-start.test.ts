/**
 * What a drone does with Docker at start (executors/setup.ts, as drone/main.ts calls it):
 * it finds the engine, reports the `docker` label, removes what a crashed run of itself
 * left behind, and picks an executor per job. Skipped, with the reason, when no engine
 * answers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { DroneConfig } from '../../drone/config.ts';
import { resourceLabels, resourceName } from '../../drone/docker/labels.ts';
import { setupExecutors } from '../../drone/executors/setup.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import { BUSYBOX_IMAGE, dockerSkipReason, listLabelled, removeLabelled, testDocker } from '../helpers/docker-engine.ts';

const skip = await dockerSkipReason();
const CRASHED = `crashed-drone-${process.pid}`;
const NEIGHBOUR = `neighbour-drone-${process.pid}`;
const logger = pino({ level: 'silent' });

let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(os.tmpdir(), 'hive-docker-start-'));
});
after(async () => {
  if (!skip) {
    await removeLabelled(CRASHED);
    await removeLabelled(NEIGHBOUR);
  }
  await rm(dataDir, { recursive: true, force: true });
});

function config(overrides: Partial<DroneConfig>): DroneConfig {
  return {
    queenUrl: 'ws://127.0.0.1:1',
    token: 'unused',
    name: CRASHED,
    capacity: 1,
    speed: 1,
    labels: ['linux'],
    plugins: [],
    dataDir,
    keepWorkspaces: false,
    hostEnv: {},
    ...overrides,
  };
}

/** What a drone killed in the middle of a job leaves: a running job container, a service, their network. */
async function leaveJobBehind(drone: string, jobId: string) {
  const network = resourceName(jobId, 'net');
  await testDocker.createNetwork({ Name: network, Driver: 'bridge', Labels: resourceLabels(jobId, drone, 'network') });
  for (const role of ['job', 'service'] as const) {
    const container = await testDocker.createContainer({
      name: resourceName(jobId, role),
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', '600'],
      Labels: resourceLabels(jobId, drone, role),
      HostConfig: { NetworkMode: network },
    });
    await container.start();
  }
}

const spec = (image?: string) => ({ jobId: 'j', image }) as JobSpec;

describe('drone start with a Docker engine', { skip, concurrency: false }, () => {
  it('removes the containers and networks a crashed run of the same drone left, and nothing of other drones', async () => {
    await leaveJobBehind(CRASHED, 'job-a');
    await leaveJobBehind(CRASHED, 'job-b');
    await leaveJobBehind(NEIGHBOUR, 'job-c');
    assert.equal((await listLabelled({ drone: CRASHED })).containers.length, 4);

    const executors = await setupExecutors(config({}), logger);

    assert.deepEqual(await listLabelled({ drone: CRASHED }), { containers: [], networks: [] });
    const neighbour = await listLabelled({ drone: NEIGHBOUR });
    assert.equal(neighbour.containers.length, 2, 'another drone’s job is left alone');
    assert.equal(neighbour.networks.length, 1);
    assert.deepEqual(executors.labels, ['linux', 'docker']);
    assert.equal(executors.choose(spec(BUSYBOX_IMAGE)).kind, 'docker');
    assert.equal(executors.choose(spec()).kind, 'process');
  });

  it('runs every job as a process with --executor process, and every job in Docker with --executor docker', async () => {
    const asProcesses = await setupExecutors(config({ executor: 'process' }), logger);
    assert.deepEqual(asProcesses.labels, ['linux']);
    assert.equal(asProcesses.choose(spec(BUSYBOX_IMAGE)).kind, 'process');

    const inDocker = await setupExecutors(config({ executor: 'docker', labels: ['docker'] }), logger);
    assert.deepEqual(inDocker.labels, ['docker']);
    assert.equal(inDocker.choose(spec()).kind, 'docker');
  });

  it('falls back to processes without an engine, and refuses to start with --executor docker', async () => {
    const dockerHost = `unix://${join(dataDir, 'no-engine.sock')}`;
    const fallback = await setupExecutors(config({ dockerHost }), logger);
    assert.deepEqual(fallback.labels, ['linux']);
    assert.equal(fallback.choose(spec(BUSYBOX_IMAGE)).kind, 'process');
    await assert.rejects(setupExecutors(config({ dockerHost, executor: 'docker' }), logger), /--executor docker, but no Docker engine answers/);
  });
});
