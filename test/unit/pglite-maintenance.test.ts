import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { openDatabase, type Database } from '../../server/db/client.ts';
import { maintainPglite, tablesDue } from '../../server/db/pglite-maintenance.ts';
import { jobs, projects } from '../../server/db/schema.ts';

// PGlite-only by nature (PostgreSQL has its own autovacuum), so always the embedded engine.
let database: Database;
before(async () => {
  database = await openDatabase({ inMemory: true });
});
after(() => database.close());

test('a table is due when it has grown a fifth (plus a few pages, at most 256 MB) past its recorded size, was never measured, or has old transaction ids', () => {
  const young = { xidAge: 1000 };
  assert.deepEqual(tablesDue([
    { name: 'same', pages: 100, recorded: 100, ...young },
    { name: 'grown-a-little', pages: 120, recorded: 100, ...young },
    { name: 'grown', pages: 129, recorded: 100, ...young },
    { name: 'never-measured', pages: 1, recorded: 0, ...young },
    { name: 'empty', pages: 0, recorded: 0, ...young },
    { name: 'big-grown-256mb', pages: 1_000_000 + 32_769, recorded: 1_000_000, ...young },
    { name: 'big-grown-less', pages: 1_000_000 + 32_000, recorded: 1_000_000, ...young },
    { name: 'old-xids', pages: 100, recorded: 100, xidAge: 150_000_001 },
  ]), ['grown', 'never-measured', 'big-grown-256mb', 'old-xids']);
});

async function projectPagePlan(projectId: string): Promise<string> {
  const { rows } = await database.pglite!.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id, number FROM jobs WHERE project_id = $1 ORDER BY number DESC LIMIT 51`, [projectId]);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

test('after many inserts a pass analyzes the table, so a project page walks the index instead of sorting every build', async () => {
  const projectId = randomUUID();
  await database.db.insert(projects).values({ id: projectId, name: 'big', repoUrl: '/srv/big' });
  assert.ok((await maintainPglite(database.pglite!)).includes('projects'), 'tables never measured are done at start');
  for (let from = 1; from <= 10_000; from += 1000) {
    await database.db.insert(jobs).values(Array.from({ length: 1000 }, (_, i) => ({
      id: randomUUID(), projectId, number: from + i, type: 'TEST' as const, status: 'passed' as const,
      ref: { branch: 'main' }, trigger: { source: { type: 'api' as const }, at: new Date().toISOString() },
    })));
  }
  assert.match(await projectPagePlan(projectId), /Sort/, 'without statistics the planner expects a handful of rows and sorts');
  const done = await maintainPglite(database.pglite!);
  assert.ok(done.includes('jobs'), `jobs grew and is due (done: ${done.join(', ')})`);
  const plan = await projectPagePlan(projectId);
  assert.match(plan, /Index Scan Backward using jobs_project_number_unique/);
  assert.doesNotMatch(plan, /Sort/);
  assert.deepEqual(await maintainPglite(database.pglite!), [], 'nothing grew since');
});
