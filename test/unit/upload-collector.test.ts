/** The files of one trigger: names checked before any content is read, the total limit as it arrives. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Db } from '../../server/db/client.ts';
import { PayloadTooLargeError, ValidationError } from '../../server/errors.ts';
import { UploadCollector, type ChunkSource } from '../../server/uploads/upload-collector.ts';

/** A database that only records the rows inserted and the deletes. */
function fakeDb() {
  const inserted: { name: string; size: number }[] = [];
  let deletes = 0;
  const db = {
    insert: () => ({ values: async (row: { name: string; size: number }) => { inserted.push({ name: row.name, size: row.size }); } }),
    delete: () => ({ where: () => ({ returning: async () => { deletes++; return []; } }) }),
  } as unknown as Db;
  return { db, inserted, deletes: () => deletes };
}

/** Content in chunks, counting how many were read. */
function chunks(...parts: (string | number)[]): ChunkSource & { reads: number } {
  const queue = parts.map((p) => (typeof p === 'number' ? Buffer.alloc(p) : Buffer.from(p)));
  const source = {
    reads: 0,
    read: async () => {
      source.reads++;
      return queue.shift();
    },
  };
  return source;
}

it('stores each file with its size, in the order they came', async () => {
  const { db, inserted } = fakeDb();
  const collector = new UploadCollector(db, 'p', 100);
  await collector.add('a.txt', chunks('hello ', 'world'));
  await collector.add('empty.txt', chunks());
  assert.deepEqual(collector.files, [{ name: 'a.txt', size: 11 }, { name: 'empty.txt', size: 0 }]);
  assert.deepEqual(inserted, collector.files);
});

it('refuses a bad or repeated name before reading its content', async () => {
  const { db } = fakeDb();
  const collector = new UploadCollector(db, 'p', 100);
  await collector.add('a.txt', chunks('x'));
  for (const name of ['../a', '.git', 'a.txt']) {
    const content = chunks('x');
    await assert.rejects(collector.add(name, content), ValidationError);
    assert.equal(content.reads, 0, name);
  }
});

it('skips the nameless empty file of a file input left empty, and refuses one with content', async () => {
  const { db, inserted } = fakeDb();
  const collector = new UploadCollector(db, 'p', 100);
  await collector.add('', chunks());
  assert.deepEqual(inserted, []);
  await assert.rejects(collector.add('', chunks('data')), /files: the file name "" is empty/);
});

it('refuses the byte past the limit of all files together, without reading on', async () => {
  const { db, inserted } = fakeDb();
  const collector = new UploadCollector(db, 'p', 10);
  await collector.add('a', chunks(6));
  const second = chunks(3, 2, 100);
  await assert.rejects(collector.add('b', second), (err: Error) => err instanceof PayloadTooLargeError && /larger than the 10 B/.test(err.message));
  assert.equal(second.reads, 2, 'stopped at the chunk that crossed the limit');
  assert.deepEqual(inserted, [{ name: 'a', size: 6 }]);
});

it('takes no file at all, not even an empty one, with a limit of 0', async () => {
  const { db } = fakeDb();
  const collector = new UploadCollector(db, 'p', 0);
  await collector.add('', chunks()); // an empty file input is no file
  await assert.rejects(collector.add('a.txt', chunks()), /takes no files with builds \(HIVE_MAX_UPLOAD_BYTES is 0\)/);
});

it('removes what it stored when the trigger fails', async () => {
  const { db, deletes } = fakeDb();
  const collector = new UploadCollector(db, 'p', 100);
  await collector.discard();
  assert.equal(deletes(), 0, 'nothing stored, nothing to delete');
  await collector.add('a', chunks('x'));
  await collector.discard();
  assert.equal(deletes(), 1);
  assert.deepEqual(collector.files, []);
});
