/**
 * Opens the database: PostgreSQL through `postgres` when a URL is given, otherwise the
 * embedded PGlite (on disk under dataDir, or in memory for tests). Both serve the same
 * drizzle schema and migrations, so the rest of the queen never knows which it has.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { createEmbeddedDatabase } from './embedded-database-create.ts';
import type { ChangeFeed } from './change-feed.ts';
import type { Notifier } from './notifier.ts';
import type { PgliteSource } from './pglite-client.ts';
import type * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  notifier: Notifier;
  /** Changes to cached rows, heard before their writers go on — the embedded database only (change-feed.ts). */
  changes?: ChangeFeed;
  /** The embedded engine, for the maintenance PostgreSQL's autovacuum would do (pglite-maintenance.ts). */
  pglite?: PGlite;
  close(): Promise<void>;
}

export type DatabaseOptions = { url: string; maxConnections?: number } | PgliteSource;

/**
 * Opens the database and applies every pending migration. An embedded data directory that
 * does not exist yet is created first, in a child process (embedded-database-create.ts);
 * EmbeddedDatabaseError when it cannot be created or opened.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  // Each driver is loaded only when used: a queen on PostgreSQL never loads PGlite's
  // engine code, nor one on PGlite the postgres driver (a few MiB resident each).
  if ('url' in options) return (await import('./postgres-client.ts')).openPostgres(options.url, options.maxConnections ?? 10);
  if ('dataDir' in options) await createEmbeddedDatabase(options.dataDir);
  return (await import('./pglite-client.ts')).openPglite(options);
}
