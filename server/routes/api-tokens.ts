/**
 * `/api/tokens`: the caller's personal API tokens. `POST {name}` answers the token once
 * (201 `{id, name, token, createdAt}`); `GET` lists them without the secret; `DELETE /:id`
 * revokes one (204).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_TOKEN_NAME, createUserToken, listTokensOf, revokeTokenOf, tokenOwner, tokenView } from '../auth/user-tokens.ts';
import type { Db } from '../db/client.ts';
import { idParam, readBody } from './request-input.ts';
import type { AuthVariables } from './auth-middleware.ts';

const createTokenBody = z.strictObject({ name: z.string().trim().min(1).max(MAX_TOKEN_NAME) });

export function tokenRoutes(db: Db) {
  const api = new Hono<{ Variables: AuthVariables }>();
  const owner = (c: { get(k: 'user'): AuthVariables['user']; get(k: 'actor'): string }) => tokenOwner(db, c.get('user'), c.get('actor'));

  api.get('/', async (c) => c.json({ tokens: (await listTokensOf(db, await owner(c))).map(tokenView) }));

  api.post('/', async (c) => {
    const body = await readBody(c, createTokenBody);
    const { token, row } = await createUserToken(db, await owner(c), body.name);
    return c.json({ ...tokenView(row), token }, 201);
  });

  api.delete('/:id', async (c) => {
    const id = idParam(c, 'Token');
    await revokeTokenOf(db, await owner(c), id);
    return c.body(null, 204);
  });

  return api;
}
