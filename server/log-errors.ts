/**
 * How errors appear in the queen's log. drizzle wraps every failed query in an error whose
 * message holds the query's parameters — a job's output, password hashes, session ids —
 * and pino writes an error's causes into its message. So before an error is serialized,
 * every such wrapper in its chain is replaced by one that names the query only; the
 * database's own error (its cause) stays, which is what says what went wrong.
 */
import { DrizzleQueryError } from 'drizzle-orm';
import { pino } from 'pino';

const MAX_QUERY_CHARS = 300;

/** The error with every query wrapper in its cause chain stripped of its parameters. */
export function withoutQueryParams(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 10) return err;
  const cause = withoutQueryParams(err.cause, depth + 1);
  if (err instanceof DrizzleQueryError) {
    const query = err.query.length > MAX_QUERY_CHARS ? `${err.query.slice(0, MAX_QUERY_CHARS)}…` : err.query;
    const plain = new Error(`Failed query: ${query}`, { cause });
    plain.name = 'DrizzleQueryError';
    // Its stack without the message it starts with, which holds the parameters too.
    const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
    plain.stack = [`${plain.name}: ${plain.message}`, ...frames].join('\n');
    return plain;
  }
  if (cause === err.cause) return err;
  // A copy: the error itself may still be handled elsewhere.
  const copy = Object.create(Object.getPrototypeOf(err)) as Error;
  Object.assign(copy, err, { message: err.message, stack: err.stack, cause });
  return copy;
}

/** pino's error serializer, after `withoutQueryParams`. */
export function serializeError(err: unknown): unknown {
  const clean = withoutQueryParams(err);
  return clean instanceof Error ? pino.stdSerializers.err(clean) : clean;
}
