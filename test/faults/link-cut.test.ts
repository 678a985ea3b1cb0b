/**
 * Fault: the network between a drone and its queen breaks, through a TCP proxy in between.
 *
 * - Shorter than the lease (reset and refused, or silent): the drone keeps building,
 *   reconnects or resumes, replays what the queen had not stored; the job passes, every
 *   line once, in order, as the same attempt.
 * - Longer than the lease: the queen gives the jobs up per the lease rules — `errored`
 *   ("Lost the drone …"), or re-queued with `retryOnLostDrone`. When the drone comes back
 *   the re-queued job's old attempt is dropped on it (the job runs again and passes with a
 *   log of its own); the errored job stays errored, and what the drone built meanwhile is
 *   recorded as its late result: the log completed, every line once, and a line saying so.
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
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const LEASE_MS = 4000;
const LINES = 40;
let queen: TestQueen;
let proxy: TcpProxy;
let drone: TestDrone;
let repo: GitRepo;
let gates: string;

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: String(LEASE_MS), HIVE_HEARTBEAT_MS: '300' });
  proxy = await startTcpProxy({ port: queen.port });
  drone = await connectDrone(queen, { name: 'behind-a-proxy', capacity: 2, port: proxy.port });
  repo = await createGitRepo({ files: { README: 'link faults\n' } });
  gates = await mkdtemp(join(tmpdir(), 'hive-link-gates-'));
});
after(async () => {
  await drone?.stop();
  await proxy?.close();
  await queen?.stop();
  await repo?.cleanup();
  await rm(gates, { recursive: true, force: true });
});

/** A job that prints 10 lines, waits for its gate, then prints the rest. */
async function gatedJob(name: string, retryOnLostDrone = false): Promise<{ jobId: string; open: () => Promise<void> }> {
  const gate = join(gates, name);
  const projectId = await numberedProject(queen.api, { name, repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0.01, retryOnLostDrone });
  const jobId = await triggerJob(queen.api, projectId);
  await waitForOutput(queen, jobId, /^line 10$/m);
  return { jobId, open: () => writeFile(gate, '') };
}
/** The outage itself is what these tests are about: it lasts a set time. */
const outage = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the drone ⇄ queen link', { concurrency: false }, () => {
  it('cut shorter than the lease: the job passes as the same attempt, every line once, in order', async () => {
    const { jobId, open } = await gatedJob('cut-short');
    proxy.cut();
    await open(); // the job goes on printing while the queen cannot hear it
    await outage(LEASE_MS * 0.4);
    proxy.restore();
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.attempt, 1);
    assertNumberedLog(await jobLog(queen.api, jobId), LINES);
  });

  it('silent shorter than the lease: the job passes as the same attempt, every line once, in order', async () => {
    const { jobId, open } = await gatedJob('silent-short');
    proxy.pause();
    await open();
    await outage(LEASE_MS * 0.4);
    proxy.resume();
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.attempt, 1);
    assertNumberedLog(await jobLog(queen.api, jobId), LINES);
  });

  it('cut longer than the lease: errored (its late result recorded), or re-queued and run again', async () => {
    const lost = await gatedJob('cut-long-errored');
    const retried = await gatedJob('cut-long-retried', true);
    proxy.cut();
    const [errored] = await Promise.all([
      queen.waitForJob(lost.jobId, ['errored'], LEASE_MS * 4),
      queen.waitForJob(retried.jobId, ['queued'], LEASE_MS * 4),
    ]);
    assert.match(errored.message ?? '', /^Lost the drone running this job: no heartbeat from drone behind-a-proxy within the lease$/);
    const lostLog = await jobLog(queen.api, lost.jobId);
    assertNumberedLog(lostLog, undefined, 10);
    // The drone's jobs run on meanwhile: the retried one's later lines must not reach its
    // new attempt; the errored one's are its late result. The link comes back before they
    // print another line, so the drone returns with nothing unsent: a job it still builds
    // has more to say all the same (its end), and keeps it.
    const late = waitForOutput(queen, lost.jobId, /the drone finished after the job was reaped: passed/, 30_000);
    proxy.restore();
    await queen.waitForDrones(1);
    await Promise.all([lost.open(), retried.open()]);

    const rerun = await queen.waitForJob(retried.jobId, ['passed', 'failed', 'errored', 'cancelled', 'timed_out'], 30_000);
    assert.equal(rerun.status, 'passed', rerun.message ?? '');
    assert.equal(rerun.attempt, 2);
    assertNumberedLog(await jobLog(queen.api, retried.jobId), LINES);
    assertNumberedLog(await jobLog(queen.api, retried.jobId, 1), undefined, 10);

    await late;
    const still = (await queen.api('GET', `/api/jobs/${lost.jobId}`)).body;
    assert.equal(still.status, 'errored', 'a final status never changes');
    assert.deepEqual([still.lateResult?.status, still.attempt], ['passed', 1]);
    const completed = await jobLog(queen.api, lost.jobId);
    assert.ok(completed.startsWith(lostLog), 'what was stored before stays as it was');
    assertNumberedLog(completed, LINES);
    assert.match(completed, /\[the drone finished after the job was reaped: passed\]\n$/);
  });
});
