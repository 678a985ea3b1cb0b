/**
 * What the queen keeps of rows every request needs — credentials, a job's row for its
 * log, projects (db/row-reads.ts: kept until the database's change feed says otherwise on the
 * embedded database, shared between callers that arrive together on PostgreSQL) — is never
 * older than the request, whoever changed the row and however: here the changes are made
 * behind the API's back, in SQL, as a cascade, a maintenance script or a code path that
 * forgets to tell anyone would make them.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { count, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { FINAL_STATUSES, JOB_STATUSES, type JobAssign } from '../../common/protocol/index.ts';
import { appendJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { findProject } from '../../server/db/projects.ts';
import { jobLogChunks } from '../../server/db/schema.ts';
import { resultRows } from '../../server/db/raw-sql.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';
import { testDatabaseKind } from '../helpers/test-db.ts';
import { logIn, sessionApi, webRequest } from '../helpers/web-session.ts';

let queen: TestQueen;
let repo: GitRepo;
let drone: RawDrone;
before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: 'kept-rows-admin-1', HIVE_LEASE_MS: '3600000' });
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
  drone = await openRawDrone(queen.port);
  await drone.hello({ name: 'kept-rows', capacity: 4 });
});
after(async () => {
  drone?.close();
  await queen?.stop();
  await repo?.cleanup();
});

it('only the embedded database has a change feed', () => {
  assert.equal(!!queen.database.changes, testDatabaseKind() === 'pglite');
});

it('a token revoked, a user demoted or a session ended in SQL is seen by the next call', async () => {
  const created = await queen.api('POST', '/api/users', { username: 'kept', password: 'kept-password-1' });
  assert.equal(created.status, 201, created.text);
  const session = await logIn(queen.url, 'kept', 'kept-password-1');
  const made = await sessionApi(queen.url, session, 'POST', '/api/tokens', { name: 'kept' });
  const token = made.body.token as string;
  const asToken = async (path: string) => (await queen.api('GET', path, undefined, { authorization: `Bearer ${token}` })).status;
  const asSession = async () => {
    const res = await webRequest(queen.url, '/api/projects', { session });
    await res.body?.cancel();
    return res.status;
  };
  // Read twice: the second answer may come from what the queen keeps.
  for (let i = 0; i < 2; i++) assert.equal(await asToken('/api/projects'), 200);
  for (let i = 0; i < 2; i++) assert.equal(await asSession(), 200);

  await queen.database.db.execute(sql`update users set is_admin = true where username = 'kept'`);
  assert.equal(await asToken('/api/users'), 200, 'made admin in SQL: an admin now');
  await queen.database.db.execute(sql`update users set is_admin = false where username = 'kept'`);
  assert.equal(await asToken('/api/users'), 403);

  await queen.database.db.execute(sql`update api_tokens set revoked_at = now() where name = 'kept'`);
  assert.equal(await asToken('/api/projects'), 401);
  await queen.database.db.execute(sql`delete from sessions where user_id = ${created.body.id}`);
  assert.equal(await asSession(), 401);
});

it("a user deleted in SQL takes their token's access with them (a cascade)", async () => {
  const created = await queen.api('POST', '/api/users', { username: 'cascade', password: 'cascade-password-1' });
  const session = await logIn(queen.url, 'cascade', 'cascade-password-1');
  const token = (await sessionApi(queen.url, session, 'POST', '/api/tokens', { name: 'cascade' })).body.token as string;
  const status = async () => (await queen.api('GET', '/api/projects', undefined, { authorization: `Bearer ${token}` })).status;
  for (let i = 0; i < 2; i++) assert.equal(await status(), 200);
  await queen.database.db.execute(sql`delete from users where id = ${created.body.id}`);
  assert.equal(await status(), 401);
});

it("a job's log read follows its row: lines stored, writes refused, the log pruned", async () => {
  const project = (await queen.api('POST', '/api/projects', { name: 'kept-rows', repoUrl: repo.url })).body;
  const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
  const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
  const read = async () => {
    const res = await queen.api('GET', `/api/jobs/${id}/log`);
    return { status: res.status, text: res.text };
  };
  const line = (seq: number) => ({ type: 'job:cmd:stdout', seq, at: Date.now(), cmd: 0, data: `line ${seq}\n` }) as StoredEvent;
  assert.ok(await appendJobEvents(queen.database.db, id, lease, [
    { type: 'job:started', seq: 1, at: Date.now() } as StoredEvent,
    { type: 'job:cmd:start', seq: 2, at: Date.now(), cmd: 0, phase: 'test', command: 'c' } as StoredEvent,
    line(3),
  ]));
  for (let i = 0; i < 2; i++) assert.match((await read()).text, /line 3\n$/);
  // Output only (the one-statement write): the next read has it.
  assert.ok(await appendJobEvents(queen.database.db, id, lease, [line(4), line(5)]));
  assert.match((await read()).text, /line 3\nline 4\nline 5\n$/);
  // A stale lease or a gap writes nothing, and the read stays as it was.
  assert.equal(await appendJobEvents(queen.database.db, id, 'not-the-lease', [line(6)]), undefined);
  assert.equal(await appendJobEvents(queen.database.db, id, lease, [line(7)]), undefined);
  assert.match((await read()).text, /line 5\n$/);
  const [{ n }] = await queen.database.db.select({ n: count() }).from(jobLogChunks).where(eq(jobLogChunks.jobId, id));
  assert.equal(n, 2, 'two batches stored, nothing of the refused ones');

  await queen.database.db.execute(sql`update jobs set log_pruned_at = now() where id = ${id}`);
  assert.equal((await read()).status, 410);
});

it("an ended job's log read is kept, and follows its row when that changes in SQL: the log pruned, the job removed", async () => {
  const project = (await queen.api('POST', '/api/projects', { name: 'kept-rows-ended', repoUrl: repo.url })).body;
  const endedJob = async () => {
    const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
    const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
    assert.ok(await appendJobEvents(queen.database.db, id, lease, [
      { type: 'job:started', seq: 1, at: Date.now() } as StoredEvent,
      { type: 'job:log', seq: 2, at: Date.now(), data: 'the only line\n' } as StoredEvent,
      { type: 'job:done', seq: 3, at: Date.now(), status: 'passed' } as StoredEvent,
    ]));
    return id;
  };
  const read = async (id: string) => {
    const res = await queen.api('GET', `/api/jobs/${id}/log`);
    return { status: res.status, text: res.text };
  };
  const pruned = await endedJob();
  // Read twice: the second answer may come from what the queen keeps.
  for (let i = 0; i < 2; i++) assert.deepEqual(await read(pruned), { status: 200, text: 'the only line\n' });
  await queen.database.db.execute(sql`update jobs set log_pruned_at = now() where id = ${pruned}`);
  assert.equal((await read(pruned)).status, 410);

  const removed = await endedJob();
  for (let i = 0; i < 2; i++) assert.equal((await read(removed)).status, 200);
  await queen.database.db.execute(sql`delete from jobs where id = ${removed}`);
  assert.equal((await read(removed)).status, 404);
});

it('the feed of job rows speaks of ended jobs only: a job being built changes its row unannounced', { skip: testDatabaseKind() !== 'pglite' && 'the embedded database alone has a change feed' }, async () => {
  const heard: string[] = [];
  const stop = await queen.testDb.pglite!.listen('hive_job_changed', (id) => heard.push(id));
  try {
    const project = (await queen.api('POST', '/api/projects', { name: 'kept-rows-feed', repoUrl: repo.url })).body;
    const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
    const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
    assert.ok(await appendJobEvents(queen.database.db, id, lease, [{ type: 'job:started', seq: 1, at: Date.now() } as StoredEvent]));
    assert.ok(await appendJobEvents(queen.database.db, id, lease, [{ type: 'job:log', seq: 2, at: Date.now(), data: 'a line\n' } as StoredEvent]));
    assert.ok(await appendJobEvents(queen.database.db, id, lease, [{ type: 'job:done', seq: 3, at: Date.now(), status: 'failed' } as StoredEvent]));
    assert.deepEqual(heard, [], 'created, claimed, started, its output and its end: nothing announced');
    await queen.database.db.execute(sql`update jobs set log_pruned_at = now() where id = ${id}`);
    await queen.database.db.execute(sql`delete from jobs where id = ${id}`);
    assert.deepEqual(heard, [id, id], 'the ended job\'s change and its removal');
  } finally {
    await stop();
  }
});

it("the feed of job rows names every final status and no other (migration 0021's list is the protocol's)", async () => {
  const [{ def }] = resultRows<{ def: string }>(await queen.database.db.execute(sql`select pg_get_triggerdef(oid) as def from pg_trigger
    where tgrelid = 'jobs'::regclass and tgname = 'jobs_change_feed'`));
  const named = JOB_STATUSES.filter((status) => def.includes(`'${status}'`));
  assert.deepEqual(named, [...FINAL_STATUSES], `a status added to FINAL_STATUSES must be added to the trigger: ${def}`);
});

/** Hears `hive_project_changed` on a connection of the test's own (PostgreSQL). */
async function listenToProjectChanges(onChange: (id: string) => void): Promise<postgres.Sql> {
  const client = postgres(queen.testDb.url!, { max: 1, onnotice: () => {} });
  await client.listen('hive_project_changed', onChange);
  return client;
}

