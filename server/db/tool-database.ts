/**
 * The queen's database, opened by a tool run on its machine instead of the queen
 * (`hive users`, `hive db export|import`). On the embedded database the tool takes the data
 * directory's lock as a queen would — no queen may start meanwhile — and refuses a database
 * a queen has open: PGlite takes no lock of its own, and two processes on it corrupt it.
 * PostgreSQL serves many clients; the tool just connects.
 */
import { existsSync, rmSync } from 'node:fs';
import type { QueenConfig } from '../config.ts';
import { lockDataDir, type DataDirLock } from '../data-dir-lock.ts';
import { HiveError } from '../errors.ts';
import { openDatabase, type Database } from './client.ts';
import { configuredDatabase, embeddedDatabaseDir, embeddedDatabaseInUse } from './configured-database.ts';

type Where = Pick<QueenConfig, 'databaseUrl' | 'dataDir'>;

/** No database where the configuration says, or the embedded one is open in another process. */
export class DatabaseUnavailableError extends HiveError {}

export interface ToolDatabase extends Database {
  /**
   * Closes the database, then lets go of the data directory. `removeEmbedded`: also delete
   * the embedded database directory (one this tool created and failed to fill).
   */
  close(options?: { removeEmbedded?: boolean }): Promise<void>;
}

/**
 * Opens the configured database for `command` (named to a queen that finds the directory
 * taken). Throws DatabaseUnavailableError, or DataDirLockedError naming the queen's pid.
 * `create`: an embedded database that does not exist yet is created (else that is an error).
 */
export async function openToolDatabase(config: Where, command: string, options: { create?: boolean } = {}): Promise<ToolDatabase> {
  const embedded = embeddedDatabaseDir(config);
  if (!config.databaseUrl && !options.create && !existsSync(embedded)) {
    // Opening it would create an empty database: say where we looked instead.
    throw new DatabaseUnavailableError(`no database in ${embedded}; set HIVE_DATA_DIR (or DATABASE_URL) as the queen has it`);
  }
  const lock: DataDirLock | undefined = config.databaseUrl ? undefined : await lockDataDir(config.dataDir, command);
  try {
    if (embeddedDatabaseInUse(config)) {
      throw new DatabaseUnavailableError(`the embedded database in ${embedded} is open (a queen runs on it, or one was killed `
        + 'without stopping). Stop the queen first (Ctrl-C or SIGTERM), then run this again.');
    }
    const database = await openDatabase(configuredDatabase(config));
    return {
      ...database,
      async close(closeOptions = {}) {
        try {
          await database.close();
          if (closeOptions.removeEmbedded && !config.databaseUrl) rmSync(embedded, { recursive: true, force: true });
        } finally {
          lock?.release();
        }
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}
