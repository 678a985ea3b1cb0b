/**
 * What SQL run outside drizzle's builders needs on both drivers (the transfer's,
 * migration-level.ts's, tests'): the rows of a raw `db.execute()` (the `postgres` driver
 * answers an array of rows, PGlite an object with `rows`), and table and column names
 * quoted as identifiers.
 */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