/**
 * A read that shows a project change made in SQL: the next one on the embedded database;
 * on PostgreSQL the first after the change's notification reached the queen
 * (project-change-feed.ts) — within milliseconds, not necessarily before the next read.
 */
async function seenAfterSqlChange(read: () => Promise<boolean>): Promise<void> {
  if (testDatabaseKind() === 'pglite') return assert.ok(await read(), 'seen by the next read');
  const deadline = Date.now() + 5_000;
  while (!(await read())) {
    assert.ok(Date.now() < deadline, 'seen once the notification arrived');
    await setImmediate();
  }
}

it('a project changed or removed in SQL is seen once the database says so, and a caller cannot change what the next one gets', async () => {
  const project = (await queen.api('POST', '/api/projects', { name: 'kept-project', repoUrl: repo.url })).body;
  const read = async () => queen.api('GET', `/api/projects/${project.id}`);
  for (let i = 0; i < 2; i++) assert.equal((await read()).body.defaultBranch, 'main');
  await queen.database.db.execute(sql`update projects set default_branch = 'trunk' where id = ${project.id}`);
  await seenAfterSqlChange(async () => (await read()).body.defaultBranch === 'trunk');
  const mine = await findProject(queen.database.db, project.id);
  mine!.defaultBranch = 'scribbled';
  // Deep as well: the kept row's arrays and JSON columns are copied too.
  mine!.workspaceCaches.push('scribbled');
  const next = (await findProject(queen.database.db, project.id))!;
  assert.equal(next.defaultBranch, 'trunk');
  assert.deepEqual(next.workspaceCaches, []);
  await queen.database.db.execute(sql`delete from projects where id = ${project.id}`);
  await seenAfterSqlChange(async () => (await read()).status === 404);
});

