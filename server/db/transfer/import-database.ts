/**
 * `hive db import`: an export file (transfer-format.ts) into an empty database of the same
 * schema — typically the embedded database's export into a new PostgreSQL.
 *
 * All or nothing: the emptiness check and every row happen in one transaction, so a file
 * that turns out damaged on its last line, or rows the database refuses, leave the database
 * as it was. The tables are locked against writers meanwhile (a queen started during the
 * import cannot slip rows in between the check and the load). Rows are streamed from the
 * file and inserted in batches of a few MiB, each cast from its text form by the database.
 */
import { sql } from 'drizzle-orm';
import { HiveError } from '../../errors.ts';
import type { Db } from '../client.ts';
import { readGzipLines } from './gzip-lines.ts';
import { appliedMigration } from '../migration-level.ts';
import { quoteIdent, resultRows } from '../raw-sql.ts';
import { ExportFileError, isRowLine, parseControl, parseHeader, parseRow, type ExportHeader } from './transfer-format.ts';
import { transferTables, type TransferTable } from './transfer-tables.ts';

/** Insert when this much row text has gathered (or this many rows): memory stays bounded. */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_ROWS = 1000;

export interface ImportStats {
  rows: number;
  tables: number;
}

/** The target database holds data: an import only ever fills an empty one. */
export class DatabaseNotEmptyError extends HiveError {}

/** The export's schema is not this database's: the columns would not mean the same. */
export class SchemaMismatchError extends HiveError {}

/** The database refused rows of the file (they break a constraint or a type). */
export class ImportRefusedError extends HiveError {}

/** Only the header: to check a file before any database is opened. */
export async function readExportHeader(file: string): Promise<ExportHeader> {
  for await (const line of readGzipLines(file)) return parseHeader(line);
  return parseHeader(undefined);
}

/** The header's tables must be this Hive's, column for column. */
export function checkSchema(header: ExportHeader, migration: string): void {
  if (header.migration !== migration) {
    throw new SchemaMismatchError(`the export's database schema is at migration ${header.migration} (made by Hive ${header.hive}) `
      + `and this one's at ${migration}: import it with Hive ${header.hive}, then start this Hive's queen on the database (it migrates it)`);
  }
  const ours = new Map(transferTables.map((t) => [t.name, t.columns.join(',')]));
  const theirs = new Map(header.tables.map((t) => [t.name, t.columns.join(',')]));
  for (const [name, columns] of ours) {
    if (!theirs.has(name)) throw new SchemaMismatchError(`the export has no table ${name}`);
    if (theirs.get(name) !== columns) throw new SchemaMismatchError(`the export's columns of ${name} are not this Hive's`);
  }
  for (const name of theirs.keys()) if (!ours.has(name)) throw new SchemaMismatchError(`the export has a table this Hive does not know: ${name}`);
}

