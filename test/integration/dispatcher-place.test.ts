/**
 * A resolved job goes to a free drone in the statement that stores its resolution when
 * nothing runnable is ahead of it (no round: no read of the queue, no separate claim), and
 * otherwise waits for a round that keeps the queue's order.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { JobSpec, QueenMessage } from '../../common/protocol/index.ts';
import { findJob } from '../../server/db/jobs.ts';
import { JobLifecycle } from '../../server/jobs/job-lifecycle.ts';
import { LiveBus } from '../../server/jobs/live-bus.ts';
import { createLogger } from '../../server/logger.ts';
import { Dispatcher, type Resolution } from '../../server/scheduler/dispatcher.ts';
import { DroneHub, type ConnectedDrone } from '../../server/scheduler/drone-hub.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

let database: TestDatabase;
let projectId: string;
let number = 0;

before(async () => {
  database = await createTestDatabase();
  projectId = randomUUID();
  await database.db.execute(sql`insert into projects (id, name, repo_url) values (${projectId}, 'place', 'x')`);
});
after(() => database.close());

/** A queued job, unresolved unless `labels` is given (then resolved, needing them). */
async function queued(opts: { priority?: number; labels?: string[] } = {}): Promise<string> {
  const id = randomUUID();
  const priority = opts.priority ?? 0;
  const spec = opts.labels ? JSON.stringify(specFor(id, opts.labels)) : null;
  await database.db.execute(sql`insert into jobs (id, project_id, number, type, ref, trigger, priority, queue_key, spec)
    values (${id}, ${projectId}, ${++number}, 'TEST', '{}'::jsonb, '{}'::jsonb, ${priority},
            now() - make_interval(mins => ${priority}), ${spec}::jsonb)`);
  return id;
}

function specFor(jobId: string, labels: string[] = []): JobSpec {
  return { jobId, requires: { labels, plugins: [] } } as unknown as JobSpec;
}

function resolution(jobId: string, maxConcurrent: number | null = null): Resolution {
  return { jobId, spec: specFor(jobId), ref: { branch: 'main', sha: 'a'.repeat(40) }, plugins: [], maxConcurrent };
}

/** A dispatcher over one drone of `capacity`, recording what it is sent and every `runnable`. */
function setup(capacity: number) {
  const { db } = database;
  const hub = new DroneHub();
  const lifecycle = new JobLifecycle({ db, bus: new LiveBus(), hub, log: createLogger('silent') });
  const dispatcher = new Dispatcher({
    db, hub, lifecycle, log: createLogger('silent'), leaseMs: 60_000,
    prepareSpecs: async (batch) => Promise.allSettled(batch.map((b) => b.spec)),
  });
  const sent: QueenMessage[] = [];
  let runnable = 0;
  lifecycle.on('runnable', () => runnable++);
  const drone: ConnectedDrone = hub.add(
    { id: randomUUID(), name: `place-${randomUUID().slice(0, 8)}`, labels: [], plugins: [], capacity, speed: 1, draining: false, tokenId: null },
    { send: (m) => sent.push(m), close: () => {}, probe: async () => true, heardAt: () => Date.now() },
  );
  const assigned = () => sent.flatMap((m) => (m.type === 'job:assign' ? [m.spec.jobId] : []));
  return { dispatcher, drone, assigned, runnable: () => runnable };
}

async function clearQueue(): Promise<void> {
  await database.db.execute(sql`update jobs set status = 'cancelled' where status in ('queued', 'assigned')`);
}

it('claims a resolved job for a free drone in its resolution statement when the queue has nothing ahead', async () => {
  await clearQueue();
  const { dispatcher, drone, assigned, runnable } = setup(1);
  const id = await queued();
  assert.equal(await dispatcher.place(resolution(id)), true);
  // Already assigned when place returns: no round (which starts on a later turn) took part.
  const job = await findJob(database.db, id);
  assert.equal(job?.status, 'assigned');
  assert.equal(job?.droneId, drone.id);
  assert.ok(job?.spec, 'the spec is stored with the claim');
  assert.deepEqual(assigned(), [id]);
  assert.ok(drone.jobs.has(id), 'the slot is taken in the hub');
  assert.equal(runnable(), 0, 'no round was asked for');
  await dispatcher.stop();
});

it('only resolves a job with a runnable job ahead of it; the round then keeps the queue order', async () => {
  await clearQueue();
  const { dispatcher, assigned, runnable } = setup(1);
  const ahead = await queued({ priority: 10, labels: [] });
  const id = await queued();
  assert.equal(await dispatcher.place(resolution(id)), true);
  assert.equal((await findJob(database.db, id))?.status, 'queued', 'resolved, not claimed');
  assert.ok((await findJob(database.db, id))?.spec);
  assert.equal(runnable(), 1, 'its resolution asks for a round');
  await dispatcher.settled();
  assert.deepEqual(assigned(), [ahead], 'the one slot went to the job ahead');
  await dispatcher.stop();
});

it('keeps waiting behind a job ahead that no drone fits, and a round assigns it', async () => {
  await clearQueue();
  const { dispatcher, assigned, runnable } = setup(1);
  await queued({ priority: 10, labels: ['gpu'] });
  const id = await queued();
  assert.equal(await dispatcher.place(resolution(id)), true);
  // Read as place returns: the round it asked for may claim the job as soon as it can
  // (on PostgreSQL, beside a read of the job's row).
  assert.deepEqual(assigned(), [], 'a job ahead stops the claim, fitting or not');
  assert.equal(runnable(), 1);
  await dispatcher.settled();
  assert.deepEqual(assigned(), [id], 'the round passes over the job no drone fits');
  await dispatcher.stop();
});

it('leaves a job of a project with a concurrency limit, and any job when no drone is free, to a round', async () => {
  await clearQueue();
  const limited = setup(1);
  const first = await queued();
  assert.equal(await limited.dispatcher.place(resolution(first, 1)), true);
  assert.deepEqual(limited.assigned(), [], 'not claimed with its resolution');
  assert.equal(limited.runnable(), 1);
  await limited.dispatcher.settled();
  assert.deepEqual(limited.assigned(), [first], 'the round claimed it under the project lock');
  await limited.dispatcher.stop();

  await clearQueue();
  const full = setup(0);
  const second = await queued();
  assert.equal(await full.dispatcher.place(resolution(second)), true);
  await full.dispatcher.settled();
  assert.equal((await findJob(database.db, second))?.status, 'queued');
  assert.deepEqual(full.assigned(), []);
  await full.dispatcher.stop();
});

it('changes nothing for a job resolved already or no longer queued', async () => {
  await clearQueue();
  const { dispatcher, assigned, runnable } = setup(2);
  const cancelled = await queued();
  await database.db.execute(sql`update jobs set status = 'cancelled' where id = ${cancelled}`);
  // Resolved by another queen first, needing a label no drone here has.
  const stillQueuedResolved = await queued({ labels: ['x'] });
  for (const id of [cancelled, stillQueuedResolved]) {
    assert.equal(await dispatcher.place(resolution(id)), false);
  }
  const row = await findJob(database.db, stillQueuedResolved);
  assert.deepEqual(row?.spec?.requires, { labels: ['x'], plugins: [] }, 'the first resolution is kept');
  assert.equal(row?.status, 'queued');
  assert.equal((await findJob(database.db, cancelled))?.spec, null);
  assert.deepEqual(assigned(), []);
  assert.equal(runnable(), 0);
  await dispatcher.stop();
});
