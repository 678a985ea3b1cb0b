/**
 * `hive db export`: every table of the database into one export file (transfer-format.ts).
 *
 * It reads in one read-only REPEATABLE READ transaction, so the file is one consistent
 * moment of the database even while a queen writes to PostgreSQL, and through a cursor per
 * table, a few rows at a time, so gigabytes of logs never sit in memory. The file appears
 * under its name only once complete: it is written beside it and linked into place.
 */
import { existsSync, linkSync, unlinkSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { HiveError } from '../../errors.ts';
import type { Db } from '../client.ts';
import { writeGzip } from './gzip-lines.ts';
import { appliedMigration } from '../migration-level.ts';
import { quoteIdent, resultRows } from '../raw-sql.ts';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, doneLine, endLine, headerLine, tableLine, type ExportHeader } from './transfer-format.ts';
import { transferTables, type TransferTable } from './transfer-tables.ts';

/** Rows per fetch: log chunks are up to ~256 KiB each, so this bounds memory to a few MiB. */
const FETCH_ROWS = 32;

export interface ExportStats {
  rows: number;
  tables: number;
  /** Size of the compressed file. */
  bytes: number;
}

/** The export file exists already: an export never overwrites anything. */
export class ExportTargetExistsError extends HiveError {}

/** The export file cannot be written (no such directory, no permission, disk full). */
export class ExportWriteError extends HiveError {}

/**
 * Each row as a JSON array of its columns' text forms. `array_to_json(ARRAY[...])` rather
 * than `json_build_array`, which takes at most 100 arguments.
 */
function rowsQuery(table: TransferTable): string {
  const values = table.columns.map((c) => `${quoteIdent(c)}::text`).join(', ');
  const order = table.primaryKey.length > 0 ? ` ORDER BY ${table.primaryKey.map(quoteIdent).join(', ')}` : '';
  return `SELECT array_to_json(ARRAY[${values}]::text[])::text AS line FROM ${quoteIdent(table.name)}${order}`;
}

async function* exportLines(tx: Db, header: ExportHeader, counted: { rows: number }): AsyncGenerator<string> {
  yield `${headerLine(header)}\n`;
  for (const table of transferTables) {
    yield `${tableLine(table.name)}\n`;
    let rows = 0;
    await tx.execute(sql.raw(`DECLARE hive_export NO SCROLL CURSOR FOR ${rowsQuery(table)}`));
    for (;;) {
      const batch = resultRows<{ line: string }>(await tx.execute(sql.raw(`FETCH FORWARD ${FETCH_ROWS} FROM hive_export`)));
      if (batch.length === 0) break;
      rows += batch.length;
      yield batch.map((r) => `${r.line}\n`).join('');
    }
    await tx.execute(sql.raw('CLOSE hive_export'));
    counted.rows += rows;
    yield `${endLine(table.name, rows)}\n`;
  }
  yield `${doneLine(counted.rows)}\n`;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or gone already
  }
}

export async function exportDatabase(db: Db, file: string, options: { hiveVersion: string; now?: Date }): Promise<ExportStats> {
  const exists = () => new ExportTargetExistsError(`${file} exists already; choose another name (an export never overwrites a file)`);
  if (existsSync(file)) throw exists();
  const partial = `${file}.partial-${process.pid}`;
  const counted = { rows: 0 };
  try {
    const bytes = await db.transaction(async (tx) => {
      await tx.execute(sql.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY'));
      // The text forms the file holds, fixed whatever the server's defaults: ISO timestamps
      // in UTC, bytea as hex, floats with every digit that tells them apart.
      for (const setting of ["TimeZone = 'UTC'", "DateStyle = 'ISO, YMD'", "IntervalStyle = 'postgres'", "bytea_output = 'hex'", 'extra_float_digits = 1']) {
        await tx.execute(sql.raw(`SET LOCAL ${setting}`));
      }
      const header: ExportHeader = {
        format: EXPORT_FORMAT,
        version: EXPORT_FORMAT_VERSION,
        hive: options.hiveVersion,
        migration: await appliedMigration(tx as unknown as Db),
        exportedAt: (options.now ?? new Date()).toISOString(),
        tables: transferTables.map((t) => ({ name: t.name, columns: t.columns })),
      };
      return writeGzip(exportLines(tx as unknown as Db, header, counted), partial).catch((err: NodeJS.ErrnoException) => {
        throw err.code && err.syscall ? new ExportWriteError(`Cannot write ${file} (${err.code})`, { cause: err }) : err;
      });
    });
    try {
      linkSync(partial, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
      throw err;
    }
    return { rows: counted.rows, tables: transferTables.length, bytes };
  } finally {
    unlinkQuietly(partial);
  }
}
