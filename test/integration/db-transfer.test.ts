/**
 * The export and import themselves (server/db/transfer/), on the test database (PGlite, or
 * PostgreSQL with TEST_DATABASE_URL): values that JSON would blur come back exactly —
 * timestamps to the microsecond, jsonb with a JSON null apart from SQL NULL, bytea, reals,
 * booleans, text with quotes, backslashes and emoji — batches past the row and byte limits
 * load, and every kind of bad file is refused with a one-line reason and an untouched
 * database (also when the database refuses rows halfway through).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Db } from '../../server/db/client.ts';
import { ExportTargetExistsError, exportDatabase } from '../../server/db/transfer/export-database.ts';
import { DatabaseNotEmptyError, ImportRefusedError, SchemaMismatchError, importDatabase } from '../../server/db/transfer/import-database.ts';
import { resultRows } from '../../server/db/raw-sql.ts';
import { ExportFileError } from '../../server/db/transfer/transfer-format.ts';
import { transferTables } from '../../server/db/transfer/transfer-tables.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { SecretBox } from '../../server/auth/secret-box.ts';
import { openPluginSecrets } from '../../server/jobs/sealed-plugin-config.ts';
import type { PluginRef } from '../../server/db/schema.ts';

let dir: string;
let source: TestDatabase;
let target: TestDatabase;
let exported: string;
const opened: TestDatabase[] = [];

const ids = { project: randomUUID(), job: randomUUID(), user: randomUUID(), drone: randomUUID(), upload: randomUUID(), run: randomUUID() };
const MICROS = '2026-01-02 03:04:05.678901+00';
const BIG_BODY = randomBytes(300 * 1024).toString('base64'); // ~400 KB: a few of these pass the 4 MiB batch
/** Packed records as the queen stores a log's compressed chunks: bytes (here random, every byte value). */
const BIG_PACKED = randomBytes(300 * 1024);
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');
// A secret plugin field as the API stores it, sealed: the same key opens it after the move.
const box = new SecretBox(randomBytes(32));
const HOOK_URL = 'https://chat.example.com/hooks/T0KEN';
const PLUGINS = [{ name: 'webhook-notify', enabled: true, config: { url: { $sealed: box.seal(JSON.stringify(HOOK_URL)) }, on: ['failed'] } }];

async function fill(db: Db): Promise<void> {
  await db.execute(sql`INSERT INTO drones (id, name, labels, capacity, speed, connected, draining, last_seen_at, created_at)
    VALUES (${ids.drone}, 'drone "one"', '["linux", "ü ñ 🐝"]', 4, 0.1, true, false, ${MICROS}, ${MICROS})`);
  await db.execute(sql`INSERT INTO projects (id, name, repo_url, plugins, config, secrets_enc, trusted, forge_token_enc, created_at, updated_at)
    VALUES (${ids.project}, ${'tricky "name" \\ with\ttab\nand line'}, 'file:///srv/repo.git', ${JSON.stringify(PLUGINS)}::jsonb,
      ${JSON.stringify({ phases: { test: ['echo "hi" \\ 🐝'] }, deep: { a: [null, true, { b: 'c' }], n: 1.5e300 } })}::jsonb,
      '{"DEPLOY_KEY": "v1.sealed.value"}', true, NULL, ${MICROS}, '2026-01-02 03:04:05.000001+00')`);
  await db.execute(sql`INSERT INTO runs (id, project_id, type, ref, trigger) VALUES (${ids.run}, ${ids.project}, 'TEST', '{}', '{}')`);
  // spec holds a JSON null, matrix an SQL NULL: JSON alone would make them the same.
  await db.execute(sql`INSERT INTO jobs (id, project_id, number, type, status, ref, trigger, spec, matrix, run_id, message, cancel_requested, finished_at)
    VALUES (${ids.job}, ${ids.project}, 1, 'TEST', 'passed', '{"branch": "main"}', '{"source": "api"}', 'null'::jsonb, NULL, ${ids.run},
      ${'line one\nline «two» 🐝'}, false, ${MICROS})`);
  await db.execute(sql`INSERT INTO job_commands (job_id, idx, phase, command, exit_code, duration_ms, started_at, finished_at)
    VALUES (${ids.job}, 0, 'test', 'echo hi', 0, 12, ${MICROS}, NULL)`);
  // 1,200 small chunks (past the 1,000 rows of a batch) and 12 big ones (past its 4 MiB).
  await db.execute(sql`INSERT INTO job_log_chunks (job_id, seq_from, seq_to, attempt, body)
    SELECT ${ids.job}, g, g, 1, md5(g::text) FROM generate_series(1, 1200) g`);
  await db.execute(sql`INSERT INTO job_log_chunks (job_id, seq_from, seq_to, attempt, body)
    SELECT ${ids.job}, g, g, 1, ${BIG_BODY} FROM generate_series(1201, 1212) g`);
  await db.execute(sql`INSERT INTO job_log_chunks (job_id, seq_from, seq_to, attempt, packed, bytes)
    SELECT ${ids.job}, g, g, 1, ${BIG_PACKED}::bytea, 2000000 FROM generate_series(1213, 1218) g`);
  await db.execute(sql`INSERT INTO upload_files (upload_id, project_id, name, size, content) VALUES (${ids.upload}, ${ids.project}, 'all-bytes', 256, decode(${ALL_BYTES}, 'hex'))`);
  await db.execute(sql`INSERT INTO users (id, username, password_hash, is_admin, created_at) VALUES (${ids.user}, 'carol', 'scrypt$1$2$3$salt$hash', false, ${MICROS})`);
  await db.execute(sql`INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES ('b0b', ${ids.user}, 'csrf', '2027-01-01 00:00:00+00')`);
  await db.execute(sql`INSERT INTO api_tokens (id, name, kind, user_id, token_hash, last_used_at) VALUES (${randomUUID()}, 'ci', 'user', ${ids.user}, 'sha256-of-it', NULL)`);
  await db.execute(sql`INSERT INTO webhook_deliveries (id, provider, delivery_id, event, project_id, outcome, job_ids)
    VALUES (${randomUUID()}, 'github', 'd-1', 'push', ${ids.project}, 'queued', ${JSON.stringify([ids.job])}::jsonb)`);
  await db.execute(sql`INSERT INTO schedule_firings (project_id, name, last_due_at) VALUES (${ids.project}, 'nightly', ${MICROS})`);
}

