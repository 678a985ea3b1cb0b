import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import '../../server/db/pglite-compiler.ts';
import { messages, PGlite, types } from '@electric-sql/pglite';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { bigint, boolean, customType, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { MAX_PREPARED_TEXT, usePreparedStatements } from '../../server/db/pglite-statements.ts';

// Two databases with the same rows: `prepared` runs repeated statements as named ones,
// `plain` is PGlite as it comes; every answer of the first must be the second's.
let prepared: PGlite;
let plain: PGlite;

const SCHEMA = `
  create table things (id uuid primary key, n int not null, label text, data jsonb, raw bytea, at timestamptz, ok boolean, big bigint, tags text[]);
  create function announce() returns trigger language plpgsql as $$ begin perform pg_notify('things_changed', new.id::text); return null; end $$;
  create trigger things_changed after update on things for each row execute function announce();
  insert into things values
    ('00000000-0000-4000-8000-000000000001', 1, 'one', '{"a":[1,2]}', '\\x00ff10', '2026-12-02T04:00:00.123Z', true, 9007199254740993, '{x,"y z"}'),
    ('00000000-0000-4000-8000-000000000002', 2, null, null, null, null, null, null, null);`;

const ONE = '00000000-0000-4000-8000-000000000001';

before(async () => {
  prepared = await PGlite.create();
  plain = await PGlite.create();
  for (const db of [prepared, plain]) await db.exec(SCHEMA);
  assert.equal(usePreparedStatements(prepared, 3), true);
});
after(async () => {
  await prepared.close();
  await plain.close();
});

/** Names of the statements the prepared database holds. */
async function preparedNames(): Promise<string[]> {
  const { rows } = await plain.query.call(prepared, `select name from pg_prepared_statements where name like 'hive_%' order by name`) as { rows: { name: string }[] };
  return rows.map((r) => r.name);
}

/** Runs the same query on both databases `times` times; returns each one's last answer. */
async function both(text: string, params: unknown[] = [], options?: Parameters<PGlite['query']>[2], times = 3) {
  let ours, theirs;
  for (let i = 0; i < times; i++) {
    ours = await prepared.query(text, params, options);
    theirs = await plain.query(text, params, options);
  }
  return { ours: ours!, theirs: theirs! };
}

test('a statement run again answers exactly as PGlite\'s query does: rows as objects or arrays, every type parsed alike, the query\'s own parsers first', async () => {
  const before = (await preparedNames()).length;
  const select = 'select id, n, label, data, raw, at, ok, big, tags from things where n >= $1 order by n';
  for (const options of [undefined, { rowMode: 'array' as const }, { rowMode: 'array' as const, parsers: { [types.TIMESTAMPTZ]: (v: string) => `as text: ${v}` } }]) {
    const { ours, theirs } = await both(select, [1], options);
    assert.deepEqual(ours.rows, theirs.rows);
    assert.deepEqual(ours.fields, theirs.fields);
    assert.equal(ours.affectedRows, theirs.affectedRows);
  }
  const { ours } = await both(select, [1], { rowMode: 'array', parsers: { [types.TIMESTAMPTZ]: (v: string) => `as text: ${v}` } });
  assert.equal((ours.rows[0] as unknown[])[5], 'as text: 2026-12-02 04:00:00.123+00', 'the query\'s parser was used');
  assert.deepEqual((ours.rows[0] as unknown[])[4], new Uint8Array([0, 255, 16]));
  assert.ok((await preparedNames()).length > before, 'the statement was prepared');
});

test('parameters are serialized by their described types: JSON objects, byte arrays, dates, nulls', async () => {
  const text = 'select $1::jsonb as j, $2::bytea as b, $3::timestamptz as t, $4::text as nothing, $5::int + 1 as n';
  const params = [{ deep: { list: [1, 'two'] } }, new Uint8Array([1, 2, 3]), new Date('2026-01-02T03:04:05.678Z'), null, 41];
  const { ours, theirs } = await both(text, params);
  assert.deepEqual(ours.rows, theirs.rows);
  assert.deepEqual(ours.rows[0], { j: { deep: { list: [1, 'two'] } }, b: new Uint8Array([1, 2, 3]), t: new Date('2026-01-02T03:04:05.678Z'), nothing: null, n: 42 });
});

test('a long text parameter (sent as its UTF-8 bytes) is the same text: every character, its length, its comparisons', async () => {
  const long = 'é ✓ 😀 "q" \\ \n\t ascii '.repeat(200);
  const text = 'select $1::text as t, length($1::text) as n, $1::text = $2::text as same, $3::text as short';
  const { ours, theirs } = await both(text, [long, long, 'short é']);
  assert.deepEqual(ours.rows, theirs.rows);
  assert.deepEqual(ours.rows[0], { t: long, n: [...long].length, same: true, short: 'short é' });
  // A text with a NUL is refused as PostgreSQL refuses it: first as PGlite runs it, then prepared.
  for (let i = 0; i < 2; i++) await assert.rejects(prepared.query('select $1::text as t', ['\u0000'.repeat(600)]), /invalid byte sequence|0x00/);
});

test('a statement seen once with a long text parameter runs as the unnamed one, its text sent as bytes: the same answer, nothing kept', async () => {
  const before = await preparedNames();
  const long = 'ü ✓ line\n'.repeat(100);
  const text = 'select $1::text as t, octet_length($1::text) as bytes, $2::int + 1 as n /* once */';
  const ours = await prepared.query(text, [long, 1]);
  const theirs = await plain.query(text, [long, 1]);
  assert.deepEqual(ours.rows, theirs.rows);
  assert.deepEqual(ours.fields, theirs.fields);
  assert.deepEqual(ours.rows[0], { t: long, bytes: Buffer.byteLength(long), n: 2 });
  assert.deepEqual(await preparedNames(), before, 'a text seen once is not prepared');
  // Its errors are PGlite's, with the statement's text, and the next statement runs.
  const broken = 'select $1::text as t from no_such_table /* once */';
  const err = await prepared.query(broken, [long]).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof messages.DatabaseError && /no_such_table/.test(err.message), String(err));
  assert.equal((err as { query?: string }).query, broken);
  assert.deepEqual((await prepared.query('select $1::int as v', [7])).rows, [{ v: 7 }]);
});

