/**
 * A query built once per database and run with new parameters each time — for lookups
 * every API request makes (its credential, a log's job row), where building the SQL
 * through drizzle's query builder costs as much as the lookup itself on PGlite, and for
 * the writes of every job (its insert, its resolution with the claim). Meant for the
 * database handle (`Database.db`); a transaction's handle (a run's inserts) gets a query of
 * its own at its first use — built as often as without this, and run in that transaction.
 */
import type { Db } from './client.ts';

export function preparedQuery<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const built = new WeakMap<Db, Q>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}

/**
 * `preparedQuery` for a family of statements told apart by their arguments (an event
 * write's shape, job-log.ts): each built once per database and `keyOf(args)`, at most
 * `limit` of them kept per database — beyond that, a query is built for its one use.
 */
export function preparedQueries<A, Q>(build: (db: Db, args: A) => Q, keyOf: (args: A) => string, limit: number): (db: Db, args: A) => Q {
  const built = new WeakMap<Db, Map<string, Q>>();
  return (db, args) => {
    let kept = built.get(db);
    if (!kept) built.set(db, (kept = new Map()));
    const key = keyOf(args);
    let query = kept.get(key);
    if (query === undefined) {
      query = build(db, args);
      if (kept.size < limit) kept.set(key, query);
    }
    return query;
  };
}
