/**
 * The dispatcher reads the queue in pages by cursor. Jobs queued within one millisecond
 * (a run of 100, a matrix, a burst of webhooks) must page on, not be read again: the
 * cursor compares the database's microsecond times, not JavaScript's milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { listRunnableJobs, type QueueCursor } from '../../server/db/jobs.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

let database: TestDatabase;
before(async () => { database = await createTestDatabase(); });
after(async () => { await database?.close(); });

it('pages through 450 jobs queued in the same microsecond and in the same millisecond, each once', async () => {
  const { db } = database;
  await db.execute(sql`insert into projects (id, name, repo_url) values ('00000000-0000-4000-8000-0000000000aa', 'burst', 'x')`);
  // 300 share one time exactly; 150 more fall within the same millisecond, microseconds apart.
  await db.execute(sql`insert into jobs (id, project_id, number, type, ref, trigger, spec, created_at, queue_key)
    select gen_random_uuid(), '00000000-0000-4000-8000-0000000000aa', g, 'TEST', '{}'::jsonb, '{}'::jsonb, '{}'::jsonb,
      timestamptz '2026-01-01 00:00:00.123000+00' + make_interval(secs => case when g > 300 then (g - 300) * 0.000001 else 0 end),
      timestamptz '2026-01-01 00:00:00.123000+00' + make_interval(secs => case when g > 300 then (g - 300) * 0.000001 else 0 end)
    from generate_series(1, 450) g`);
  const seen: string[] = [];
  let cursor: QueueCursor | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await listRunnableJobs(db, 200, cursor);
    seen.push(...page.map((j) => j.id));
    if (page.length < 200) break;
    cursor = { id: page[page.length - 1].id };
  }
  assert.equal(seen.length, 450);
  assert.equal(new Set(seen).size, 450, 'no job read twice');
});