test('bytes go as they are, in a named statement and run once: every byte value, in and out', async () => {
  const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + (i >> 8)) % 256));
  for (const text of ['select $1::bytea as b, octet_length($1::bytea) as n, md5($1::bytea) as sum /* once */',
    'select $1::bytea as b, octet_length($1::bytea) as n, md5($1::bytea) as sum']) {
    const { ours, theirs } = await both(text, [bytes], undefined, text.includes('once') ? 1 : 3);
    assert.deepEqual(ours.rows, theirs.rows);
    const row = ours.rows[0] as { b: Uint8Array; n: number; sum: string };
    assert.equal(row.n, bytes.length);
    assert.ok(Buffer.from(row.b).equals(bytes));
  }
  const { rows } = await plain.query.call(prepared, `select statement from pg_prepared_statements where name like 'hive_%'`) as { rows: { statement: string }[] };
  const kept = rows.map((r) => r.statement).filter((t) => t.includes('$1::bytea as b'));
  assert.deepEqual(kept, ['select $1::bytea as b, octet_length($1::bytea) as n, md5($1::bytea) as sum'], 'only the statement run again is kept');
});

test('affectedRows counts what an insert, update or delete changed, with or without returning', async () => {
  for (const text of [
    `update things set n = n where n > $1`,
    `update things set n = n where n > $1 returning id`,
    `with gone as (delete from things where n > $1 and false returning 1) select count(*)::int as c from gone`,
  ]) {
    const { ours, theirs } = await both(text, [0]);
    assert.equal(ours.affectedRows, theirs.affectedRows, text);
    assert.deepEqual(ours.rows, theirs.rows, text);
  }
  const inserted = await both(`insert into things (id, n) values (gen_random_uuid(), $1), (gen_random_uuid(), $1)`, [100], undefined, 2);
  assert.equal(inserted.ours.affectedRows, 2);
  const removed = await both(`delete from things where n = $1`, [100], undefined, 1);
  assert.equal(removed.ours.affectedRows, 4, 'the two inserted twice');
});

test('an error of a prepared statement is PostgreSQL\'s, with its code and text, and the database goes on', async () => {
  const insert = 'insert into things (id, n) values ($1, $2)';
  const id = '00000000-0000-4000-8000-0000000000aa';
  await prepared.query(insert, [id, 7]);
  await prepared.query('delete from things where id = $1', [id]);
  await prepared.query(insert, [id, 7]); // the second use: prepared
  const err = await prepared.query(insert, [id, 7]).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof messages.DatabaseError, String(err));
  assert.equal(err.code, '23505');
  assert.equal((err as { query?: string }).query, insert);
  const bad = await prepared.query(insert, ['not a uuid', 7]).then(() => undefined, (e: unknown) => e);
  assert.ok(bad instanceof messages.DatabaseError && bad.code === '22P02', String(bad));
  assert.equal((await prepared.query<{ n: number }>('select n from things where id = $1', [id])).rows[0].n, 7);
  await prepared.query('delete from things where id = $1', [id]);
});

