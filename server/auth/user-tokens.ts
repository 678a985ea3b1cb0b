/**
 * Personal API tokens: each belongs to a user, acts as that user, is shown once at
 * creation and stored as a sha256 hash. Shared by the REST API and the tokens page.
 */
import type { Db } from '../db/client.ts';
import { insertToken, listUserTokens, revokeUserToken, type ApiToken } from '../db/tokens.ts';
import { findUserByUsername } from '../db/users.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { ADMIN_USERNAME } from './admin-user.ts';
import type { SessionUser } from './sessions.ts';
import { generateToken, hashToken } from './tokens.ts';

export const MAX_TOKEN_NAME = 100;

/** How a token is shown: never its hash, never the token itself. */
export function tokenView(t: ApiToken) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return { id: t.id, name: t.name, createdAt: iso(t.createdAt), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) };
}

export async function createUserToken(db: Db, userId: string, rawName: string): Promise<{ token: string; row: ApiToken }> {
  const name = rawName.trim();
  if (!name || name.length > MAX_TOKEN_NAME) throw new ValidationError(`name: needs 1 to ${MAX_TOKEN_NAME} characters`);
  const token = generateToken('hive');
  const row = await insertToken(db, { name, kind: 'user', tokenHash: hashToken(token), userId });
  return { token, row };
}

export const listTokensOf = (db: Db, userId: string) => listUserTokens(db, userId);

export async function revokeTokenOf(db: Db, userId: string, tokenId: string): Promise<ApiToken> {
  const row = await revokeUserToken(db, tokenId, userId);
  if (!row) throw new NotFoundError(`Token ${tokenId} does not exist or is already revoked`);
  return row;
}

/**
 * The user whose tokens a request manages: the session's or the personal token's owner;
 * the bootstrap admin token (which belongs to nobody) manages the `admin` user's tokens.
 */
export async function tokenOwner(db: Db, user: SessionUser | undefined, actor: string): Promise<string> {
  if (user) return user.id;
  const admin = actor === ADMIN_USERNAME ? await findUserByUsername(db, ADMIN_USERNAME) : undefined;
  if (!admin) throw new ValidationError('This token belongs to no user; log in or use a personal token');
  return admin.id;
}
