/**
 * The Bind, Execute and Sync messages Hive writes itself (server/db/pglite-bind-message.ts)
 * are byte for byte the ones PGlite's own serializer makes of the same values.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { protocol } from '@electric-sql/pglite';
import { bindExecuteSync, type BindValue } from '../../server/db/pglite-bind-message.ts';

/** What PGlite's serializer makes of them (a string given as `{ binary }` goes as its UTF-8 bytes). */
function theirs(statement: string, values: BindValue[]): Uint8Array {
  const legal = values.map((v) => (v === null || typeof v === 'string' ? v : typeof v.binary === 'string' ? Buffer.from(v.binary) : v.binary));
  const parts = [protocol.serialize.bind({ statement, values: legal }), protocol.serialize.execute({}), protocol.serialize.sync()];
  return Buffer.concat(parts);
}

it('writes the messages PGlite\'s serializer writes: texts, bytes, texts as bytes, nulls, none', () => {
  const cases: [string, BindValue[]][] = [
    ['hive_1', []],
    ['hive_2', [null]],
    ['hive_3', ['', 'ascii', 'é ✓ 😀 \u0000 "q" \\', '\ud800 a lone surrogate', null, '42']],
    ['hive_4', [{ binary: new Uint8Array([0, 1, 2, 255]) }, { binary: new Uint8Array(0) }, { binary: 'é ✓ 😀 as bytes' }, { binary: '' }]],
    ['hive_5', [{ binary: 'x'.repeat(300_000) }, 'y'.repeat(70_000), null, { binary: Buffer.from('z'.repeat(5_000)).subarray(100, 4_100) }]],
    ['ünïcode_statement', ['1', null, { binary: '2' }]],
  ];
  for (const [statement, values] of cases) {
    assert.deepEqual(Buffer.from(bindExecuteSync(statement, values)), Buffer.from(theirs(statement, values)), statement);
  }
});
