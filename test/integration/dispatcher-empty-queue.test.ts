/**
 * Once a round has found every runnable job assigned, freed slots and new drones start no
 * round (no query of an empty queue at every job's end) until a job becomes runnable
 * again. Shown with the database closed after the queue emptied: a round would fail on it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { QueenMessage } from '../../common/protocol/index.ts';
import { JobLifecycle } from '../../server/jobs/job-lifecycle.ts';
import { LiveBus } from '../../server/jobs/live-bus.ts';
import { createLogger } from '../../server/logger.ts';
import { Dispatcher } from '../../server/scheduler/dispatcher.ts';
import { DroneHub } from '../../server/scheduler/drone-hub.ts';
import { createTestDatabase } from '../helpers/test-db.ts';

it('skips rounds for freed slots while the queue is known empty, and runs one when a job becomes runnable', async () => {
  const database = await createTestDatabase();
  const { db } = database;
  const projectId = randomUUID();
  await db.execute(sql`insert into projects (id, name, repo_url) values (${projectId}, 'empty-queue', 'x')`);
  for (let i = 1; i <= 2; i++) {
    const id = randomUUID();
    const spec = JSON.stringify({ jobId: id, requires: { labels: [], plugins: [] } });
    await db.execute(sql`insert into jobs (id, project_id, number, type, ref, trigger, spec) values (${id}, ${projectId}, ${i}, 'TEST', '{}'::jsonb, '{}'::jsonb, ${spec}::jsonb)`);
  }
  const errors: unknown[] = [];
  const silent = createLogger('silent');
  const log = Object.assign(Object.create(silent), { error: (o: unknown) => errors.push(o) }) as typeof silent;
  const hub = new DroneHub();
  const lifecycle = new JobLifecycle({ db, bus: new LiveBus(), hub, log });
  const dispatcher = new Dispatcher({
    db, hub, lifecycle, log, leaseMs: 60_000,
    prepareSpecs: async (batch) => Promise.allSettled(batch.map((b) => b.spec)),
  });
  const sent: QueenMessage[] = [];
  const drone = hub.add(
    { id: randomUUID(), name: 'empty-queue', labels: [], plugins: [], capacity: 3, speed: 1, draining: false, tokenId: null },
    { send: (m) => sent.push(m), close: () => {}, probe: async () => true, heardAt: () => Date.now() },
  );
  await dispatcher.settled();
  assert.equal(sent.filter((m) => m.type === 'job:assign').length, 2, 'both jobs assigned; the queue is empty');

  await database.close();
  drone.jobs.clear();
  lifecycle.emit('slot-freed');
  hub.capacityChanged(drone);
  await dispatcher.settled();
  assert.deepEqual(errors, [], 'no round ran: it would have failed on the closed database');

  lifecycle.emit('runnable', 'remote');
  await dispatcher.settled();
  assert.equal(errors.length, 1, 'a job that became runnable starts a round');
  await dispatcher.stop();
});
