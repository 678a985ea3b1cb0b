/**
 * How the database keeps a log's chunks (migrations 0020, 0022): compressed records are
 * stored as bytes, as they are, out of line, and never compressed again by TOAST — whose
 * pglz, given brotli's output, mostly scanned a whole body to find nothing — and read
 * back whole; a row holds its events as JSON or as packed records, never both.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { iterateJobEvents } from '../../server/db/job-log.ts';
import { resultRows } from '../../server/db/raw-sql.ts';
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

it('stores compressed records as bytes, as they are, not compressed again by the database', async () => {
  const db = logs.queen.database.db;
  const storage = resultRows<{ attname: string; attstorage: string }>(await db.execute(sql`
    select attname, attstorage from pg_attribute where attrelid = 'job_log_chunks'::regclass and attname in ('body', 'packed') order by attname`));
  assert.deepEqual(storage.map((r) => ({ ...r })), [{ attname: 'body', attstorage: 'e' }, { attname: 'packed', attstorage: 'e' }], 'external: out of line, uncompressed');
  const rows = resultRows<{ packed_bytes: number | null; stored_bytes: number | null; events_bytes: number; has_body: boolean; format: number | null }>(await db.execute(sql`
    select octet_length(packed) as packed_bytes, pg_column_size(packed) as stored_bytes, bytes as events_bytes,
      body is not null as has_body, get_byte(packed, 0) as format
    from job_log_chunks where job_id = ${jobId}`));
  const large = rows.filter((r) => r.events_bytes > 64 * 1024);
  assert.ok(large.length >= 3 && large.every((r) => r.packed_bytes !== null && !r.has_body && r.format === 1),
    `the output was stored in packed chunks (${JSON.stringify(rows)})`);
  for (const r of large) {
    assert.ok(r.stored_bytes! >= r.packed_bytes!, `packed records of ${r.packed_bytes} bytes take ${r.stored_bytes}`);
    assert.ok(r.packed_bytes! < r.events_bytes / 2, `${r.events_bytes} bytes of events packed into ${r.packed_bytes}`);
  }
});

it('refuses a chunk with both its JSON and packed records, or with neither', async () => {
  const db = logs.queen.database.db;
  const [{ max }] = resultRows<{ max: number }>(await db.execute(sql`select max(seq_to) as max from job_log_chunks where job_id = ${jobId}`));
  for (const [body, packed] of [['[]', Buffer.from([1])], [null, null]] as const) {
    await assert.rejects(
      db.execute(sql`insert into job_log_chunks (job_id, attempt, seq_from, seq_to, body, packed, bytes)
        values (${jobId}, 1, ${max + 1}, ${max + 1}, ${body}, ${packed}, 1)`),
      (err: Error) => /job_log_chunks_body_or_packed/.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`),
    );
  }
});

it('reads the output back whole', async () => {
  let text = '';
  for await (const page of iterateJobEvents(logs.queen.database.db, { jobId, attempt: 1 })) {
    for (const e of page) if (e.type === 'job:cmd:stdout') text += e.data;
  }
  assert.equal(text.length, output.length);
  assert.ok(text === output, 'the same output');
});