it("a project's change is announced for an update of any of its columns but the job counter (migration 0019's list is the table's)", async () => {
  const names = async (query: ReturnType<typeof sql>) => resultRows<{ name: string }>(await queen.database.db.execute(query)).map((r) => r.name).sort();
  const columns = await names(sql`select attname as name from pg_attribute
    where attrelid = 'projects'::regclass and attnum > 0 and not attisdropped`);
  const watched = await names(sql`select a.attname as name from pg_trigger t
    join pg_attribute a on a.attrelid = t.tgrelid and a.attnum = any (t.tgattr::int2[])
    where t.tgrelid = 'projects'::regclass and t.tgname = 'projects_update_change_feed'`);
  assert.ok(columns.includes('next_job_number'));
  assert.deepEqual(watched, columns.filter((c) => c !== 'next_job_number'), 'a column added to projects must be added to the trigger');
});

it('a project changed through the API is seen by the next read, and taking a job number does not drop the kept row', async () => {
  const project = (await queen.api('POST', '/api/projects', { name: 'kept-project-api', repoUrl: repo.url })).body;
  const read = async () => (await queen.api('GET', `/api/projects/${project.id}`)).body;
  assert.equal((await read()).defaultBranch, 'main');
  assert.equal((await queen.api('PATCH', `/api/projects/${project.id}`, { defaultBranch: 'trunk' })).status, 200);
  assert.equal((await read()).defaultBranch, 'trunk', 'this queen\'s own change, at once on either database');
  const marker = (await queen.api('POST', '/api/projects', { name: 'kept-project-marker', repoUrl: repo.url })).body;
  const heard: string[] = [];
  const listening = queen.database.kind === 'postgres' ? await listenToProjectChanges((id) => heard.push(id)) : undefined;
  try {
    const job = await queen.api('POST', `/api/projects/${project.id}/jobs`, {});
    assert.equal(job.status, 201, job.text);
    await queen.database.db.execute(sql`update projects set default_branch = 'trunk2' where id = ${project.id}`);
    // Notifications arrive in commit order: once the marker's is heard, so are the others.
    await queen.database.db.execute(sql`update projects set default_branch = 'marked' where id = ${marker.id}`);
    if (listening) {
      await seenAfterSqlChange(async () => heard.includes(marker.id));
      assert.deepEqual(heard, [project.id, marker.id], 'the updates announced, not the job number');
    }
  } finally {
    await listening?.end();
  }
});
