/**
 * Fault: a second drone process started under the name of a drone that is connected and
 * busy (two machines with the same hostname, the default name). The queen refuses the
 * second — its log says why — and the first keeps its connection and its job, which passes
 * with every line once, in order, and is never errored.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Job } from '../../server/db/jobs.ts';
import { connectDrone, startDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, jobLog, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startTestQueen, waitForOutput } from '../helpers/queen.ts';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Resolves once the drone process has printed something matching `pattern`. */
function printed(drone: TestDrone, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(drone.output())) return;
      clearTimeout(timer);
      drone.process.stdout!.off('data', check);
      drone.process.stderr!.off('data', check);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`drone ${drone.name} never printed ${pattern}:\n${drone.output()}`)), timeoutMs);
    // The helper's own listeners collect the output first: checking after each chunk sees it.
    drone.process.stdout!.on('data', check);
    drone.process.stderr!.on('data', check);
    check();
  });
}

describe('two drones with the same name', () => {
  it('refuses the second, saying why, and the first keeps its job, which passes', async () => {
    const queen = await startTestQueen({ HIVE_HEARTBEAT_MS: '300' });
    cleanups.push(() => queen.stop());
    const statuses: string[] = [];
    const repo = await createGitRepo({ files: { README: 'twins\n' } });
    cleanups.push(() => repo.cleanup());
    const gates = await mkdtemp(join(tmpdir(), 'hive-twins-'));
    cleanups.push(() => rm(gates, { recursive: true, force: true }));
    const gate = join(gates, 'gate');

    const first = await connectDrone(queen, { name: 'twin', capacity: 1 });
    cleanups.push(() => first.stop());
    const projectId = await numberedProject(queen.api, { name: 'twins', repoUrl: repo.url, lines: 30, gateAfter: 5, gate, delay: 0.01 });
    const jobId = await triggerJob(queen.api, projectId);
    queen.bus.on('job-status', (job: Job) => {
      if (job.id === jobId) statuses.push(job.status);
    });
    await waitForOutput(queen, jobId, /^line 5$/m);
    const firstId = queen.hub.all().find((d) => d.name === 'twin')!.id;

    const second = await startDrone(queen, { name: 'twin', capacity: 1 });
    cleanups.push(() => second.stop());
    await printed(second, /a drone named \\"twin\\" is already connected .*give this one another name \(--name\)/);
    assert.deepEqual(queen.hub.all().filter((d) => d.name === 'twin').map((d) => d.id), [firstId], 'the first drone stayed, alone');

    await writeFile(gate, '');
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.attempt, 1);
    assert.ok(!statuses.includes('errored') && !statuses.includes('queued'), `never errored or re-queued: ${statuses}`);
    assertNumberedLog(await jobLog(queen.api, jobId), 30);
    assert.ok(second.process.exitCode === null, 'the refused drone keeps trying (with backoff) rather than dying');
    assert.doesNotMatch(first.output(), /already connected|replaced/, 'the first drone never heard of the second');
  });
});
