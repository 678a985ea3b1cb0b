/**
 * Autovacuum for the embedded database. PGlite runs PostgreSQL in single-user mode: there
 * is no autovacuum worker and no statistics collector, so without this the planner keeps
 * the row estimates of an empty table forever (a project page with 10,000 builds then
 * sorts all of them instead of walking the index: 20 ms instead of 0.1 ms) and updated
 * rows are never reclaimed.
 *
 * With no `pg_stat_user_tables` to read, a table's growth is the signal: when its main
 * fork has grown by a fifth (plus a few pages), or by 256 MB whatever its size, beyond the
 * size recorded by the last VACUUM/ANALYZE (`pg_class.relpages`), it is vacuumed and
 * analyzed. Inserts and updates both grow a table (an update writes a new row version),
 * so this follows autovacuum's insert and update thresholds closely enough; the 256 MB cap
 * bounds one pass over a big log table (VACUUM runs on the queen's thread here, ~1.7 s per
 * GB it has not seen). A table whose oldest transaction id is older than
 * `vacuum_freeze_table_age` is vacuumed too, growing or not, as anti-wraparound autovacuum
 * would: without it a long-lived embedded database would stop at 2^31 transactions.
 * Checked once at start and then every `intervalMs`; PostgreSQL does all this itself.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../util/periodic-task.ts';

const GROWTH_FACTOR = 0.2;
const GROWTH_PAGES = 8;
/** 256 MB of 8 kB pages. */
const MAX_GROWTH_PAGES = 32_768;
/** PostgreSQL's default vacuum_freeze_table_age: from here a VACUUM freezes the whole table. */
const FREEZE_AGE = 150_000_000;

export interface TableSize {
  name: string;
  pages: number;
  recorded: number;
  /** age(relfrozenxid): transactions since the table's rows were last frozen. */
  xidAge: number;
}

async function tableSizes(client: PGlite): Promise<TableSize[]> {
  const { rows } = await client.query<TableSize>(`
    select c.relname as name,
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages,
           greatest(c.relpages, 0)::int as recorded,
           age(c.relfrozenxid)::int as "xidAge"
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname = 'public'`);
  return rows;
}

/** The tables that have grown enough since their last VACUUM/ANALYZE to need one now. */
export function tablesDue(sizes: TableSize[]): string[] {
  const grown = (t: TableSize) => t.pages - t.recorded > Math.min(t.recorded * GROWTH_FACTOR + GROWTH_PAGES, MAX_GROWTH_PAGES);
  const neverMeasured = (t: TableSize) => t.recorded === 0 && t.pages > 0;
  return sizes.filter((t) => grown(t) || neverMeasured(t) || t.xidAge > FREEZE_AGE).map((t) => t.name);
}

/** One pass: vacuums and analyzes every table that needs it; returns their names. */
export async function maintainPglite(client: PGlite): Promise<string[]> {
  const due = tablesDue(await tableSizes(client));
  for (const name of due) {
    // Names come from pg_class, quoted as identifiers all the same.
    await client.exec(`VACUUM (ANALYZE) "${name.replaceAll('"', '""')}"`);
  }
  return due;
}

/** A pass now and then every `intervalMs`; stopping waits for a pass in progress (the client closes next). */
export function startPgliteMaintenance(deps: { client: PGlite; log: Logger; intervalMs: number }): PeriodicTask {
  return startPeriodicTask(async () => {
    const started = performance.now();
    const done = await maintainPglite(deps.client);
    if (done.length) deps.log.debug({ tables: done, ms: Math.round(performance.now() - started) }, 'database vacuumed and analyzed');
  }, { intervalMs: deps.intervalMs, runNow: true, onError: (err) => deps.log.warn({ err }, 'database maintenance failed; will retry') });
}
