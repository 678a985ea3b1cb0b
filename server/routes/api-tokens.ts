/**
 * `/api/tokens`: the caller's personal API tokens. `POST {name}` answers the token once
 * (201 `{id, name, token, createdAt}`); `GET` lists them without the secret; `DELETE /:id`
 * revokes one (204).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_TOKEN_NAME, createUserToken, listTokensOf, revokeTokenOf, tokenOwner, tokenView } from '../auth/user-tokens.ts';
import type { Db } from '../db/client.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { uuid } from './api-schemas.ts';
import type { AuthVariables } from './auth-middleware.ts';

const createTokenBody = z.strictObject({ name: z.string().trim().min(1).max(MAX_TOKEN_NAME) });

export function tokenRoutes(db: Db) {
  const api = new Hono<{ Variables: AuthVariables }>();
  const owner = (c: { get(k: 'user'): AuthVariables['user']; get(k: 'actor'): string }) => tokenOwner(db, c.get('user'), c.get('actor'));

  api.get('/', async (c) => c.json({ tokens: (await listTokensOf(db, await owner(c))).map(tokenView) }));

  api.post('/', async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (cause) {
      throw new ValidationError('Request body is not valid JSON', { cause });
    }
    const body = createTokenBody.safeParse(raw);
    if (!body.success) throw new ValidationError(describeZodError(body.error), { cause: body.error });
    const { token, row } = await createUserToken(db, await owner(c), body.data.name);
    return c.json({ ...tokenView(row), token }, 201);
  });

  api.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!uuid.safeParse(id).success) throw new NotFoundError(`Token ${id.slice(0, 100)} does not exist`);
    await revokeTokenOf(db, await owner(c), id);
    return c.body(null, 204);
  });

  return api;
}
