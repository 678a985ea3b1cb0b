/**
 * The tables `hive db export` writes and `hive db import` loads: every table of the drizzle
 * schema, found by walking the schema module rather than listed by hand, so a table added
 * to schema.ts is exported without anyone remembering to. Ordered so that a table comes
 * after the tables its foreign keys point to: loading in this order never violates a
 * constraint (drizzle's constraints are not deferrable).
 */
import { is } from 'drizzle-orm';
import { PgTable, getTableConfig } from 'drizzle-orm/pg-core';
import { HiveError } from '../../errors.ts';
import * as schema from '../schema.ts';

export interface TransferTable {
  name: string;
  /** Column names, in the schema's order: the order of each row's values in the file. */
  columns: string[];
  /** The primary key's columns (empty if none): the export's order, so two exports of one database compare. */
  primaryKey: string[];
  /** Other tables this one's foreign keys point to. */
  references: string[];
}

/** The schema has foreign keys that go round in a circle: no load order exists. */
export class TableCycleError extends HiveError {}

function describe(table: PgTable): TransferTable {
  const config = getTableConfig(table);
  const columnPk = config.columns.filter((c) => c.primary).map((c) => c.name);
  const compositePk = config.primaryKeys[0]?.columns.map((c) => c.name) ?? [];
  const references = config.foreignKeys
    .map((fk) => getTableConfig(fk.reference().foreignTable).name)
    .filter((name) => name !== config.name);
  return {
    name: config.name,
    columns: config.columns.map((c) => c.name),
    primaryKey: columnPk.length > 0 ? columnPk : compositePk,
    references: [...new Set(references)],
  };
}

/** Tables (from any module exporting drizzle tables) with each after what it references; ties keep the module's order. */
export function tablesInDependencyOrder(module: Record<string, unknown>): TransferTable[] {
  const tables = Object.values(module).filter((v): v is PgTable => is(v, PgTable)).map(describe);
  const ordered: TransferTable[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !placed.has(t.name) && t.references.every((r) => placed.has(r)));
    if (!next) {
      const left = tables.filter((t) => !placed.has(t.name)).map((t) => t.name);
      throw new TableCycleError(`The foreign keys of ${left.join(', ')} form a cycle (or point outside the schema): no order to load them in`);
    }
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

/** Hive's tables, in load order. */
export const transferTables: readonly TransferTable[] = tablesInDependencyOrder(schema);
