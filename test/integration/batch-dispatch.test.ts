/**
 * The dispatcher claims a backlog in batches (one statement per page of the queue): each
 * job goes to one drone once, no drone gets more than its capacity, the queue's order
 * decides who waits, and two claimers racing for the same jobs never both get one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { JobAssign } from '../../common/protocol/index.ts';
import { claimJobs } from '../../server/db/jobs.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';
import { openDatabase } from '../../server/db/client.ts';
import { createTestDatabase } from '../helpers/test-db.ts';
import { resultRows } from '../../server/db/raw-sql.ts';

let queen: TestQueen;
let repo: GitRepo;
const drones: RawDrone[] = [];

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
});
after(async () => {
  for (const d of drones) d.close();
  await queen?.stop();
  await repo?.cleanup();
});

/** `count` more queued, ready jobs of the project, copies of a resolved model job, queued in order. */
async function queueCopies(modelId: string, count: number): Promise<string[]> {
  const rows = await queen.database.db.execute(sql`
    insert into jobs (id, project_id, number, type, ref, trigger, spec, plugins, created_at, queue_key)
    select n.id, m.project_id, 1000 + g, m.type, m.ref, m.trigger, jsonb_set(m.spec, '{jobId}', to_jsonb(n.id::text)), m.plugins,
      now() + make_interval(secs => g), now() + make_interval(secs => g)
    from jobs m, generate_series(1, ${count}) g, lateral (select gen_random_uuid() as id, g as k) n
    where m.id = ${modelId}
    returning id`);
  return resultRows<{ id: string }>(rows).map((r) => r.id);
}

it('assigns a backlog larger than a page over many drones, each job once, in queue order, within capacity', async () => {
  const project = (await queen.api('POST', '/api/projects', { name: 'backlog', repoUrl: repo.url })).body;
  // A model job, resolved and assigned the usual way, whose spec the backlog copies.
  const model = await openRawDrone(queen.port);
  drones.push(model);
  await model.hello({ name: 'model', capacity: 1 });
  const modelId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  await model.waitFor((m) => m.type === 'job:assign' && m.spec.jobId === modelId);

  const backlog = await queueCopies(modelId, 260);
  // Queued behind the lifecycle's back: say so, as its `runnable` event would.
  queen.dispatcher.kick();
  // 25 drones of 10 slots: 250 of the 260 jobs get one, in two pages of the queue.
  const assigned = new Map<string, string[]>();
  const all = Promise.all(Array.from({ length: 25 }, async (_, i) => {
    const drone = await openRawDrone(queen.port);
    drones.push(drone);
    await drone.hello({ name: `slot-${i}`, capacity: 10 });
    const mine: string[] = [];
    assigned.set(`slot-${i}`, mine);
    while (mine.length < 10) {
      const next = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && !mine.includes(m.spec.jobId));
      mine.push(next.spec.jobId);
      assert.equal(next.spec.jobId.length, 36);
    }
  }));
  await all;
  await queen.dispatcher.settled();
  const ids = [...assigned.values()].flat();
  assert.equal(ids.length, 250);
  assert.equal(new Set(ids).size, 250, 'no job assigned twice');
  for (const [name, mine] of assigned) assert.ok(mine.length <= 10, `${name} holds ${mine.length} jobs`);
  assert.deepEqual(new Set(ids), new Set(backlog.slice(0, 250)), 'the 250 oldest were assigned, the 10 newest wait');
  for (const d of drones) {
    const extra = d.messages.filter((m) => m.type === 'job:assign').length;
    assert.ok(extra <= 10, `a drone got ${extra} assignments`);
  }
  const states = await queen.database.db.execute(sql`
    select status, count(*)::int as n from jobs where id in ${backlog} group by status order by status`);
  const byStatus = Object.fromEntries(resultRows<{ status: string; n: number }>(states).map((r) => [r.status, r.n]));
  assert.deepEqual(byStatus, { assigned: 250, queued: 10 });
});

it('never gives one job to two claimers racing for it, nor claims a job that is no longer queued', async () => {
  // Two connection pools on one database: on PostgreSQL the claims really overlap.
  const testDb = await createTestDatabase();
  const other = testDb.url ? await openDatabase({ url: testDb.url, maxConnections: 2 }) : undefined;
  try {
    const { db } = testDb;
    const projectId = randomUUID();
    await db.execute(sql`insert into projects (id, name, repo_url) values (${projectId}, 'race', 'x')`);
    const inserted = await db.execute(sql`insert into jobs (id, project_id, number, type, ref, trigger, spec)
      select gen_random_uuid(), ${projectId}, g, 'TEST', '{}'::jsonb, '{}'::jsonb, '{}'::jsonb from generate_series(1, 300) g
      returning id`);
    const ids = resultRows<{ id: string }>(inserted).map((r) => r.id);
    await db.execute(sql`update jobs set status = 'cancelled' where id = ${ids[0]}`);
    const claimsFor = (droneName: string) => ids.map((id) => ({ id, drone: { id: randomUUID(), name: droneName }, lease: randomUUID() }));
    const [a, b] = await Promise.all([
      claimJobs(db, claimsFor('a'), 60_000),
      claimJobs(other?.db ?? db, claimsFor('b'), 60_000),
    ]);
    const claimed = [...a, ...b].map((j) => j.id);
    assert.equal(claimed.length, 299, `claimed ${a.length} + ${b.length}`);
    assert.equal(new Set(claimed).size, 299, 'no job claimed twice');
    assert.ok(!claimed.includes(ids[0]), 'the cancelled job was not claimed');
    for (const job of [...a, ...b]) {
      assert.equal(job.status, 'assigned');
      assert.equal(job.droneName, a.includes(job) ? 'a' : 'b');
      assert.ok(job.lease && job.leaseExpiresAt && job.assignedAt);
    }
  } finally {
    await other?.close();
    await testDb.close();
  }
});
