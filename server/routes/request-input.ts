/** Reading API input: a JSON body checked against a schema, and ids from the path. */
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { badCharacter, describeBadString, findBadString } from '../util/bad-chars.ts';
import { uuid } from './api-schemas.ts';

/**
 * The body parsed and validated; 400 naming the field (or saying it is not JSON) otherwise.
 * A NUL or lone surrogate anywhere in it is a 400 too: no column could store it.
 */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (cause) {
    throw new ValidationError('Request body is not valid JSON', { cause });
  }
  const bad = findBadString(raw);
  if (bad) throw new ValidationError(describeBadString(bad));
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

/** Refuses (400) a query string whose parameters hold NUL or lone surrogates: no column takes them. */
export function cleanQuery(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.url.includes('?')) {
      for (const [name, values] of Object.entries(c.req.queries())) {
        for (const v of [name, ...values]) {
          const problem = badCharacter(v);
          if (problem) throw new ValidationError(`The query parameter "${badCharacter(name) ? '(name)' : name.slice(0, 100)}" ${problem}`);
        }
      }
    }
    return next();
  };
}
