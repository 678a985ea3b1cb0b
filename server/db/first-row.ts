/**
 * The first row of a query, or undefined: the "find one" shape every query module has,
 * written once (drizzle's builders are thenables of row arrays).
 */
export async function firstRow<T>(query: PromiseLike<T[]>): Promise<T | undefined> {
  const [row] = await query;
  return row;
}
