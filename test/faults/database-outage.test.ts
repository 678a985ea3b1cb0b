/**
 * Fault: PostgreSQL becomes unreachable while jobs run — the queen reaches it through a
 * TCP proxy the test cuts (connections reset, new ones refused) or silences (queries
 * hang) — for less and for more than the lease. The drones are fine and connected throughout, so no job may be errored
 * for it: events whose write failed are kept and written once the database answers, and
 * leases that ran out while the drone kept sending heartbeats are extended, not reaped
 * (server/scheduler/lease-reaper.ts). Every log holds each line once, in order.
 *
 * PGlite runs inside the queen's process: there is no connection to cut, so this file
 * runs with TEST_DATABASE_URL only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../server/db/client.ts';
import type { Job } from '../../server/db/jobs.ts';
import { createLogger } from '../../server/logger.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startTestQueen, waitForOutput, type TestQueen } from '../helpers/queen.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

const LEASE_MS = 3000;
const LINES = 40;
const onPostgres = !!process.env.TEST_DATABASE_URL;
let direct: TestDatabase;
let proxy: TcpProxy;
let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let gates: string;
/** Every status each job went through, as the queen announced them. */
const seen = new Map<string, string[]>();
/**
 * The queen's errors of requests it answered 500 (its log is otherwise silent): a failed
 * read after the outage then says why, not only that it failed.
 */
const failedRequests: string[] = [];

before(async () => {
  if (!onPostgres) return;
  direct = await createTestDatabase();
  const url = new URL(direct.url!);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  // The queen's database client, opened from a URL like any queen's: the proxy's.
  const proxied = await openDatabase({ url: url.toString(), maxConnections: 5 });
  const log = createLogger('error', 'queen', {
    write: (line: string) => { if (line.includes('"request failed"')) failedRequests.push(line.slice(0, 2000)); },
  });
  queen = await startTestQueen(
    { HIVE_LEASE_MS: String(LEASE_MS), HIVE_HEARTBEAT_MS: '300' },
    { testDb: { ...proxied, url: url.toString() }, dataDir: await mkdtemp(join(tmpdir(), 'hive-db-outage-')) },
    { log },
  );
  queen.bus.on('job-status', (job: Job) => seen.set(job.id, [...(seen.get(job.id) ?? []), job.status]));
  drone = await connectDrone(queen, { name: 'healthy', capacity: 2 });
  repo = await createGitRepo({ files: { README: 'database outage\n' } });
  gates = await mkdtemp(join(tmpdir(), 'hive-db-gates-'));
});
after(async () => {
  if (!onPostgres) return;
  await drone?.stop();
  proxy?.restore();
  await queen?.stop(); // closes the proxied client too
  await proxy?.close();
  await direct?.close();
  await repo?.cleanup();
  await rm(gates, { recursive: true, force: true });
});

/** A job that prints 10 lines, waits for its gate, then prints the rest. */
async function gatedJob(name: string): Promise<{ jobId: string; open: () => Promise<void> }> {
  const gate = join(gates, name);
  const projectId = await numberedProject(queen.api, { name, repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0.01 });
  const jobId = await triggerJob(queen.api, projectId);
  await waitForOutput(queen, jobId, /^line 10$/m);
  return { jobId, open: () => writeFile(gate, '') };
}
/** The outage itself is what these tests are about: it lasts a set time. */
const outage = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function assertUnharmed(jobId: string): Promise<void> {
  const job = await queen.waitForJob(jobId, undefined, 60_000);
  assert.equal(job.status, 'passed', job.message ?? '');
  assert.equal(job.attempt, 1, 'the same attempt: never re-queued');
  assert.ok(!seen.get(jobId)?.includes('errored'), `never errored: ${seen.get(jobId)}`);
  const res = await queen.api('GET', `/api/jobs/${jobId}/log`);
  assert.equal(res.status, 200, `${res.text}\n${failedRequests.join('\n')}`);
  assertNumberedLog(res.text, LINES);
}

describe('PostgreSQL unreachable', { concurrency: false, skip: onPostgres ? false : 'PGlite runs inside the queen: there is no connection to cut (runs with TEST_DATABASE_URL)' }, () => {
  it('shorter than the lease: running jobs pass, every line once, in order', async () => {
    const { jobId, open } = await gatedJob('db-short');
    proxy.cut();
    // A read the database cannot serve now is refused as such (503, try again), not a 500.
    const during = await queen.api('GET', `/api/jobs/${jobId}`);
    assert.equal(during.status, 503, during.text);
    assert.equal(during.body.error.code, 'database_unavailable');
    assert.equal(during.headers.get('retry-after'), '1');
    assert.deepEqual(failedRequests, [], 'nothing logged as a failed request');
    await open(); // the job goes on, and finishes, while nothing can be stored
    await outage(LEASE_MS * 0.5);
    proxy.restore();
    await assertUnharmed(jobId);
  });

  it('longer than the lease: running jobs are not errored, their leases are extended, and they pass with exact logs', async () => {
    const finishing = await gatedJob('db-long-finishing');
    const running = await gatedJob('db-long-running');
    proxy.cut();
    await finishing.open(); // ends during the outage
    await outage(LEASE_MS * 2.5);
    proxy.restore();
    await running.open(); // ends after it
    await assertUnharmed(finishing.jobId);
    await assertUnharmed(running.jobId);
  });

  it('silent (queries hang) longer than the lease: the same', async () => {
    const finishing = await gatedJob('db-silent-finishing');
    const running = await gatedJob('db-silent-running');
    proxy.pause();
    await finishing.open();
    await outage(LEASE_MS * 2.5);
    proxy.resume();
    await running.open();
    await assertUnharmed(finishing.jobId);
    await assertUnharmed(running.jobId);
  });
});
