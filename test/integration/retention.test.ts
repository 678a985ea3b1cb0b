/**
 * Retention through a real queen: a pass removes the logs of finished builds past the
 * retention (and only those: running builds and each project's newest builds keep theirs),
 * keeps the job rows with their commands, removes old webhook deliveries, and the API,
 * the build page and /metrics say so. Rows are inserted directly, with old dates.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { count, eq } from 'drizzle-orm';
import type { Db } from '../../server/db/client.ts';
import { jobCommands, jobLogChunks, jobs, projects, webhookDeliveries } from '../../server/db/schema.ts';
import { silentLogger } from '../../server/logger.ts';
import type { JobStatus } from '../../common/protocol/index.ts';
import { RetentionLoop } from '../../server/jobs/retention-loop.ts';
import { scrapeMetrics, startTestQueen, type TestQueen } from '../helpers/queen.ts';

const PASSWORD = 'retention-password-1';
const DAY_MS = 24 * 60 * 60_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS);
const POLICY = { HIVE_LOG_RETENTION_DAYS: '7', HIVE_KEEP_BUILDS: '2', HIVE_WEBHOOK_DELIVERY_RETENTION_DAYS: '30' };

let queen: TestQueen;
let db: Db;

async function insertProject(name: string): Promise<string> {
  const id = randomUUID();
  await db.insert(projects).values({ id, name, repoUrl: `/srv/${name}` });
  return id;
}

/** A job with `chunks` log chunks (one command's output each) and one finished command. */
async function insertJob(projectId: string, number: number, status: JobStatus, finishedDaysAgo: number | null, chunks: number): Promise<string> {
  const id = randomUUID();
  const finishedAt = finishedDaysAgo === null ? null : daysAgo(finishedDaysAgo);
  const startedAt = status === 'queued' ? null : daysAgo((finishedDaysAgo ?? 30) + 0.01);
  await db.insert(jobs).values({
    id, projectId, number, type: 'TEST', status, startedAt, finishedAt, createdAt: startedAt ?? new Date(),
    ref: { branch: 'main' }, trigger: { source: { type: 'api' }, at: (startedAt ?? new Date()).toISOString() }, lastSeq: chunks + 1,
  });
  if (chunks === 0) return id;
  const at = startedAt!.getTime();
  await db.insert(jobCommands).values({ jobId: id, idx: 0, phase: 'test', command: 'make test', exitCode: status === 'failed' ? 2 : 0, durationMs: 1500, startedAt: startedAt!, finishedAt: finishedAt ?? undefined });
  const rows = Array.from({ length: chunks }, (_, i) => {
    const seq = i + 1;
    const events = i === 0
      ? [{ seq, at, type: 'job:cmd:start', cmd: 0, phase: 'test', command: 'make test' }]
      : [{ seq, at, type: 'job:cmd:stdout', cmd: 0, data: `line ${seq} of build ${number}\n` }];
    return { jobId: id, seqFrom: seq, seqTo: seq, attempt: 1, body: JSON.stringify(events) };
  });
  for (let i = 0; i < rows.length; i += 1000) await db.insert(jobLogChunks).values(rows.slice(i, i + 1000));
  return id;
}

async function chunkCount(jobId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(jobLogChunks).where(eq(jobLogChunks.jobId, jobId));
  return row.n;
}

async function insertDelivery(projectId: string, receivedDaysAgo: number): Promise<string> {
  const deliveryId = randomUUID();
  await db.insert(webhookDeliveries).values({
    id: randomUUID(), provider: 'github', deliveryId, event: 'push', projectId, receivedAt: daysAgo(receivedDaysAgo), outcome: 'queued',
  });
  return deliveryId;
}

/** The ids of what was seeded, by what should happen to them. */
const seeded = {
  pruned: [] as string[],
  kept: [] as string[],
  chunksOfPruned: 0,
  chunksOfKept: new Map<string, number>(),
  oldDelivery: '',
  newDelivery: '',
  busyProject: '',
};

