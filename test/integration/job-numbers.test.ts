/**
 * A job is inserted with its project's next number in one statement: numbers follow one
 * another, concurrent inserts never share one, and a job of a project that is gone is
 * not inserted (and takes nothing).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { insertJob } from '../../server/db/jobs.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { resultRows } from '../../server/db/raw-sql.ts';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(() => database.close());

const newJob = (projectId: string, priority?: number) => ({
  projectId, type: 'TEST' as const, ref: { branch: 'main' }, trigger: { source: { type: 'api' as const }, at: new Date().toISOString() }, priority,
});

it('numbers a project\'s jobs one after another, concurrent ones too, with the queue key of their priority', async () => {
  const projectId = randomUUID();
  await database.db.execute(sql`insert into projects (id, name, repo_url) values (${projectId}, 'numbers', 'x')`);
  const first = await insertJob(database.db, newJob(projectId));
  assert.equal(first?.number, 1);
  const many = await Promise.all(Array.from({ length: 20 }, () => insertJob(database.db, newJob(projectId))));
  assert.deepEqual(many.map((j) => j!.number).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 2));
  const urgent = await insertJob(database.db, newJob(projectId, 30));
  assert.equal(urgent?.number, 22);
  assert.equal(urgent!.createdAt.getTime() - urgent!.queueKey.getTime(), 30 * 60_000, 'queued 30 minutes ahead');
  const result = await database.db.execute(sql`select next_job_number from projects where id = ${projectId}`);
  const rows = resultRows<{ next_job_number: number }>(result);
  assert.equal(rows[0].next_job_number, 23);
});

it('inserts nothing for a project that is gone', async () => {
  const count = async () => {
    const result = await database.db.execute(sql`select count(*)::int as n from jobs`);
    return resultRows<{ n: number }>(result)[0].n;
  };
  const before = await count();
  assert.equal(await insertJob(database.db, newJob(randomUUID())), undefined);
  assert.equal(await count(), before);
});

it('stores what a trigger gave, and the defaults of what it did not (SQL NULL, not JSON null)', async () => {
  const projectId = randomUUID();
  await database.db.execute(sql`insert into projects (id, name, repo_url) values (${projectId}, 'fields', 'x')`);
  const bare = await insertJob(database.db, newJob(projectId));
  const full = await insertJob(database.db, {
    ...newJob(projectId, -5), matrix: { os: 'linux', 'odd "key"': "it's" }, params: { name: 'x' }, dedupKey: 'k1', uploadId: randomUUID(),
  });
  assert.ok(bare && full);
  const read = async (id: string) => resultRows<Record<string, unknown>>(await database.db.execute(sql`
    select matrix is null as no_matrix, jsonb_typeof(matrix) as matrix_type, params, priority, run_id, upload_id is null as no_upload,
      dedup_key, ref, trigger->'source' as source from jobs where id = ${id}`))[0];
  const b = await read(bare.id);
  assert.deepEqual([b.no_matrix, b.params, b.priority, b.run_id, b.no_upload, b.dedup_key], [true, {}, 0, null, true, null]);
  assert.deepEqual(b.ref, { branch: 'main' });
  assert.deepEqual(b.source, { type: 'api' });
  const f = await read(full.id);
  assert.deepEqual([f.no_matrix, f.matrix_type, f.params, f.priority, f.no_upload, f.dedup_key], [false, 'object', { name: 'x' }, -5, false, 'k1']);
  assert.deepEqual(full.matrix, { os: 'linux', 'odd "key"': "it's" });
  assert.equal(bare.matrix, null);
  assert.deepEqual(bare.params, {});
});