async function nonEmptyTables(tx: Db): Promise<string[]> {
  const found: string[] = [];
  for (const t of transferTables) {
    const [row] = resultRows<{ present: boolean }>(await tx.execute(sql.raw(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(t.name)}) AS present`)));
    if (row.present) found.push(t.name);
  }
  return found;
}

/** Each column's type as the database has it, to cast the text forms back. */
async function columnTypes(tx: Db, table: string): Promise<Map<string, string>> {
  const rows = resultRows<{ name: string; type: string }>(await tx.execute(sql`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_attribute a WHERE a.attrelid = to_regclass(${quoteIdent(table)}) AND a.attnum > 0 AND NOT a.attisdropped`));
  return new Map(rows.map((r) => [r.name, r.type]));
}

function insertStatement(table: TransferTable, types: Map<string, string>): (json: string) => ReturnType<typeof sql> {
  const columns = table.columns.map(quoteIdent).join(', ');
  const values = table.columns.map((c, i) => {
    const type = types.get(c);
    if (!type) throw new SchemaMismatchError(`the database has no column ${table.name}.${c}`);
    return `(r->>${i})::${type}`;
  }).join(', ');
  const head = `INSERT INTO ${quoteIdent(table.name)} (${columns}) SELECT ${values} FROM json_array_elements(`;
  return (json) => sql`${sql.raw(head)}${json}::json) AS r`;
}

/** Serial and identity columns continue after the rows loaded, not at 1. */
async function advanceSequences(tx: Db): Promise<void> {
  for (const t of transferTables) {
    for (const column of t.columns) {
      const [row] = resultRows<{ seq: string | null }>(await tx.execute(sql`SELECT pg_get_serial_sequence(${quoteIdent(t.name)}, ${column}) AS seq`));
      if (!row.seq) continue;
      await tx.execute(sql.raw(`SELECT setval('${row.seq.replaceAll("'", "''")}', COALESCE(MAX(${quoteIdent(column)}), 0) + 1, false) FROM ${quoteIdent(t.name)}`));
    }
  }
}

/** Reads the file's sections in order, inserting their rows; checks every count and the end. */
async function loadRows(tx: Db, file: string): Promise<number> {
  const byName = new Map(transferTables.map((t) => [t.name, t]));
  const done = new Set<string>();
  let current: { table: TransferTable; insert: (json: string) => ReturnType<typeof sql>; rows: number } | undefined;
  let batch: string[] = [];
  let batchFirstLine = 0;
  let batchBytes = 0;
  let total = 0;
  let finished = false;
  let lineNo = 0;

  const flush = async () => {
    if (!current || batch.length === 0) return;
    try {
      await tx.execute(current.insert(`[${batch.join(',')}]`));
    } catch (err) {
      // The driver's own error (drizzle wraps it in one that repeats the whole query).
      const reason = ((err as Error).cause instanceof Error ? (err as Error).cause as Error : err as Error).message.split('\n')[0];
      throw new ImportRefusedError(`the database refused rows of ${current.table.name} (lines ${batchFirstLine}–${batchFirstLine + batch.length - 1}): ${reason}`, { cause: err });
    }
    batch = [];
    batchBytes = 0;
  };

  for await (const line of readGzipLines(file)) {
    lineNo++;
    if (lineNo === 1) continue; // the header, checked before
    if (finished) {
      if (line === '') continue;
      throw new ExportFileError(`line ${lineNo} comes after the end of the export`);
    }
    if (isRowLine(line)) {
      if (!current) throw new ExportFileError(`line ${lineNo} is a row outside any table`);
      const values = parseRow(line, lineNo);
      if (values.length !== current.table.columns.length) {
        throw new ExportFileError(`line ${lineNo} has ${values.length} values; ${current.table.name} has ${current.table.columns.length} columns`);
      }
      if (batch.length === 0) batchFirstLine = lineNo;
      batch.push(line);
      batchBytes += line.length;
      current.rows++;
      if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_ROWS) await flush();
      continue;
    }
    const control = parseControl(line, lineNo);
    if (control.kind === 'table') {
      if (current) throw new ExportFileError(`line ${lineNo} begins ${control.table} before ${current.table.name} ended`);
      const table = byName.get(control.table);
      if (!table || done.has(table.name)) throw new ExportFileError(`line ${lineNo} begins ${control.table}, which is unknown or came before`);
      const missing = table.references.filter((r) => !done.has(r));
      if (missing.length > 0) throw new ExportFileError(`line ${lineNo} begins ${table.name} before ${missing.join(', ')}, which it refers to`);
      current = { table, insert: insertStatement(table, await columnTypes(tx, table.name)), rows: 0 };
    } else if (control.kind === 'end') {
      if (!current || current.table.name !== control.table) throw new ExportFileError(`line ${lineNo} ends ${control.table}, which had not begun`);
      if (control.rows !== current.rows) throw new ExportFileError(`${control.table} should have ${control.rows} rows; the file has ${current.rows}`);
      await flush();
      done.add(current.table.name);
      total += current.rows;
      current = undefined;
    } else {
      if (current) throw new ExportFileError(`the export ends (line ${lineNo}) inside ${current.table.name}`);
      const left = transferTables.filter((t) => !done.has(t.name)).map((t) => t.name);
      if (left.length > 0) throw new ExportFileError(`the export ends without the rows of ${left.join(', ')}`);
      if (control.rows !== total) throw new ExportFileError(`the export should have ${control.rows} rows; the file has ${total}`);
      finished = true;
    }
  }
  if (!finished) throw new ExportFileError(`the file is cut short: it ends at line ${lineNo}${current ? `, inside ${current.table.name}` : ''}, before the export's end`);
  return total;
}

export async function importDatabase(db: Db, file: string): Promise<ImportStats> {
  checkSchema(await readExportHeader(file), await appliedMigration(db));
  const rows = await db.transaction(async (trx) => {
    const tx = trx as unknown as Db;
    // Writers wait until the import commits; readers (a queen's health check) do not.
    await tx.execute(sql.raw(`LOCK TABLE ${transferTables.map((t) => quoteIdent(t.name)).join(', ')} IN EXCLUSIVE MODE`));
    const filled = await nonEmptyTables(tx);
    if (filled.length > 0) {
      throw new DatabaseNotEmptyError(`the database is not empty (${filled.join(', ')} hold rows): an import fills only a new, empty one — `
        + 'create one, or one no queen has started on yet');
    }
    const loaded = await loadRows(tx, file);
    await advanceSequences(tx);
    return loaded;
  });
  return { rows, tables: transferTables.length };
}
