/**
 * Fault: a drone SIGKILLed while it brings an incremental workspace to a new commit. The
 * tree it leaves is half-way between two commits, with an earlier build's junk in it; the
 * drone restarted on the same data directory runs the job again (retryOnLostDrone) and must
 * make the tree anew rather than trust it.
 */
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type FileMap, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let repo: GitRepo;
let scratch: string;
const drones: TestDrone[] = [];

/** Enough files that checking out a change of all of them takes a while. */
const files = (version: string): FileMap =>
  Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`dir-${i % 30}/file-${i}.txt`, `${version} ${i}\n${'x'.repeat(1_000)}\n`]));

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '2000', HIVE_HEARTBEAT_MS: '300' });
  repo = await createGitRepo({ files: files('one') });
  scratch = await mkdtemp(join(tmpdir(), 'hive-workspace-kill-'));
});
after(async () => {
  for (const d of drones) await d.stop().catch(() => {});
  await queen?.stop();
  await repo?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function drone(dataDir: string): Promise<TestDrone> {
  const d = await connectDrone(queen, { name: 'tree-keeper', capacity: 1, dataDir });
  drones.push(d);
  return d;
}

it('re-creates a tree the drone was killed in the middle of updating', async () => {
  const dataDir = join(scratch, 'data');
  const first = await drone(dataDir);
  const created = await queen.api('POST', '/api/projects', {
    name: 'killed-update', repoUrl: repo.url,
    config: { retryOnLostDrone: true, phases: { test: ['test ! -e junk.txt', 'echo junk > junk.txt', 'head -c 3 dir-0/file-0.txt; echo'] } },
  });
  assert.equal(created.status, 201, created.text);
  const projectId = created.body.id as string;
  const trigger = async () => (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;
  assert.equal((await queen.waitForJob(await trigger())).status, 'passed');

  // The next commit changes every file; the drone dies as soon as it starts on the tree.
  await repo.commit({ files: files('two'), message: 'change everything' });
  const slot = join(dataDir, 'workspaces', projectId, '1');
  const killed = new Promise<void>((resolve) => {
    const watcher = watch(slot, (_event, name) => {
      if (name !== 'state.json') return;
      access(join(slot, 'state.json')).catch(() => {
        // The state is gone: the update has begun.
        first.process.kill('SIGKILL');
        watcher.close();
        resolve();
      });
    });
  });
  const jobId = await trigger();
  await killed;
  await first.kill();
  await assert.rejects(access(join(slot, 'state.json')), 'killed before the update finished');

  // Back at once, on the same data directory: the job is re-queued and runs there again.
  await drone(dataDir);
  const job = await queen.waitForJob(jobId);
  const log = (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
  assert.equal(job.status, 'passed', `${job.message}\n${log}`);
  assert.equal(job.attempt, 2);
  assert.match(log, /Making workspace 1 of the project \(incremental\)/);
  assert.match(log, /^two$/m);
});
