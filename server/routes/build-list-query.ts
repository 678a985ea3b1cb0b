/**
 * The filter of a project's build list as the query string gives it (`?branch=…&status=…`
 * and paging). Read by the project page, and by the build-row fragment that the live page
 * asks for to learn whether a changed build still belongs in the filtered list.
 */
import { z } from 'zod';
import { STATUS_FILTERS } from '../db/build-lists.ts';

const listQuery = z.object({
  branch: z.string().trim().max(255).optional().transform((b) => b || undefined),
  status: z.union([z.enum(STATUS_FILTERS), z.literal('')]).optional().transform((s) => s || undefined),
  before: z.coerce.number().int().min(1).optional(),
  after: z.coerce.number().int().min(0).optional(),
});

export type ListQuery = z.infer<typeof listQuery>;

/** The list filter from a query string; bad values are ignored rather than refused. */
export function parseListQuery(query: Record<string, string>): ListQuery {
  const parsed = listQuery.safeParse(query);
  return parsed.success ? parsed.data : { branch: undefined, status: undefined, before: undefined, after: undefined };
}
