/** The export file's lines: what is accepted, and the one-line reasons for what is not. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  EXPORT_FORMAT, EXPORT_FORMAT_VERSION, ExportFileError, doneLine, endLine, headerLine, isRowLine, parseControl, parseHeader, parseRow, tableLine, type ExportHeader,
} from '../../server/db/transfer/transfer-format.ts';

const header: ExportHeader = {
  format: EXPORT_FORMAT, version: EXPORT_FORMAT_VERSION, hive: '0.1.0', migration: '0007_x', exportedAt: '2026-11-30T00:00:00.000Z',
  tables: [{ name: 'users', columns: ['id', 'username'] }],
};

const refused = (pattern: RegExp) => (err: unknown) => err instanceof ExportFileError && pattern.test(err.message);

it('reads back the header it writes', () => {
  assert.deepEqual(parseHeader(headerLine(header)), header);
});

it('refuses what is not an export, another format version and a damaged header', () => {
  assert.throws(() => parseHeader(undefined), refused(/the file is empty/));
  assert.throws(() => parseHeader('id,name,email'), refused(/not a Hive database export/));
  assert.throws(() => parseHeader('{"some":"json"}'), refused(/not a Hive database export/));
  assert.throws(() => parseHeader(JSON.stringify({ ...header, version: 99, hive: '9.0.0' })), refused(/format version 99; this Hive reads version 1 \(it was made by Hive 9\.0\.0/));
  assert.throws(() => parseHeader(JSON.stringify({ ...header, tables: [{ name: 'users' }] })), refused(/header is damaged/));
  assert.throws(() => parseHeader(JSON.stringify({ ...header, migration: undefined })), refused(/header is damaged/));
});

it('tells rows from markers, and checks both', () => {
  assert.ok(isRowLine('["a",null]'));
  assert.ok(!isRowLine(tableLine('users')));
  assert.deepEqual(parseRow('["a",null,"2026-11-30 01:02:03.456789+00"]', 5), ['a', null, '2026-11-30 01:02:03.456789+00']);
  assert.throws(() => parseRow('["a",1]', 7), refused(/line 7 is not a row/));
  assert.throws(() => parseRow('["a",', 8), refused(/line 8 is not JSON/));
  assert.deepEqual(parseControl(tableLine('users'), 2), { kind: 'table', table: 'users' });
  assert.deepEqual(parseControl(endLine('users', 3), 6), { kind: 'end', table: 'users', rows: 3 });
  assert.deepEqual(parseControl(doneLine(3), 7), { kind: 'done', rows: 3 });
  assert.throws(() => parseControl('{"end":"users","rows":"3"}', 9), refused(/line 9 is neither a row nor a table marker/));
});
