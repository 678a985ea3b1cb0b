/**
 * Project rows kept on PostgreSQL. Every job reads its project several times on its way
 * (trigger, resolution, assignment, commit statuses) — on PostgreSQL a transaction each,
 * most of a trivial job's. The rows' triggers announce every change of a project on
 * `hive_project_changed` in every session (migration 0015; taking a job number is not a
 * change), and every queen sharing the database listens, so a queen keeps a project's row
 * until it hears that it changed.
 *
 * What that guarantees is weaker than the embedded database's feed (change-feed.ts), whose
 * queen hears of a change before its writer goes on: a change made by another queen (or
 * in SQL) is seen here once its notification arrives — after the commit, within
 * milliseconds — so a job triggered in between is built from the project as it was a
 * moment before, as if it had arrived a moment earlier. This queen's own changes are seen
 * at once (`updateProject` drops its own kept row). Notifications sent while the listening
 * connection is down are lost: each time it listens again every kept row is dropped, and
 * no row is kept longer than PROJECT_ROW_TTL_MS in any case.
 */
import type postgres from 'postgres';
import type { ChangeFeed } from './change-feed.ts';

const CHANNEL = 'hive_project_changed';

/** The longest a kept project row is used without reading it again, whatever was heard. */
export const PROJECT_ROW_TTL_MS = 30_000;

/**
 * A feed of project changes only (the other rows are not announced on PostgreSQL).
 * `close` stops listening — before the client ends: a channel still listened to when the
 * listening connection closes is listened to again, on a connection the driver opens anew.
 */
export async function openPostgresProjectFeed(client: postgres.Sql): Promise<ChangeFeed & { close(): Promise<void> }> {
  const listeners: ((id: string) => void)[] = [];
  const tell = (id: string) => {
    for (const listener of listeners) listener(id);
  };
  let listening = false;
  const { unlisten } = await client.listen(CHANNEL, tell, () => {
    // Listening again after the connection dropped: what was said meanwhile is lost.
    if (listening) tell('');
    listening = true;
  });
  return {
    on(rows, listener) {
      if (rows !== 'project') throw new Error(`PostgreSQL announces changes of projects only, not of ${rows}`);
      listeners.push(listener);
    },
    close: unlisten,
  };
}
