/**
 * How the database keeps a log's chunks (migration 0020): a compressed body is stored as
 * it is, out of line, and never compressed again by TOAST — whose pglz, given base64 of
 * brotli output, mostly scanned a whole body to find nothing — and reads back whole.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { iterateJobEvents } from '../../server/db/job-log.ts';
import { resultRows } from '../../server/db/transfer/raw-sql.ts';
import { startHandDrivenLogs, type HandDrivenLogs } from '../helpers/hand-driven-logs.ts';

let logs: HandDrivenLogs;
let jobId: string;
// Counting numbers: brotli at quality 1 leaves a pattern in its output that pglz does find,
// so without the migration these bodies would be stored compressed a second time.
const output = Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join(''); // `seq 1 200000`

before(async () => {
  logs = await startHandDrivenLogs('chunk-storage');
  const job = await logs.runningJob();
  jobId = job.id;
  const pieces: string[] = [];
  for (let i = 0; i < output.length; i += 64 * 1024) pieces.push(output.slice(i, i + 64 * 1024));
  await job.append(pieces);
});
after(async () => {
  await logs?.stop();
});

it('stores compressed chunk bodies as they are, not compressed again by the database', async () => {
  const db = logs.queen.database.db;
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
  for await (const page of iterateJobEvents(logs.queen.database.db, { jobId, attempt: 1 })) {
    for (const e of page) if (e.type === 'job:cmd:stdout') text += e.data;
  }
  assert.equal(text.length, output.length);
  assert.ok(text === output, 'the same output');
});
