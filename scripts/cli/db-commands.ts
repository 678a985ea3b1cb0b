/**
 * `hive db export FILE` and `hive db import FILE`: the whole database into one portable
 * file and back, on the queen's machine with its configuration — above all to move from the
 * embedded database to PostgreSQL. Exit codes: 0 done, 1 refused or failed (with one line
 * saying why, and nothing changed), 2 usage.
 */
import { existsSync } from 'node:fs';
import { loadConfig, type QueenConfig } from '../../server/config.ts';
import { describeDatabase, embeddedDatabaseDir } from '../../server/db/configured-database.ts';
import { openToolDatabase } from '../../server/db/tool-database.ts';
import { exportDatabase } from '../../server/db/transfer/export-database.ts';
import { checkSchema, importDatabase, readExportHeader } from '../../server/db/transfer/import-database.ts';
import { latestMigration } from '../../server/db/migration-level.ts';
import { hiveVersion } from '../../server/util/hive-version.ts';
import { CliUsageError, parseArgs } from './config.ts';

export interface DbCliIo {
  /** Progress and results, for people (standard error). */
  error(text: string): void;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** What went wrong, as one line naming the file and the database; the cause is kept. */
export class DbCommandError extends Error {
  override name = 'DbCommandError';
}

export async function runDbCli(argv: string[], env: Record<string, string | undefined>, io: DbCliIo): Promise<number> {
  const [command, ...rest] = argv;
  const { positional } = parseArgs(rest, { booleans: [], values: [] });
  if (command !== 'export' && command !== 'import') throw new CliUsageError(`unknown command "db ${command ?? ''}"`);
  if (positional.length !== 1) throw new CliUsageError(`hive db ${command} needs one FILE`);
  const [file] = positional;
  const config = loadConfig(env);
  const where = describeDatabase(config);
  const started = Date.now();

  if (command === 'export') {
    try {
      const stats = await exportFrom(config, file);
      io.error(`Exported ${stats.rows} rows of ${stats.tables} tables from ${where} to ${file} (${megabytes(stats.bytes)}, ${seconds(started)}).\n`);
      return 0;
    } catch (err) {
      throw new DbCommandError(`cannot export ${where} to ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    const stats = await importInto(config, file);
    io.error(`Imported ${stats.rows} rows of ${stats.tables} tables from ${file} into ${where} (${seconds(started)}).\n`);
    return 0;
  } catch (err) {
    throw new DbCommandError(`cannot import ${file} into ${where}: ${(err as Error).message}; nothing was imported`, { cause: err });
  }
}

async function exportFrom(config: QueenConfig, file: string) {
  const database = await openToolDatabase(config, 'hive db export');
  try {
    return await exportDatabase(database.db, file, { hiveVersion });
  } finally {
    await database.close();
  }
}

async function importInto(config: QueenConfig, file: string) {
  // The file is checked before any database is opened (or created): a wrong file changes nothing.
  checkSchema(await readExportHeader(file), latestMigration());
  const creating = !config.databaseUrl && !existsSync(embeddedDatabaseDir(config));
  const database = await openToolDatabase(config, 'hive db import', { create: true });
  let ok = false;
  try {
    const stats = await importDatabase(database.db, file);
    ok = true;
    return stats;
  } finally {
    // An embedded database this import created and could not fill goes again.
    await database.close({ removeEmbedded: creating && !ok });
  }
}
