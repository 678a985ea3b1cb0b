/**
 * How the queen shares reads of rows it reads again and again (a request's credential, a
 * log's job row, a job's project): kept in memory and dropped on the database's word where
 * it has a change feed (the embedded database, change-feed.ts), otherwise shared only
 * between callers that arrive together (FreshReads) — either way never older than the
 * request.
 */
import { FreshReads, type SharedReads } from '../util/fresh-reads.ts';
import { InvalidatedReads, type InvalidatedReadsOptions } from '../util/invalidated-reads.ts';
import type { ChangedRows, ChangeFeed } from './change-feed.ts';

/** Values kept per cache: a credential or a row is a few hundred bytes to a few KiB. */
const MAX_ENTRIES = 10_000;

/**
 * Shared reads of `rows`, keyed by the row's id (any key for auth, whose every change
 * drops every kept value): kept when there is a change feed, FreshReads otherwise.
 * `keeps`: the values that may be kept — for rows whose feed announces only some changes
 * (jobs: those of ended jobs, migration 0021), the values those changes are about.
 */
export function rowReads<V>(
  changes: ChangeFeed | undefined,
  rows: ChangedRows,
  options: Pick<InvalidatedReadsOptions<V>, 'validUntil' | 'keeps'> = {},
): SharedReads<V> {
  if (!changes) return new FreshReads<V>();
  const reads = new InvalidatedReads<V>({ maxEntries: MAX_ENTRIES, ...options });
  changes.on(rows, (id) => (id ? reads.invalidate(id) : reads.invalidateAll()));
  return reads;
}
