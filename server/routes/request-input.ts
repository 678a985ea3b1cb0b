/** Reading API input: a JSON body checked against a schema, and ids from the path. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { uuid } from './api-schemas.ts';

/** The body parsed and validated; 400 naming the field (or saying it is not JSON) otherwise. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (cause) {
    throw new ValidationError('Request body is not valid JSON', { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(describeZodError(parsed.error), { cause: parsed.error });
  return parsed.data;
}

/** A path id; anything that is not a UUID cannot exist, so it is a 404 like an unknown one. */
export function idParam(c: Context, what: string, name = 'id'): string {
  const id = c.req.param(name) ?? '';
  if (!uuid.safeParse(id).success) throw new NotFoundError(`${what} ${id.slice(0, 100)} does not exist`);
  return id;
}