async function rowCount(db: Db): Promise<number> {
  let total = 0;
  for (const t of transferTables) total += Number(resultRows<{ n: number }>(await db.execute(sql.raw(`SELECT count(*)::int AS n FROM "${t.name}"`)))[0].n);
  return total;
}

/** The export's lines after the header (whose time differs between two exports). */
const bodyLines = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(1);

/** A copy of the export with its lines changed by `edit`, compressed again. */
function edited(name: string, edit: (lines: string[]) => string[]): string {
  const lines = gunzipSync(readFileSync(exported)).toString('utf8').split('\n');
  const file = join(dir, name);
  writeFileSync(file, gzipSync(edit(lines).join('\n')));
  return file;
}

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  opened.push(db);
  return db;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-db-transfer-'));
  source = await emptyDatabase();
  target = await emptyDatabase();
  await fill(source.db);
  exported = join(dir, 'export.jsonl.gz');
});
after(async () => {
  for (const db of opened) await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('export and import', () => {
  it('carries every row, every value exactly as it was', async () => {
    const out = await exportDatabase(source.db, exported, { hiveVersion: '0.1.0' });
    assert.equal(out.rows, await rowCount(source.db));
    assert.equal(out.tables, transferTables.length);
    const back = await importDatabase(target.db, exported);
    assert.equal(back.rows, out.rows);

    const again = join(dir, 'again.jsonl.gz');
    await exportDatabase(target.db, again, { hiveVersion: '0.1.0' });
    assert.deepEqual(bodyLines(again), bodyLines(exported), 'the target exports line for line what the source did');

    const [job] = resultRows<Record<string, unknown>>(await target.db.execute(sql`SELECT spec IS NULL AS spec_sql_null, spec = 'null'::jsonb AS spec_json_null,
      matrix IS NULL AS matrix_null, finished_at = ${MICROS}::timestamptz AS micros, message FROM jobs WHERE id = ${ids.job}`));
    assert.deepEqual(job, { spec_sql_null: false, spec_json_null: true, matrix_null: true, micros: true, message: 'line one\nline «two» 🐝' });
    const [project] = resultRows<Record<string, unknown>>(await target.db.execute(sql`SELECT name, trusted, forge_token_enc, config->'deep'->'n' = '1.5e300'::jsonb AS n,
      updated_at = '2026-01-02 03:04:05.000001+00'::timestamptz AS micros FROM projects`));
    assert.deepEqual(project, { name: 'tricky "name" \\ with\ttab\nand line', trusted: true, forge_token_enc: null, n: true, micros: true });
    const [{ plugins }] = resultRows<{ plugins: PluginRef[] }>(await target.db.execute(sql`SELECT plugins FROM projects`));
    assert.deepEqual(plugins, PLUGINS, 'sealed values move as they are');
    assert.equal(openPluginSecrets(box, plugins)[0].config.url, HOOK_URL);
    const [drone] = resultRows<Record<string, unknown>>(await target.db.execute(sql`SELECT speed = 0.1::real AS speed, connected, draining, labels->>1 AS label FROM drones`));
    assert.deepEqual(drone, { speed: true, connected: true, draining: false, label: 'ü ñ 🐝' });
    const [upload] = resultRows<{ hex: string }>(await target.db.execute(sql`SELECT encode(content, 'hex') AS hex FROM upload_files`));
    assert.equal(upload.hex, ALL_BYTES);
    const [big] = resultRows<{ n: number }>(await target.db.execute(sql`SELECT count(*)::int AS n FROM job_log_chunks WHERE body = ${BIG_BODY}`));
    assert.equal(big.n, 12);
    const packed = resultRows<{ packed: Buffer }>(await target.db.execute(sql`SELECT packed FROM job_log_chunks WHERE packed IS NOT NULL ORDER BY seq_from`));
    assert.equal(packed.length, 6);
    for (const row of packed) assert.ok(Buffer.from(row.packed).equals(BIG_PACKED), 'packed records move byte for byte');
  });

  it('never overwrites a file', async () => {
    await assert.rejects(exportDatabase(source.db, exported, { hiveVersion: '0.1.0' }), ExportTargetExistsError);
  });

  it('refuses a database that is not empty, changing nothing', async () => {
    const before = await rowCount(target.db);
    await assert.rejects(importDatabase(target.db, exported), (err) => err instanceof DatabaseNotEmptyError && /not empty \(drones, projects, runs, jobs/.test(err.message));
    assert.equal(await rowCount(target.db), before);
  });
});

describe('bad files, refused with nothing written', () => {
  let empty: TestDatabase;
  before(async () => {
    empty = await emptyDatabase();
  });

  const cases: [string, () => string, (err: unknown) => boolean][] = [
    ['a file that is not compressed', () => {
      writeFileSync(join(dir, 'plain.csv'), 'id,name\n1,x\n');
      return join(dir, 'plain.csv');
    }, (err) => err instanceof ExportFileError && /not a Hive database export \(not gzip/.test(err.message)],
    ['a compressed file of something else', () => edited('other.gz', () => ['{"hello":"world"}']),
      (err) => err instanceof ExportFileError && /not a Hive database export/.test(err.message)],
    ['another format version', () => edited('v2.gz', ([h, ...rest]) => [h.replace('"version":1', '"version":2'), ...rest]),
      (err) => err instanceof ExportFileError && /format version 2; this Hive reads version 1/.test(err.message)],
    ['another schema', () => edited('schema.gz', ([h, ...rest]) => [h.replace(/"migration":"[^"]+"/, '"migration":"0001_old"'), ...rest]),
      (err) => err instanceof SchemaMismatchError && /migration 0001_old .* import it with Hive/.test(err.message)],
    ['compressed data cut in half', () => {
      const file = join(dir, 'half.gz');
      const whole = readFileSync(exported);
      writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
      return file;
    }, (err) => err instanceof ExportFileError && /cut short/.test(err.message)],
    ['lines missing at the end', () => edited('short.gz', (lines) => lines.slice(0, -6)),
      (err) => err instanceof ExportFileError && /cut short: it ends at line \d+/.test(err.message)],
    ['a row count that does not match', () => edited('count.gz', (lines) => lines.map((l) => l.replace('{"end":"users","rows":1}', '{"end":"users","rows":2}'))),
      (err) => err instanceof ExportFileError && /users should have 2 rows; the file has 1/.test(err.message)],
    ['a row the database refuses, after other tables loaded', () => edited('orphan.gz', (lines) => lines.map((l) => (l.includes(ids.user) && l.includes('carol') ? l.replace(ids.user, randomUUID()) : l))),
      (err) => err instanceof ImportRefusedError && /refused rows of (api_tokens|sessions) \(lines \d+–\d+\): .*foreign key/.test(err.message)],
  ];
  for (const [what, file, expected] of cases) {
    it(what, async () => {
      await assert.rejects(importDatabase(empty.db, file()), expected);
      assert.equal(await rowCount(empty.db), 0);
    });
  }
});
