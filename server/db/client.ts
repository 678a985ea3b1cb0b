/**
 * Opens the database: PostgreSQL through `postgres` when a URL is given, otherwise the
 * embedded PGlite (on disk under dataDir, or in memory for tests). Both serve the same
 * drizzle schema and migrations, so the rest of the queen never knows which it has.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { localNotifier, postgresNotifier, type Notifier } from './notifier.ts';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  notifier: Notifier;
  /** The embedded engine, for the maintenance PostgreSQL's autovacuum would do (pglite-maintenance.ts). */
  pglite?: PGlite;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { url: string; maxConnections?: number }
  | { dataDir: string }
  /** `template`: a dump (`dumpDataDir`) to start from instead of an empty database (tests). */
  | { inMemory: true; template?: Blob };

const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Opens the database and applies every pending migration. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ('url' in options) {
    const client = postgres(options.url, { max: options.maxConnections ?? 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema });
    await migratePostgres(db, { migrationsFolder });
    return { db: db as unknown as Db, kind: 'postgres', notifier: postgresNotifier(client), close: () => client.end({ timeout: 5 }) };
  }
  let client: PGlite;
  if ('dataDir' in options) {
    mkdirSync(options.dataDir, { recursive: true });
    client = new PGlite(options.dataDir);
  } else {
    client = options.template ? new PGlite({ loadDataDir: options.template }) : new PGlite();
  }
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  return { db: db as unknown as Db, kind: 'pglite', notifier: localNotifier, pglite: client, close: () => client.close() };
}
