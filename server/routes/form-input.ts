/**
 * Reading a page's form post. A field with NUL or a lone surrogate could reach no column,
 * so it is refused here (400 naming the field) instead of failing in the database.
 */
import type { Context } from 'hono';
import { ValidationError } from '../errors.ts';
import { badCharacter } from '../util/bad-chars.ts';

export async function formBody(c: Context): Promise<Record<string, string | File | (string | File)[]>> {
  const body = await c.req.parseBody();
  for (const [name, value] of Object.entries(body)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const problem = typeof v === 'string' ? badCharacter(v) : undefined;
      if (problem) throw new ValidationError(`The field "${name.slice(0, 100)}" ${problem}.`);
    }
  }
  return body;
}
