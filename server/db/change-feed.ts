/**
 * Changes to the rows the queen keeps in memory (auth: users, tokens, sessions; jobs; projects),
 * heard from the database itself, so that a cache of them is exact (invalidated-reads.ts).
 *
 * Only the embedded database has one. There the queen is the database's only writer (its
 * data directory is locked), and PGlite delivers a commit's notifications before the
 * committing query returns to its caller — so by the time any write has finished, the
 * caches have dropped what it changed, whoever wrote it and however (a cascade from a
 * removed user included). The triggers are in migrations 0013 and 0014 (jobs: only rows
 * of ended jobs, the only ones kept, since 0021); they notify only in a
 * session that set `hive.change_feed`, which only this one does — on PostgreSQL, whose
 * notifications reach other queens later and could be missed while a listener
 * reconnects, nobody sets it and the queen reads through FreshReads instead.
 */
import type { PGlite } from '@electric-sql/pglite';

/** What the feed tells of, each on the channel its triggers notify (migrations 0013, 0014). */
const CHANNELS = { auth: 'hive_auth_changed', job: 'hive_job_changed', project: 'hive_project_changed' } as const;
export type ChangedRows = keyof typeof CHANNELS;

export interface ChangeFeed {
  /**
   * Calls `listener` after every committed change to the rows: with the row's id (jobs,
   * projects), or '' when any row may have changed (auth: users, API and drone tokens,
   * sessions — and a TRUNCATE).
   */
  on(rows: ChangedRows, listener: (id: string) => void): void;
}

export async function openPgliteChangeFeed(client: PGlite): Promise<ChangeFeed> {
  const listeners = new Map<ChangedRows, ((id: string) => void)[]>();
  for (const [rows, channel] of Object.entries(CHANNELS) as [ChangedRows, string][]) {
    listeners.set(rows, []);
    await client.listen(channel, (id) => {
      for (const listener of listeners.get(rows)!) listener(id);
    });
  }
  // Last: a change is announced only once someone listens.
  await client.exec(`set hive.change_feed = 'on'`);
  return { on: (rows, listener) => void listeners.get(rows)!.push(listener) };
}
