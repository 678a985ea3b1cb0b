/**
 * A backlog larger than the resolver keeps in its pool is resolved whole: the listing
 * stops at the pool's limit and goes on from there as the pool drains, and jobs created
 * meanwhile are found too. The pool is 120 here (the queen's is 500), listed in pages of
 * 50: the limit falls inside a page.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { resultRows } from '../../server/db/raw-sql.ts';

const POOL_LIMIT = 120;
let queen: TestQueen;
let repo: GitRepo;
before(async () => {
  queen = await startTestQueen({}, undefined, { resolverPoolLimit: POOL_LIMIT });
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

it('resolves 170 queued jobs, more than the pool holds, each once', async () => {
  const project = (await queen.api('POST', '/api/projects', { name: 'backlog', repoUrl: repo.url })).body;
  for (let i = 0; i < 3; i++) {
    const res = await queen.api('POST', `/api/projects/${project.id}/runs`, { times: 50 });
    assert.equal(res.status, 201, res.text);
  }
  // More while the first are resolving: found by a listing from the start.
  for (let i = 0; i < 20; i++) assert.equal((await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).status, 201);
  await queen.resolver.settled();
  const result = await queen.database.db.execute(sql`
    select count(*)::int as total,
      count(*) filter (where spec is not null and status = 'queued')::int as resolved,
      count(*) filter (where resolved_at is not null)::int as stamped
    from jobs where project_id = ${project.id}`);
  const [row] = resultRows<{ total: number; resolved: number; stamped: number }>(result);
  assert.deepEqual(row, { total: 170, resolved: 170, stamped: 170 });
});
