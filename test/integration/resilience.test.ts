/**
 * The hard parts: a queen restart in the middle of a build loses no line; a drone that
 * dies has its job ended `errored` once its lease runs out, or re-queued on another drone
 * when the project allows.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connectDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, waitForOutput } from '../helpers/queen.ts';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function repo(): Promise<GitRepo> {
  const r = await createGitRepo({ files: { 'README': 'resilience\n' } });
  cleanups.push(() => r.cleanup());
  return r;
}

describe('a queen restart mid-build', () => {
  it('keeps the build running on the drone and loses no line of its output', async () => {
    const first = await startTestQueen({ HIVE_HEARTBEAT_MS: '300' });
    const drone = await connectDrone(first, { name: 'survivor', capacity: 1 });
    const r = await repo();
    const project = (await first.api('POST', '/api/projects', {
      name: 'restart', repoUrl: r.url,
      config: { phases: { test: ['i=0; while [ $i -lt 40 ]; do echo "tick $i"; i=$((i+1)); sleep 0.05; done'] } },
    })).body;
    const jobId = (await first.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
    await waitForOutput(first, jobId, /tick 5\n/);

    await first.close(); // the queen goes away; its database stays
    const second = await startTestQueen({ HIVE_HEARTBEAT_MS: '300', HIVE_PORT: String(first.port) }, { testDb: first.testDb, dataDir: first.dataDir });
    cleanups.push(() => second.stop(), () => drone.stop());

    const job = await second.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    const log = (await second.api('GET', `/api/jobs/${jobId}/log`)).text;
    const ticks = [...log.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(ticks, Array.from({ length: 40 }, (_, i) => i), 'every line once, in order');
    assert.equal(job.attempt, 1, 'the same run, not a re-run');
    // A planned stop is said as one: the drone logs a restart at info, not a lost queen.
    const closeLines = drone.output().split('\n').filter((l) => /reconnecting/.test(l)).map((l) => JSON.parse(l));
    assert.equal(closeLines[0]?.msg, 'the queen is stopping; reconnecting');
    assert.deepEqual(closeLines.filter((l) => l.level > 30), [], 'no warning for a planned stop or the retries after it');
  });
});

describe('a drone that dies mid-build', () => {
  it('has its job ended errored once the lease runs out', async () => {
    const queen = await startTestQueen({ HIVE_LEASE_MS: '1500', HIVE_HEARTBEAT_MS: '300' });
    cleanups.push(() => queen.stop());
    const drone = await connectDrone(queen, { name: 'doomed', capacity: 1 });
    const r = await repo();
    const project = (await queen.api('POST', '/api/projects', {
      // Ends by itself once the drone is gone: its output pipe breaks.
      name: 'lost', repoUrl: r.url, config: { phases: { test: ['while true; do echo alive; sleep 0.1; done'] } },
    })).body;
    const jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
    await waitForOutput(queen, jobId, /alive/);
    await drone.kill();
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /Lost the drone running this job: no heartbeat from drone doomed/);
  });

  it('re-queues the job on another drone when the project allows', async () => {
    const queen = await startTestQueen({ HIVE_LEASE_MS: '1500', HIVE_HEARTBEAT_MS: '300' });
    cleanups.push(() => queen.stop());
    const marks = await mkdtemp(join(tmpdir(), 'hive-marks-'));
    cleanups.push(() => rm(marks, { recursive: true, force: true }));
    const first = await connectDrone(queen, { name: 'first', capacity: 1 });
    const r = await repo();
    const project = (await queen.api('POST', '/api/projects', {
      name: 'retry', repoUrl: r.url,
      config: {
        retryOnLostDrone: true,
        env: { MARK: join(marks, 'ran-once') },
        phases: { test: ['if [ -e "$MARK" ]; then echo "second attempt"; else touch "$MARK"; while true; do echo first attempt; sleep 0.1; done; fi'] },
      },
    })).body;
    const jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
    await waitForOutput(queen, jobId, /first attempt/);
    await first.kill();
    await queen.waitForJob(jobId, ['queued']);
    const second = await connectDrone(queen, { name: 'second', capacity: 1 });
    cleanups.push(() => second.stop());
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed');
    assert.equal(job.droneName, 'second');
    assert.equal(job.attempt, 2);
    const log = (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
    assert.match(log, /second attempt/);
    assert.doesNotMatch(log, /^first attempt$/m, 'the abandoned attempt\'s output is not mixed in');

    // The first attempt's log is kept: what the lost drone printed can still be read.
    const firstLog = await queen.api('GET', `/api/jobs/${jobId}/log?attempt=1`);
    assert.equal(firstLog.status, 200);
    assert.match(firstLog.text, /^first attempt$/m);
    assert.doesNotMatch(firstLog.text, /^second attempt$/m);
    assert.equal((await queen.api('GET', `/api/jobs/${jobId}/log?attempt=3`)).status, 404);
    assert.equal((await queen.api('GET', `/api/jobs/${jobId}/log?attempt=zero`)).status, 400);
    const detail = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    assert.deepEqual(detail.phases.find((p: { name: string }) => p.name === 'test').commands.map((c: { exitCode: number }) => c.exitCode), [0],
      'the commands shown are the current attempt\'s');
  });
});