async function seed(name: string, number: number, status: JobStatus, finishedDaysAgo: number | null, chunks: number, fate: 'pruned' | 'kept') {
  const id = await insertJob(projectIds.get(name)!, number, status, finishedDaysAgo, chunks);
  seeded[fate].push(id);
  if (fate === 'pruned') seeded.chunksOfPruned += chunks;
  else seeded.chunksOfKept.set(id, chunks);
  return id;
}
const projectIds = new Map<string, string>();

let firstPass: Awaited<ReturnType<RetentionLoop['runPass']>>;

before(async () => {
  queen = await startTestQueen({ ...POLICY, HIVE_ADMIN_PASSWORD: PASSWORD });
  db = queen.testDb.db;
  for (const name of ['busy', 'quiet']) projectIds.set(name, await insertProject(name));
  seeded.busyProject = projectIds.get('busy')!;
  // busy: the newest two builds (#5, #4) are kept by HIVE_KEEP_BUILDS=2 anyway; the rest
  // go by age and status. #2's log spans several delete statements (1000 rows each).
  await seed('busy', 1, 'passed', 30, 3, 'pruned');
  await seed('busy', 2, 'failed', 10, 2500, 'pruned');
  await seed('busy', 3, 'running', null, 4, 'kept'); // started 30 days ago, still running
  await seed('busy', 4, 'passed', 1, 2, 'kept');
  await seed('busy', 5, 'queued', null, 0, 'kept');
  // quiet: every build is old; the newest two keep their logs.
  await seed('quiet', 1, 'errored', 20, 1, 'pruned');
  await seed('quiet', 2, 'cancelled', 19, 1, 'pruned');
  await seed('quiet', 3, 'timed_out', 18, 1, 'kept');
  await seed('quiet', 4, 'passed', 17, 1, 'kept');
  seeded.oldDelivery = await insertDelivery(seeded.busyProject, 31);
  seeded.newDelivery = await insertDelivery(seeded.busyProject, 29);
  // Waits for the pass the queen ran at start (on an empty database), then runs one.
  firstPass = await queen.retention.runPass();
});
after(async () => {
  await queen?.stop();
});

