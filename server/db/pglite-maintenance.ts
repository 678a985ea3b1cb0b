/**
 * Autovacuum for the embedded database. PGlite runs PostgreSQL in single-user mode: there
 * is no autovacuum worker and no statistics collector, so without this the planner keeps
 * the row estimates of an empty table forever (a project page with 10,000 builds then
 * sorts all of them instead of walking the index: 20 ms instead of 0.1 ms) and updated
 * rows are never reclaimed.
 *
 * With no `pg_stat_user_tables` to read, a table's growth is the signal: when its main
 * fork has grown by a fifth (plus a few pages) beyond the size recorded by the last
 * VACUUM/ANALYZE (`pg_class.relpages`), it is vacuumed and analyzed. Inserts and updates
 * both grow a table (an update writes a new row version), so this follows
 * autovacuum's insert and update thresholds closely enough. Checked once at start and
 * then every `intervalMs`; on PostgreSQL the server's own autovacuum does this.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../logger.ts';

const GROWTH_FACTOR = 0.2;
const GROWTH_PAGES = 8;

interface TableSize {
  name: string;
  pages: number;
  recorded: number;
}

async function tableSizes(client: PGlite): Promise<TableSize[]> {
  const { rows } = await client.query<{ name: string; pages: number; recorded: number }>(`
    select c.relname as name,
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages,
           greatest(c.relpages, 0)::int as recorded
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname = 'public'`);
  return rows;
}

/** The tables that have grown enough since their last VACUUM/ANALYZE to need one now. */
export function tablesDue(sizes: TableSize[]): string[] {
  return sizes.filter((t) => t.pages > t.recorded * (1 + GROWTH_FACTOR) + GROWTH_PAGES || (t.recorded === 0 && t.pages > 0)).map((t) => t.name);
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

/** Runs passes until stopped; stopping waits for a pass in progress (the client closes next). */
export function startPgliteMaintenance(deps: { client: PGlite; log: Logger; intervalMs: number }): () => Promise<void> {
  let current: Promise<void> | undefined;
  const pass = () => {
    current ??= run().finally(() => (current = undefined));
  };
  const run = async () => {
    try {
      const started = performance.now();
      const done = await maintainPglite(deps.client);
      if (done.length) deps.log.debug({ tables: done, ms: Math.round(performance.now() - started) }, 'database vacuumed and analyzed');
    } catch (err) {
      deps.log.warn({ err }, 'database maintenance failed; will retry');
    }
  };
  pass();
  const timer = setInterval(pass, deps.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
