/**
 * Queens started at the same moment on a fresh PostgreSQL all come up: their migrations
 * take turns under an advisory lock, and the later ones find them applied.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../server/db/client.ts';
import { createEmptyPostgresDatabase } from '../helpers/test-db.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

it('migrates one fresh database from four processes at once', { skip: adminUrl ? false : 'PostgreSQL only (set TEST_DATABASE_URL)' }, async () => {
  const empty = (await createEmptyPostgresDatabase(adminUrl))!;
  const url = new URL(empty.url);
  try {
    const opened = await Promise.allSettled([1, 2, 3, 4].map(() => openDatabase({ url: url.toString(), maxConnections: 2 })));
    const failures = opened.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    const databases = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    try {
      assert.deepEqual(failures, [], 'every queen started');
      const [{ n }] = (await databases[0].db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as unknown as { n: number }[];
      const journal = (await import('../../migrations/meta/_journal.json', { with: { type: 'json' } })).default as { entries: unknown[] };
      assert.equal(n, journal.entries.length, 'each migration applied once');
    } finally {
      await Promise.all(databases.map((d) => d.close()));
    }
  } finally {
    await empty.drop();
  }
});
