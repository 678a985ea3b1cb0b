/**
 * What the transfer needs to run its own SQL on both drivers: the rows of a raw
 * `db.execute()` (the `postgres` driver answers an array of rows, PGlite an object with
 * `rows`), and table and column names quoted as identifiers.
 */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
