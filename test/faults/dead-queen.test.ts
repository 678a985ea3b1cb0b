/**
 * Fault: of two queens sharing one PostgreSQL, the one a drone is connected to is
 * SIGKILLed, and the drone knows no other. Its job's lease is the other queen's to reap —
 * only once it ran out and the dead queen stopped beating, never before — and the job ends
 * `errored`. The drone builds on meanwhile; when its queen is back it reports the rest, and
 * that is recorded as what happened: the log completed, every line once and in order,
 * ending with a line saying the drone finished after the job was reaped, and the job's
 * `lateResult` — its status stays `errored` (a final status never changes).
 * PostgreSQL only: the embedded database is one process's.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startDrone } from '../helpers/drone-process.ts';
import { openEventsClient } from '../helpers/events-client.ts';
import { freePort } from '../helpers/free-port.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, jobLog, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startTestQueen } from '../helpers/queen.ts';
import { startQueenProcess } from '../helpers/queen-process.ts';
import { testDatabaseKind } from '../helpers/test-db.ts';
import { until } from '../helpers/until.ts';

const skip = testDatabaseKind() === 'postgres' ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server, the embedded one is a single process\'s';
const LINES = 30;
const LEASE_MS = 2000;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

describe('the queen of a drone dies, and the drone knows no other', { skip }, () => {
  it('its job is reaped by the other queen after the lease; the drone\'s late result is recorded', async (t) => {
    const secretKey = randomBytes(32).toString('hex');
    const env = { HIVE_HEARTBEAT_MS: '300', HIVE_LEASE_MS: String(LEASE_MS), HIVE_SECRET_KEY: secretKey };
    const a = await startTestQueen(env);
    cleanups.push(() => a.stop());
    const bDir = await mkdtemp(join(tmpdir(), 'hive-dead-queen-b-'));
    cleanups.push(() => rm(bDir, { recursive: true, force: true }));
    const bOptions = { dataDir: bDir, port: await freePort(), databaseUrl: a.testDb.url, env };
    const b = await startQueenProcess(bOptions);
    cleanups.push(() => b.kill('SIGKILL'));
    const repo = await createGitRepo({ files: { README: 'dead queen\n' } });
    cleanups.push(() => repo.cleanup());

    const gate = join(bDir, 'gate');
    const projectId = await numberedProject(a.api, { name: 'stranded', repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0.01 });
    const jobId = await triggerJob(a.api, projectId);
    // Only B has a drone, and the drone only B.
    const drone = await startDrone(undefined, { name: 'stranded', port: b.port });
    cleanups.push(() => drone.stop());
    const watcher = await openEventsClient(a.url);
    cleanups.push(async () => watcher.close());
    watcher.send({ type: 'subscribe', jobId });
    const stdout = () => watcher.messages.filter((m) => m.type === 'events').flatMap((m) => m.events).map((e: { data?: string }) => e.data ?? '').join('');
    await watcher.waitFor(() => /^line 10$/m.test(stdout()), 30_000);

    const errored = a.waitForJob(jobId, ['errored'], 30_000);
    await b.kill('SIGKILL');
    const killedAt = Date.now();
    const reaped = await errored;
    const after = Date.now() - killedAt;
    t.diagnostic(`reaped by A ${after} ms after B was killed (lease ${LEASE_MS} ms)`);
    assert.ok(after >= LEASE_MS - 500, `not before the lease ran out (${after} ms)`);
    assert.match(reaped.message ?? '', /Lost the drone running this job: no heartbeat from drone stranded within the lease/);

    // The drone finishes the build with no queen to tell; then its queen is back.
    await writeFile(gate, '');
    const b2 = await startQueenProcess(bOptions);
    cleanups.push(() => b2.kill('SIGTERM'));
    const job = await until('the late result', async () => {
      const res = await a.api('GET', `/api/jobs/${jobId}`);
      return res.body?.lateResult ? res.body : undefined;
    }, { timeoutMs: 30_000, everyMs: 100 });
    assert.equal(job.status, 'errored', 'a final status never changes');
    assert.equal(job.attempt, 1);
    assert.deepEqual([job.lateResult.status, job.lateResult.message], ['passed', null]);
    const log = await jobLog(a.api, jobId);
    assertNumberedLog(log, LINES);
    assert.match(log, /\[the drone finished after the job was reaped: passed\]\n$/);
    assert.match(drone.output(), /welcomed by the queen/);
  });
});