describe('retention', () => {
  it('removes exactly the logs of finished builds past the retention, beyond each project\'s newest builds', async () => {
    assert.deepEqual(firstPass, { jobs: seeded.pruned.length, chunks: seeded.chunksOfPruned, deliveries: 1, uploads: 0 });
    for (const id of seeded.pruned) {
      assert.equal(await chunkCount(id), 0, `job ${id} lost its log`);
      const [job] = await db.select().from(jobs).where(eq(jobs.id, id));
      assert.ok(job.logPrunedAt instanceof Date, 'and is marked');
    }
    for (const [id, chunks] of seeded.chunksOfKept) {
      assert.equal(await chunkCount(id), chunks, `job ${id} keeps its log`);
      const [job] = await db.select().from(jobs).where(eq(jobs.id, id));
      assert.equal(job.logPrunedAt, null);
    }
  });

  it('keeps the job itself: status, times and commands with their exit codes', async () => {
    const failed = seeded.pruned[1];
    const { status, body } = await queen.api('GET', `/api/jobs/${failed}`);
    assert.equal(status, 200);
    assert.equal(body.status, 'failed');
    assert.equal(body.number, 2);
    assert.ok(body.finishedAt);
    assert.deepEqual(body.commands.map((c: { command: string; exitCode: number }) => [c.command, c.exitCode]), [['make test', 2]]);
  });

  it('says when the log was removed: the job JSON has the date, the log answers 410 Gone', async () => {
    const pruned = seeded.pruned[0];
    const job = await queen.api('GET', `/api/jobs/${pruned}`);
    assert.match(job.body.logPrunedAt, /^\d{4}-\d\d-\d\dT/);
    assert.ok(Math.abs(Date.parse(job.body.logPrunedAt) - Date.now()) < 60_000, 'pruned now');
    const log = await queen.api('GET', `/api/jobs/${pruned}/log`);
    assert.equal(log.status, 410);
    assert.equal(log.body.error.code, 'gone');
    assert.match(log.body.error.message, new RegExp(`removed by retention on ${job.body.logPrunedAt.slice(0, 10)}`));

    const list = await queen.api('GET', `/api/projects/${seeded.busyProject}/jobs`);
    const byNumber = new Map(list.body.jobs.map((j: { number: number; logPrunedAt: string | null }) => [j.number, j.logPrunedAt]));
    assert.equal(byNumber.get(1), job.body.logPrunedAt);
    assert.equal(byNumber.get(4), null);

    const kept = seeded.kept[1]; // busy #4, finished yesterday
    assert.equal((await queen.api('GET', `/api/jobs/${kept}`)).body.logPrunedAt, null);
    const text = await queen.api('GET', `/api/jobs/${kept}/log`);
    assert.equal(text.status, 200);
    assert.match(text.text, /\$ make test\nline 2 of build 4\n/);
  });

  it('shows a note where the log would be on the build page', async () => {
    const login = await fetch(`${queen.url}/login`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'admin', password: PASSWORD, next: '/' }),
    });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const page = async (id: string) => (await fetch(`${queen.url}/builds/${id}`, { headers: { cookie } })).text();
    const pruned = await page(seeded.pruned[0]);
    assert.match(pruned, /Log removed by retention on <time datetime="[^"]+"[^>]*>\d{4}-\d\d-\d\d<\/time>/);
    assert.doesNotMatch(pruned, /Download raw log/);
    const kept = await page(seeded.kept[1]);
    assert.doesNotMatch(kept, /removed by retention/);
    assert.match(kept, /Download raw log/);
  });

  it('removes webhook deliveries past their retention and keeps the newer ones', async () => {
    const { body } = await queen.api('GET', `/api/projects/${seeded.busyProject}/webhook-deliveries`);
    assert.deepEqual(body.deliveries.map((d: { deliveryId: string }) => d.deliveryId), [seeded.newDelivery]);
  });

  it('counts what it removed in /metrics', async () => {
    const text = await scrapeMetrics(queen);
    assert.match(text, new RegExp(`^hive_retention_job_logs_removed_total ${seeded.pruned.length}$`, 'm'));
    assert.match(text, new RegExp(`^hive_retention_log_chunks_deleted_total ${seeded.chunksOfPruned}$`, 'm'));
    assert.match(text, /^hive_retention_webhook_deliveries_deleted_total 1$/m);
  });

  it('finds nothing to do on a second pass', async () => {
    const [before] = await db.select({ at: jobs.logPrunedAt }).from(jobs).where(eq(jobs.id, seeded.pruned[0]));
    assert.deepEqual(await queen.retention.runPass(), { jobs: 0, chunks: 0, deliveries: 0, uploads: 0 });
    const [afterwards] = await db.select({ at: jobs.logPrunedAt }).from(jobs).where(eq(jobs.id, seeded.pruned[0]));
    assert.deepEqual(afterwards.at, before.at, 'the date of removal stays the first one');
  });

  it('runs a pass as soon as it starts, and stops', async () => {
    const projectId = await insertProject('late');
    const old = await insertJob(projectId, 1, 'passed', 10, 2);
    await insertJob(projectId, 2, 'passed', 9, 1);
    await insertJob(projectId, 3, 'passed', 8, 1);
    const loop = new RetentionLoop({ db, log: silentLogger(), policy: { logRetentionDays: 7, keepBuilds: 2, webhookDeliveryRetentionDays: 0 } });
    const passed = once(loop, 'pass');
    loop.start();
    const [result] = await passed;
    assert.deepEqual(result, { jobs: 1, chunks: 2, deliveries: 0, uploads: 0 });
    assert.equal(await chunkCount(old), 0);
    await loop.stop();
    assert.deepEqual(await loop.runPass(), { jobs: 0, chunks: 0, deliveries: 0, uploads: 0 }, 'a stopped loop runs no more passes');
  });
});
