/**
 * Fault: a drone process is SIGKILLed in the middle of a job (no goodbye, no last events).
 * Once its lease runs out the job ends `errored`, or — with `retryOnLostDrone` — is re-queued
 * and runs again; the drone restarted under the same name and data directory never brings
 * the old run back. Logs hold each line once, in order; nothing is left half-written.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, jobLog, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startTestQueen, waitForOutput, type TestQueen } from '../helpers/queen.ts';

const LINES = 30;
let queen: TestQueen;
let repo: GitRepo;
let scratch: string;
const drones: TestDrone[] = [];

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '2000', HIVE_HEARTBEAT_MS: '300' });
  repo = await createGitRepo({ files: { README: 'drone kill\n' } });
  scratch = await mkdtemp(join(tmpdir(), 'hive-drone-kill-'));
});
after(async () => {
  for (const d of drones) await d.stop().catch(() => {});
  await queen?.stop();
  await repo?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function drone(name: string, dataDir: string): Promise<TestDrone> {
  const d = await connectDrone(queen, { name, capacity: 1, dataDir });
  drones.push(d);
  return d;
}

/** A job that prints 10 lines, waits for its gate, then the rest; started and at its gate. */
async function jobAtGate(name: string, retryOnLostDrone: boolean) {
  const gate = join(scratch, `${name}.gate`);
  const projectId = await numberedProject(queen.api, { name, repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0.01, retryOnLostDrone });
  const jobId = await triggerJob(queen.api, projectId);
  await waitForOutput(queen, jobId, /^line 10$/m);
  return { projectId, jobId, open: () => writeFile(gate, '') };
}

/**
 * Nothing half-written: the job has its end, no phase claims to run, and the commands are
 * a run of finished ones followed by at most the one the drone was in when it died
 * (started, never finished: no exit code is made up for it).
 */
async function assertSettled(jobId: string): Promise<void> {
  const res = await queen.api('GET', `/api/jobs/${jobId}`);
  assert.equal(res.status, 200, res.text);
  const job = res.body;
  assert.ok(job.finishedAt, 'the job has its end time');
  assert.ok(!job.phases.some((p: { status: string | null }) => p.status === 'running'), JSON.stringify(job.phases));
  const commands: { exitCode: number | null; finishedAt: string | null; startedAt: string | null }[] = job.commands;
  const unfinished = commands.filter((c) => c.finishedAt === null);
  assert.ok(unfinished.length <= 1, JSON.stringify(commands));
  if (unfinished.length) {
    assert.equal(unfinished[0], commands.at(-1), 'only the last command may have been cut short');
    assert.equal(unfinished[0].exitCode, null);
  }
  for (const c of commands.filter((x) => x.finishedAt !== null)) assert.notEqual(c.exitCode, null, JSON.stringify(c));
}

describe('a drone killed mid-job', { concurrency: false }, () => {
  it('has its job errored once the lease runs out; the restarted drone does not bring it back', async () => {
    const dataDir = join(scratch, 'doomed-data');
    const first = await drone('doomed', dataDir);
    const { projectId, jobId, open } = await jobAtGate('killed-errored', false);
    await first.kill();
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /^Lost the drone running this job: no heartbeat from drone doomed within the lease$/);
    const log = await jobLog(queen.api, jobId);
    assertNumberedLog(log, 10);
    await assertSettled(jobId);
    // The killed drone's build died with it (drone-kill-builds.test.ts); opening the gate is harmless.
    await open();

    // The same drone again — same name, same data directory — takes new work, and only that.
    const restarted = await drone('doomed', dataDir);
    const next = await queen.waitForJob(await triggerJob(queen.api, projectId));
    assert.equal(next.status, 'passed', next.message ?? '');
    assertNumberedLog(await jobLog(queen.api, next.id), LINES);
    const again = await queen.waitForJob(jobId);
    assert.equal(again.status, 'errored');
    assert.equal(await jobLog(queen.api, jobId), log, 'the errored job\'s log did not change');
    await restarted.stop(); // the next case's job must go to its own drone
  });

  it('has its job re-queued with retryOnLostDrone and run again by the restarted drone', async () => {
    const dataDir = join(scratch, 'phoenix-data');
    const first = await drone('phoenix', dataDir);
    const { jobId, open } = await jobAtGate('killed-retried', true);
    await first.kill();
    // Back at once, before the lease runs out: it says it runs nothing, so the job is re-queued now.
    await drone('phoenix', dataDir);
    await open();
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.attempt, 2);
    assertNumberedLog(await jobLog(queen.api, jobId), LINES);
    assertNumberedLog(await jobLog(queen.api, jobId, 1), 10);
    await assertSettled(jobId);
  });
});
