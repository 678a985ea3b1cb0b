/**
 * Migrations on a PostgreSQL that several queens share. Queens started at the same moment
 * would otherwise run the same migration twice at once, and one dies on a duplicate type
 * or relation. Each takes a session-level advisory lock (on one reserved connection, held
 * while drizzle migrates over the pool); the others wait for it and then find the
 * migrations applied. A queen that dies meanwhile releases the lock with its session.
 */
import type { Sql } from 'postgres';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { migrationsFolder } from './migrations-folder.ts';

/** Any fixed 64-bit key: "hive migrations". */
const MIGRATIONS_LOCK = 0x6869766520_6d67n;

export async function migrateUnderLock(client: Sql, db: PostgresJsDatabase<Record<string, unknown>>): Promise<void> {
  const session = await client.reserve();
  try {
    await session`select pg_advisory_lock(${MIGRATIONS_LOCK.toString()}::bigint)`;
    try {
      await migrate(db, { migrationsFolder });
    } finally {
      await session`select pg_advisory_unlock(${MIGRATIONS_LOCK.toString()}::bigint)`;
    }
  } finally {
    session.release();
  }
}
