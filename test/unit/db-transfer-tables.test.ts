/**
 * `hive db export` takes every table: the list comes from the drizzle schema, and this test
 * holds it against the migrations — a table the migrations create that the export would not
 * write (or one it would write that no migration creates) fails here. And the load order
 * puts every table after the tables it refers to.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { TableCycleError, tablesInDependencyOrder, transferTables } from '../../server/db/transfer/transfer-tables.ts';

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Tables as the migrations leave them: created, minus dropped, plus renamed. */
function tablesOfMigrations(): Set<string> {
  const tables = new Set<string>();
  for (const file of readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()) {
    const text = readFileSync(join(migrationsDir, file), 'utf8');
    for (const m of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(?:"public"\.)?"([^"]+)"|DROP TABLE (?:IF EXISTS )?(?:"public"\.)?"([^"]+)"|ALTER TABLE (?:"public"\.)?"([^"]+)" RENAME TO "([^"]+)"/g)) {
      if (m[1]) tables.add(m[1]);
      if (m[2]) tables.delete(m[2]);
      if (m[3]) {
        tables.delete(m[3]);
        tables.add(m[4]);
      }
    }
  }
  return tables;
}

it('exports exactly the tables the migrations create', () => {
  const exported = transferTables.map((t) => t.name).sort();
  assert.deepEqual(exported, [...tablesOfMigrations()].sort());
  // The ones this was written against, as a floor: none of them may fall out.
  for (const name of ['projects', 'jobs', 'job_commands', 'job_log_chunks', 'drones', 'api_tokens', 'users', 'sessions', 'webhook_deliveries']) {
    assert.ok(exported.includes(name), `${name} is exported`);
  }
});

it('orders every table after the tables it refers to, and knows each one\'s columns and key', () => {
  const position = new Map(transferTables.map((t, i) => [t.name, i]));
  for (const t of transferTables) {
    for (const r of t.references) assert.ok(position.get(r)! < position.get(t.name)!, `${r} before ${t.name}`);
    assert.ok(t.columns.length > 0, `${t.name} has columns`);
  }
  const jobs = transferTables.find((t) => t.name === 'jobs')!;
  assert.ok(jobs.references.includes('projects'));
  assert.deepEqual(jobs.primaryKey, ['id']);
  assert.deepEqual(transferTables.find((t) => t.name === 'job_log_chunks')!.primaryKey, ['job_id', 'attempt', 'seq_from']);
});

it('sorts tables declared before what they refer to, and refuses a cycle', () => {
  const parent = pgTable('parent', { id: uuid('id').primaryKey() });
  const child = pgTable('child', { id: uuid('id').primaryKey(), parentId: uuid('parent_id').references(() => parent.id), n: integer('n') });
  const unrelated = pgTable('unrelated', { name: text('name') });
  assert.deepEqual(tablesInDependencyOrder({ child, unrelated, parent, notATable: 42 }).map((t) => t.name), ['unrelated', 'parent', 'child']);

  // Two tables that refer to each other (typed loosely: TypeScript cannot infer the circle).
  const a: any = pgTable('a', { id: uuid('id').primaryKey(), bId: uuid('b_id').references(() => b.id) });
  const b: any = pgTable('b', { id: uuid('id').primaryKey(), aId: uuid('a_id').references(() => a.id) });
  assert.throws(() => tablesInDependencyOrder({ a, b }), (err) => err instanceof TableCycleError && /a, b form a cycle/.test(err.message));
});
