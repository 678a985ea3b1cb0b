/**
 * How the database keeps a log's chunks (migration 0020): a compressed body is stored as
 * it is, out of line, and never compressed again by TOAST — whose pglz, given base64 of
 * brotli output, mostly scanned a whole body to find nothing — and reads back whole.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { JobAssign } from '../../common/protocol/index.ts';
import { appendJobEvents, iterateJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { resultRows } from '../../server/db/transfer/raw-sql.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let repo: GitRepo;
let drone: RawDrone;
let jobId: string;
// Counting numbers: brotli at quality 1 leaves a pattern in its output that pglz does find,
// so without the migration these bodies would be stored compressed a second time.
const output = Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join(''); // `seq 1 200000`

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '600000' });
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
  const project = (await queen.api('POST', '/api/projects', { name: 'chunk-storage', repoUrl: repo.url })).body;
  drone = await openRawDrone(queen.port);
  await drone.hello({ name: 'storer', capacity: 1 });
  jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId);
  const at = Date.now();
  const events = [{ type: 'job:started', seq: 1, at }] as StoredEvent[];
  for (let i = 0, seq = 2; i < output.length; i += 64 * 1024, seq++) {
    events.push({ type: 'job:cmd:stdout', seq, at, cmd: 0, data: output.slice(i, i + 64 * 1024) } as StoredEvent);
  }
  assert.ok(await appendJobEvents(queen.database.db, jobId, lease, events));
});
after(async () => {
  drone?.close();
  await queen?.stop();
  await repo?.cleanup();
});

it('stores compressed chunk bodies as they are, not compressed again by the database', async () => {
  const db = queen.database.db;
  const [storage] = resultRows<{ attstorage: string }>(await db.execute(sql`select attstorage from pg_attribute where attrelid = 'job_log_chunks'::regclass and attname = 'body'`));
  assert.equal(storage.attstorage, 'e', 'external: out of line, uncompressed');
  const rows = resultRows<{ body_bytes: number; stored_bytes: number; brotli: boolean }>(await db.execute(sql`
    select octet_length(body) as body_bytes, pg_column_size(body) as stored_bytes, left(body, 1) = '~' as brotli
    from job_log_chunks where job_id = ${jobId}`));
  const large = rows.filter((r) => r.body_bytes > 8 * 1024);
  assert.ok(large.length >= 3 && large.every((r) => r.brotli), `the output was stored in compressed chunks (${JSON.stringify(rows)})`);
  for (const r of large) assert.ok(r.stored_bytes >= r.body_bytes, `a body of ${r.body_bytes} bytes takes ${r.stored_bytes}`);
});

it('reads the output back whole', async () => {
  let text = '';
  for await (const page of iterateJobEvents(queen.database.db, { jobId, attempt: 1 })) {
    for (const e of page) if (e.type === 'job:cmd:stdout') text += e.data;
  }
  assert.equal(text.length, output.length);
  assert.ok(text === output, 'the same output');
});
