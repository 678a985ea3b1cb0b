/**
 * The export file: gzip'd JSON lines, one line per row, so it is written and read as a
 * stream whatever the size of the logs in it.
 *
 *   {"format":"hive-db-export","version":1,"hive":"0.1.0","migration":"0006_…","exportedAt":"…",
 *    "tables":[{"name":"projects","columns":["id","name",…]},…]}        the header
 *   {"table":"projects"}                                                a table's rows begin
 *   ["0b9c…","demo",…]                                                  a row: its values in the
 *                                                                       header's column order
 *   {"end":"projects","rows":1}                                         …and end, with their count
 *   {"done":true,"rows":1234}                                           the last line
 *
 * Every value is the column's PostgreSQL text form (null for NULL): exact for every type —
 * timestamps to the microsecond, jsonb (a JSON `null` apart from SQL NULL), bytea, reals —
 * where JSON's own types would round or blur them. The counts and the last line make a
 * file that was cut short fail to load instead of loading half.
 */
import { HiveError } from '../../errors.ts';

export const EXPORT_FORMAT = 'hive-db-export';
/** Bump when the file's layout changes; an import refuses another version. */
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  /** The Hive that wrote it. */
  hive: string;
  /** The last migration applied to the exported database: the schema the rows fit. */
  migration: string;
  exportedAt: string;
  tables: { name: string; columns: string[] }[];
}

export type ExportValue = string | null;

export type ControlLine =
  | { kind: 'table'; table: string }
  | { kind: 'end'; table: string; rows: number }
  | { kind: 'done'; rows: number };

/** The file is not a Hive export, is of another version, or is damaged or cut short. */
export class ExportFileError extends HiveError {
  override readonly code = 'export_file_invalid';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function parseJson(line: string, where: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new ExportFileError(`${where} is not JSON`, { cause: err });
  }
}

export const headerLine = (header: ExportHeader) => JSON.stringify(header);
export const tableLine = (table: string) => JSON.stringify({ table });
export const endLine = (table: string, rows: number) => JSON.stringify({ end: table, rows });
export const doneLine = (rows: number) => JSON.stringify({ done: true, rows });

/** The first line, checked for what this Hive can read. */
export function parseHeader(line: string | undefined): ExportHeader {
  if (line === undefined) throw new ExportFileError('the file is empty');
  const notOurs = 'it is not a Hive database export (made by hive db export)';
  let value: unknown;
  try {
    value = parseJson(line, 'the first line');
  } catch (err) {
    throw new ExportFileError(notOurs, { cause: err });
  }
  if (!isObject(value) || value.format !== EXPORT_FORMAT) throw new ExportFileError(notOurs);
  if (value.version !== EXPORT_FORMAT_VERSION) {
    throw new ExportFileError(`it is an export of format version ${JSON.stringify(value.version)}; this Hive reads version ${EXPORT_FORMAT_VERSION}`
      + (typeof value.hive === 'string' ? ` (it was made by Hive ${value.hive}: import it with that version)` : ''));
  }
  const tables = value.tables;
  const tablesOk = Array.isArray(tables) && tables.every((t) => isObject(t) && typeof t.name === 'string' && isStringArray(t.columns));
  if (typeof value.hive !== 'string' || typeof value.migration !== 'string' || typeof value.exportedAt !== 'string' || !tablesOk) {
    throw new ExportFileError('its header is damaged (a field is missing or of the wrong type)');
  }
  return value as unknown as ExportHeader;
}

/** A row's values; the caller checks their number against the table's columns. */
export function parseRow(line: string, lineNo: number): ExportValue[] {
  const value = parseJson(line, `line ${lineNo}`);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || v === null)) {
    throw new ExportFileError(`line ${lineNo} is not a row (an array of strings and nulls)`);
  }
  return value as ExportValue[];
}

export function parseControl(line: string, lineNo: number): ControlLine {
  const value = parseJson(line, `line ${lineNo}`);
  if (isObject(value)) {
    if (typeof value.table === 'string') return { kind: 'table', table: value.table };
    if (typeof value.end === 'string' && Number.isInteger(value.rows)) return { kind: 'end', table: value.end, rows: value.rows as number };
    if (value.done === true && Number.isInteger(value.rows)) return { kind: 'done', rows: value.rows as number };
  }
  throw new ExportFileError(`line ${lineNo} is neither a row nor a table marker`);
}

/** Row lines are arrays, every other line an object: one look at the first character tells them apart. */
export const isRowLine = (line: string) => line.startsWith('[');
