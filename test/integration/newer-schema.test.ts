/**
 * A queen refuses a database a newer Hive migrated (a migration it does not know), saying
 * so, rather than run on a schema it cannot read — a downgrade, or an older queen beside
 * newer ones on one PostgreSQL during an upgrade. Its own database opens as before.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase } from '../../server/db/client.ts';
import { latestMigration, UnknownMigrationError } from '../../server/db/migration-level.ts';
import { createEmptyPostgresDatabase, createTestDatabase, testDatabaseKind } from '../helpers/test-db.ts';

/** What a newer Hive's next migration leaves in drizzle's table. */
const NEWER = sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-newer-hive', ${Date.UTC(2099, 0, 1)})`;

const refusal = (err: unknown) => err instanceof UnknownMigrationError
  && /a newer Hive/.test(err.message) && err.message.includes('2099-01-01') && err.message.includes(latestMigration());

it('refuses an embedded database a newer Hive migrated, and opens it again once that migration is gone', { skip: testDatabaseKind() !== 'pglite' && 'PGlite only' }, async () => {
  const database = await createTestDatabase();
  await database.db.execute(NEWER);
  const newer = new Blob([await database.pglite!.dumpDataDir('gzip')]);
  await database.db.execute(sql`delete from drizzle.__drizzle_migrations where hash = 'from-a-newer-hive'`);
  const own = new Blob([await database.pglite!.dumpDataDir('gzip')]);
  await database.close();

  await assert.rejects(openDatabase({ inMemory: true, template: newer }), refusal);
  const reopened = await openDatabase({ inMemory: true, template: own });
  await reopened.close();
});

it('refuses a PostgreSQL database a newer Hive migrated, leaving no connection open', { skip: testDatabaseKind() !== 'postgres' && 'PostgreSQL only (set TEST_DATABASE_URL)' }, async () => {
  const empty = (await createEmptyPostgresDatabase())!;
  try {
    const first = await openDatabase({ url: empty.url, maxConnections: 2 });
    await first.db.execute(NEWER);
    await first.close();
    await assert.rejects(openDatabase({ url: empty.url, maxConnections: 2 }), refusal);
    const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      const [{ n }] = await admin`select count(*)::int as n from pg_stat_activity where datname = ${new URL(empty.url).pathname.slice(1)}`;
      assert.equal(n, 0, 'the refused queen closed its connections');
    } finally {
      await admin.end();
    }
  } finally {
    await empty.drop();
  }
});
