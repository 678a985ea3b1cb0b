/**
 * Which schema a database has: the tag of the last migration applied to it (drizzle keeps
 * each applied migration's timestamp in `drizzle.__drizzle_migrations`; the journal in
 * `migrations/meta/` maps it to the file's tag). An export records it, and an import loads
 * only into a database of the very same schema, so every column means the same. A queen
 * opening a database checks it too (`refuseNewerSchema`).
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { HiveError } from '../errors.ts';
import type { Db } from './client.ts';
import { resultRows } from './raw-sql.ts';

interface JournalEntry {
  tag: string;
  when: number;
}

/** Laid out like the repository in dist/ too, so the same relative path works compiled. */
const journalUrl = new URL('../../migrations/meta/_journal.json', import.meta.url);

/** The database's schema is one this Hive does not know (a newer Hive migrated it). */
export class UnknownMigrationError extends HiveError {}

export function journal(): JournalEntry[] {
  return (JSON.parse(readFileSync(journalUrl, 'utf8')) as { entries: JournalEntry[] }).entries;
}

/** The tag this Hive's migrations end at: what a database it opened has. */
export const latestMigration = (): string => journal().at(-1)!.tag;

/**
 * After the migrations, when a database is opened: one that a newer Hive migrated is
 * refused. drizzle applies only the migrations it finds newer than the database's last,
 * so an older queen (a downgrade; old and new queens sharing one PostgreSQL during an
 * upgrade) would otherwise run on a schema it does not know — since migration 0022, for
 * one, it could not read the log chunks newer queens store.
 */
export async function refuseNewerSchema(db: Db): Promise<void> {
  await appliedMigration(db);
}

/** The tag of the last migration applied to the database behind `db`. */
export async function appliedMigration(db: Db): Promise<string> {
  const rows = resultRows<{ created_at: string | number }>(
    await db.execute(sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`),
  );
  const when = Number(rows[0]?.created_at);
  const entry = journal().find((e) => e.when === when);
  if (!entry) {
    throw new UnknownMigrationError(`The database has a migration this Hive does not know (applied at ${new Date(when).toISOString()}; `
      + `this Hive's last is ${latestMigration()}): it was upgraded by a newer Hive; use that one`);
  }
  return entry.tag;
}
