import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import '../../server/db/pglite-compiler.ts';
import { PGlite } from '@electric-sql/pglite';
import { ByteaFormatError, byteaTypeOptions, parseBytea, serializeBytea } from '../../server/db/pglite-bytea.ts';

// PGlite as Hive opens it (its bytea codecs replaced), without prepared statements: every
// parameter goes through the serializer, every result through the parser.
let db: PGlite;
before(async () => {
  db = await PGlite.create(byteaTypeOptions);
  await db.exec('create table blobs (id int primary key, b bytea)');
});
after(async () => {
  await db?.close();
});

const everyByte = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));

test('bytes written through PGlite\'s query come back as a Buffer of the same bytes', async () => {
  for (const [id, value] of [[1, everyByte], [2, new Uint8Array(everyByte.subarray(10, 20))], [3, Buffer.alloc(0)]] as const) {
    await db.query('insert into blobs values ($1, $2)', [id, value]);
    const { rows } = await db.query<{ b: Buffer; hex: string }>('select b, encode(b, \'hex\') as hex from blobs where id = $1', [id]);
    assert.ok(Buffer.isBuffer(rows[0].b));
    assert.ok(rows[0].b.equals(Buffer.from(value)), `row ${id}`);
    assert.equal(rows[0].hex, Buffer.from(value).toString('hex'), 'stored as the same bytes');
  }
  // A part of a larger buffer is only that part.
  const view = everyByte.subarray(100, 104);
  assert.equal(serializeBytea(view), '\\x64656667');
});

test('a value that is not bytes is refused before it reaches the database; a result not in hex is refused by name', async () => {
  await assert.rejects(db.query('insert into blobs values (9, $1)', ['\\x00']), /must be a Buffer or Uint8Array/);
  assert.equal((await db.query('select count(*)::int as n from blobs where id = 9')).rows.length, 1);
  assert.deepEqual((await db.query<{ n: number }>('select count(*)::int as n from blobs where id = 9')).rows[0].n, 0);
  assert.throws(() => parseBytea('abc'), (err) => err instanceof ByteaFormatError && /not as hex/.test(err.message));
  await db.exec("set bytea_output = 'escape'");
  await assert.rejects(db.query('select b from blobs where id = 1'), ByteaFormatError);
  await db.exec("set bytea_output = 'hex'");
});