test('in a transaction: a failed statement rolls the transaction back, and statements made in a rolled-back transaction still work', async () => {
  const update = 'update things set n = n + $2 where id = $1 returning n';
  const failed = await prepared.transaction(async (tx) => {
    await tx.query(update, [ONE, 10]);
    await tx.query(update, [ONE, 10]);
    await tx.query('select 1 / $1::int', [0]);
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(failed instanceof messages.DatabaseError && failed.code === '22012', String(failed));
  assert.deepEqual((await prepared.query('select n from things where id = $1', [ONE])).rows, [{ n: 1 }], 'nothing of it was kept');
  await prepared.transaction(async (tx) => {
    await tx.query(update, [ONE, 1]);
    await tx.rollback();
  });
  assert.deepEqual((await prepared.query(update, [ONE, 0])).rows, [{ n: 1 }]);
  await prepared.transaction(async (tx) => {
    assert.deepEqual((await tx.query(update, [ONE, 1])).rows, [{ n: 2 }]);
  });
  assert.deepEqual((await prepared.query(update, [ONE, -1])).rows, [{ n: 1 }], 'a committed transaction\'s statement is kept');
});

test('a statement outside the transaction in progress waits for its end, as PGlite\'s query does', async () => {
  const read = 'select n from things where id = $1';
  await prepared.query(read, [ONE]);
  await prepared.query(read, [ONE]);
  const order: string[] = [];
  let inside!: () => void;
  const entered = new Promise<void>((resolve) => { inside = resolve; });
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const transaction = prepared.transaction(async (tx) => {
    await tx.query('update things set n = 50 where id = $1', [ONE]);
    inside();
    await held;
    order.push('commit');
  });
  await entered;
  const outside = prepared.query<{ n: number }>(read, [ONE]).then((r) => { order.push('read'); return r.rows[0].n; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'the read waits');
  release();
  await transaction;
  assert.equal(await outside, 50, 'it sees the committed change');
  assert.deepEqual(order, ['commit', 'read']);
  await prepared.query('update things set n = 1 where id = $1', [ONE]);
});

test('a notification of a prepared statement\'s change is delivered before the statement returns', async () => {
  const heard: string[] = [];
  await prepared.listen('things_changed', (id) => heard.push(id));
  const touch = 'update things set n = n where id = $1';
  for (let i = 1; i <= 3; i++) {
    await prepared.query(touch, [ONE]);
    assert.equal(heard.length, i, `heard by the time update ${i} returned`);
  }
});

test('no more statements are kept than asked for: the least recently used one is closed', async () => {
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 6; k++) {
      const { ours, theirs } = await both(`select ${k} + $1::int as v`, [round], undefined, 2);
      assert.deepEqual(ours.rows, theirs.rows);
      assert.deepEqual(ours.rows, [{ v: k + round }]);
    }
    assert.ok((await preparedNames()).length <= 3, `kept: ${(await preparedNames()).join(', ')}`);
  }
});

test('a text longer than the limit is never prepared, however often it runs', async () => {
  const before = await preparedNames();
  const long = `select $1::int + 1 as v /* ${'x'.repeat(MAX_PREPARED_TEXT)} */`;
  for (let i = 0; i < 3; i++) assert.deepEqual((await prepared.query(long, [i])).rows, [{ v: i + 1 }]);
  assert.deepEqual(await preparedNames(), before);
});

test('a statement whose table changed its columns is made anew', async () => {
  await prepared.exec('create table shapes (a int)');
  await prepared.exec('insert into shapes values (1)');
  const star = 'select * from shapes where a = $1';
  await prepared.query(star, [1]);
  assert.deepEqual((await prepared.query(star, [1])).rows, [{ a: 1 }]);
  await prepared.exec(`alter table shapes add column b text default 'new'`);
  assert.deepEqual((await prepared.query(star, [1])).rows, [{ a: 1, b: 'new' }]);

  // Inside a transaction the failure is the caller's, not hidden behind "current
  // transaction is aborted"; the statement is made anew after it, the old one closed.
  await prepared.exec(`alter table shapes add column c int default 3`);
  const failed = await prepared.transaction(async (tx) => {
    await tx.query(star, [1]);
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(failed instanceof messages.DatabaseError && failed.code === '0A000', String(failed));
  const names = await preparedNames();
  assert.deepEqual((await prepared.query(star, [1])).rows, [{ a: 1, b: 'new', c: 3 }]);
  assert.deepEqual((await prepared.query(star, [1])).rows, [{ a: 1, b: 'new', c: 3 }]);
  const after = await preparedNames();
  assert.equal(after.length, names.length, 'the forgotten statement was closed when its successor was made');
});

test('drizzle on it reads and writes what it does on PGlite as it comes', async () => {
  const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
  const things = pgTable('things', {
    id: uuid('id').primaryKey(), n: integer('n').notNull(), label: text('label'), data: jsonb('data'), raw: bytea('raw'),
    at: timestamp('at', { withTimezone: true, mode: 'date' }), ok: boolean('ok'), big: bigint('big', { mode: 'bigint' }), tags: text('tags').array(),
  });
  const ours = drizzle(prepared);
  const theirs = drizzle(plain);
  for (let i = 0; i < 3; i++) {
    const rows = await ours.select().from(things).where(eq(things.id, ONE));
    assert.deepEqual(rows, await theirs.select().from(things).where(eq(things.id, ONE)));
    assert.equal(rows[0].at?.toISOString(), '2026-12-02T04:00:00.123Z');
    assert.equal(rows[0].big, 9007199254740993n);
    const [updated] = await Promise.all([ours, theirs].map((db) => db.transaction((tx) =>
      tx.update(things).set({ label: sql`${things.label} || ${'!'}` }).where(eq(things.id, ONE)).returning({ label: things.label }))));
    assert.equal(updated[0].label, `one${'!'.repeat(i + 1)}`);
  }
});
