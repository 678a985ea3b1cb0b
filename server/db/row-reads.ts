/**
 * How the queen shares reads of rows that every request needs (its credential; the job
 * row of a log read): kept in memory and dropped on the database's word where it has a
 * change feed (the embedded database, change-feed.ts), otherwise shared only between
 * callers that arrive together (FreshReads) — either way never older than the request.
 */
import { FreshReads, type SharedReads } from '../util/fresh-reads.ts';
import { InvalidatedReads, type InvalidatedReadsOptions } from '../util/invalidated-reads.ts';
import type { ChangeFeed } from './change-feed.ts';

/** Values kept per cache: a credential or job row is a few hundred bytes. */
const MAX_ENTRIES = 10_000;

/** Reads of users, tokens and sessions (any change to them drops every kept value). */
export function authRowReads<V>(changes: ChangeFeed | undefined, validUntil?: InvalidatedReadsOptions<V>['validUntil']): SharedReads<V> {
  if (!changes) return new FreshReads<V>();
  const reads = new InvalidatedReads<V>({ maxEntries: MAX_ENTRIES, validUntil });
  changes.onAuthChanged(() => reads.invalidateAll());
  return reads;
}

/** Reads of one job's row, keyed by the job's id. */
export function jobRowReads<V>(changes: ChangeFeed | undefined): SharedReads<V> {
  if (!changes) return new FreshReads<V>();
  const reads = new InvalidatedReads<V>({ maxEntries: MAX_ENTRIES });
  changes.onJobChanged((jobId) => (jobId ? reads.invalidate(jobId) : reads.invalidateAll()));
  return reads;
}

/** Reads of one project's row, keyed by the project's id; undefined without a change feed (read each time). */
export function projectRowReads<V>(changes: ChangeFeed | undefined): SharedReads<V> | undefined {
  if (!changes) return undefined;
  const reads = new InvalidatedReads<V>({ maxEntries: MAX_ENTRIES });
  changes.onProjectChanged((projectId) => (projectId ? reads.invalidate(projectId) : reads.invalidateAll()));
  return reads;
}
