/**
 * Fault: a process-executor drone is SIGKILLed while its build runs a background writer.
 * The build's processes end with the drone — the guard each command starts under kills its
 * group when the drone's end of its pipe closes (drone/executors/process-guard.ts) — and
 * when the guard itself was killed too, the drone restarted on the same data directory
 * kills what is left (drone/executors/process-group-record.ts) before it takes work.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { triggerJob } from '../helpers/numbered-log.ts';
import { cmdline, groupMembers, guardWatchers, isAlive } from '../helpers/processes.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { until } from '../helpers/until.ts';

let queen: TestQueen;
let repo: GitRepo;
let scratch: string;
const drones: TestDrone[] = [];
const leftovers: number[] = [];

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '2000', HIVE_HEARTBEAT_MS: '300' });
  repo = await createGitRepo({ files: { README: 'drone kill builds\n' } });
  scratch = await mkdtemp(join(tmpdir(), 'hive-drone-kill-builds-'));
});
after(async () => {
  for (const pid of leftovers) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  for (const d of drones) await d.stop().catch(() => {});
  await queen?.stop();
  await repo?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function drone(name: string, dataDir: string): Promise<TestDrone> {
  const d = await connectDrone(queen, { name, capacity: 1, dataDir, env: { HIVE_DRONE_EXECUTOR: 'process' } });
  drones.push(d);
  return d;
}

const readText = (path: string) => readFile(path, 'utf8').catch(() => '');

/**
 * Starts a job whose command leaves a writer in the background — a line into `out` every
 * 50 ms — and sleeps in the foreground; resolves once the writer has written, with the pids
 * of the writer and of the command's shell (its group's leader).
 */
async function buildWithWriter(name: string) {
  const out = join(scratch, `${name}.out`);
  const pids = join(scratch, `${name}.pids`);
  const command = `(while :; do echo x >> "${out}"; sleep 0.05; done) & echo "$! $$" > "${pids}.tmp"; mv "${pids}.tmp" "${pids}"; sleep 1000`;
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, config: { phases: { test: [command] } } });
  assert.equal(res.status, 201, res.text);
  await triggerJob(queen.api, res.body.id);
  await until('the writer has written', async () => (await readText(pids)) !== '' && (await readText(out)) !== '');
  const [writer, leader] = (await readText(pids)).trim().split(' ').map(Number);
  leftovers.push(writer, leader);
  return { out, writer, leader };
}

describe('a process-executor drone killed while its build runs', { concurrency: false }, () => {
  it('takes its build\'s processes with it: the background writer stops', async () => {
    const first = await drone('reaper', join(scratch, 'reaper-data'));
    const { out, writer, leader } = await buildWithWriter('kill-ends-build');
    assert.ok(isAlive(writer));
    await first.kill();
    // The drone is not restarted: the guard alone ends the group.
    await until('the writer is gone', () => !isAlive(writer), { timeoutMs: 5_000 });
    await until('the command\'s shell is gone', () => !isAlive(leader), { timeoutMs: 5_000 });
    // Every member got the watcher's SIGKILL; the kernel may still be finishing one.
    await until('nothing is left in the command\'s group', () => groupMembers(leader).length === 0, { timeoutMs: 5_000 });
    const size = (await readText(out)).length;
    assert.equal((await readText(out)).length, size, 'the file no longer grows');
  });

  it('with its guard killed too, has the leftovers killed by its next start on the same data directory', async () => {
    const dataDir = join(scratch, 'phoenix-data');
    const first = await drone('phoenix', dataDir);
    const { writer, leader } = await buildWithWriter('restart-ends-build');
    // Defeat the guard: its watcher dies before the drone.
    const watchers = guardWatchers(leader);
    assert.equal(watchers.length, 1, `one watcher in the group: ${groupMembers(leader).map(cmdline).join(' | ')}`);
    process.kill(watchers[0], 'SIGKILL');
    await until('the watcher is gone', () => !isAlive(watchers[0]), { timeoutMs: 5_000 });
    await first.kill();
    assert.ok(isAlive(writer), 'without its watcher, the build outlived its drone');

    await drone('phoenix', dataDir);
    // Killed at start, before the drone connected.
    await until('the writer is gone', () => !isAlive(writer), { timeoutMs: 5_000 });
    await until('the command\'s shell is gone', () => !isAlive(leader), { timeoutMs: 5_000 });
    await until('nothing is left in the command\'s group', () => groupMembers(leader).length === 0, { timeoutMs: 5_000 });
  });
});
