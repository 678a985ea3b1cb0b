/**
 * Opens PGlite in this process — an existing data directory, or in memory (tests) — with
 * Hive's engine settings, and applies pending migrations. A data directory that does not
 * exist yet is made by `createEmbeddedDatabase` in a child process first (see
 * embedded-database-create.ts for why); this module never runs initdb for one.
 */
// Before any PGlite is made: its WebAssembly compiled by Liftoff only (pglite-compiler.ts).
import './pglite-compiler.ts';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Database, Db } from './client.ts';
import { openPgliteChangeFeed } from './change-feed.ts';
import { EmbeddedDatabaseError } from './embedded-database-error.ts';
import { refuseNewerSchema } from './migration-level.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { localNotifier } from './notifier.ts';
import { byteaTypeOptions } from './pglite-bytea.ts';
import { pgliteStartParams } from './pglite-settings.ts';
import { usePreparedStatements } from './pglite-statements.ts';
import { shareProjectReads } from './projects.ts';
import * as schema from './schema.ts';

export type PgliteSource =
  | { dataDir: string }
  /** `template`: a dump (`dumpDataDir`) to start from instead of an empty database (tests). */
  | { inMemory: true; template?: Blob };

export async function openPglite(source: PgliteSource): Promise<Database> {
  const startParams = pgliteStartParams();
  let client: PGlite;
  if ('dataDir' in source) {
    try {
      client = await PGlite.create(source.dataDir, { startParams, ...byteaTypeOptions });
    } catch (cause) {
      // PGlite's own message says little ("PGlite failed to initialize properly"): say where.
      throw new EmbeddedDatabaseError(`The embedded database in ${source.dataDir} could not be opened (${describe(cause)}); `
        + 'restore it from a backup, or move it away to start with a new one', { cause });
    }
  } else {
    client = await PGlite.create({ startParams, ...byteaTypeOptions, ...(source.template ? { loadDataDir: source.template } : {}) });
  }
  const db = drizzle(client, { schema });
  try {
    await migrate(db, { migrationsFolder });
    await refuseNewerSchema(db as unknown as Db);
  } catch (err) {
    await client.close();
    throw err;
  }
  // After the migrations, whose statements each run once.
  usePreparedStatements(client);
  const changes = await openPgliteChangeFeed(client);
  shareProjectReads(db as unknown as Db, changes);
  return { db: db as unknown as Db, kind: 'pglite', notifier: localNotifier, changes, pglite: client, close: () => client.close() };
}

/** An error's message, or what emscripten's file system errors carry instead (`code`, `errno`). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  if (err.message && err.message !== '[object Object]') return err.message;
  return typeof code === 'string' ? code : err.name;
}
