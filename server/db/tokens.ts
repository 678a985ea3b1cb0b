/** Queries on API and drone tokens (stored as sha256 hashes only). */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { preparedQuery } from './prepared-query.ts';
import { apiTokens } from './schema.ts';

export type ApiToken = typeof apiTokens.$inferSelect;
export type TokenKind = ApiToken['kind'];

export async function insertToken(
  db: Db,
  input: { name: string; kind: TokenKind; tokenHash: string; userId?: string; droneName?: string },
): Promise<ApiToken> {
  const [row] = await db.insert(apiTokens).values({ id: randomUUID(), ...input }).onConflictDoNothing().returning();
  return row;
}

const activeTokenQuery = preparedQuery((db) => db
  .select()
  .from(apiTokens)
  .where(and(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')), isNull(apiTokens.revokedAt)))
  .prepare('find_active_token'));

export async function findActiveToken(db: Db, tokenHash: string): Promise<ApiToken | undefined> {
  const [row] = await activeTokenQuery(db).execute({ tokenHash });
  return row;
}

export async function countTokens(db: Db, kind: TokenKind): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(and(eq(apiTokens.kind, kind), isNull(apiTokens.revokedAt)));
  return row.n;
}

export async function touchToken(db: Db, id: string): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}

/** A user's personal tokens, newest first, revoked ones included (so the page can show them). */
export async function listUserTokens(db: Db, userId: string): Promise<ApiToken[]> {
  return db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
}

/** Revokes one of a user's tokens; the revoked row, or undefined when it is not theirs or already revoked. */
export async function revokeUserToken(db: Db, id: string, userId: string): Promise<ApiToken | undefined> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning();
  return row;
}

/** Every drone credential — drones' own and shared ones — newest first, revoked ones included. */
export async function listDroneTokens(db: Db): Promise<ApiToken[]> {
  return db.select().from(apiTokens).where(eq(apiTokens.kind, 'drone')).orderBy(desc(apiTokens.createdAt));
}

/** The live credential a drone name has of its own, if any. */
export async function findDroneOwnToken(db: Db, droneName: string): Promise<ApiToken | undefined> {
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.kind, 'drone'), eq(apiTokens.droneName, droneName), isNull(apiTokens.revokedAt)));
  return row;
}

export async function revokeDroneToken(db: Db, id: string): Promise<ApiToken | undefined> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.kind, 'drone'), isNull(apiTokens.revokedAt)))
    .returning();
  return row;
}

/**
 * The names bootstrap tokens carry. A shared drone token made with `--shared` has no user
 * and no drone either, so the name is what tells a bootstrap token from it (the API refuses
 * these names for shared tokens).
 */
export const bootstrapTokenName = (kind: TokenKind, origin: 'from environment' | 'generated' | 'rotated') => `${kind} (${origin})`;
const bootstrapNames = (kind: TokenKind) => (['from environment', 'generated', 'rotated'] as const).map((o) => bootstrapTokenName(kind, o));
export const isBootstrapTokenName = (name: string) => bootstrapNames('admin').includes(name) || bootstrapNames('drone').includes(name);

const bootstrapOf = (kind: TokenKind) =>
  and(eq(apiTokens.kind, kind), isNull(apiTokens.userId), isNull(apiTokens.droneName), inArray(apiTokens.name, bootstrapNames(kind)));

/**
 * Revokes the live bootstrap tokens of a kind other than the one with `keepHash`: a token
 * given in the environment replaces the earlier ones.
 */
export async function revokeOtherBootstrapTokens(db: Db, kind: TokenKind, keepHash: string): Promise<ApiToken[]> {
  return db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(bootstrapOf(kind), isNull(apiTokens.revokedAt), ne(apiTokens.tokenHash, keepHash)))
    .returning();
}

/** The bootstrap admin and drone tokens, revoked ones included, newest first. */
export async function listBootstrapTokens(db: Db): Promise<ApiToken[]> {
  return db.select().from(apiTokens).where(or(bootstrapOf('admin'), bootstrapOf('drone'))).orderBy(desc(apiTokens.createdAt));
}

/**
 * Stores a new bootstrap token of a kind and revokes the live ones before it, in one
 * transaction: there is never a moment with two live ones, nor with none.
 */
export async function rotateBootstrapToken(db: Db, kind: TokenKind, tokenHash: string): Promise<{ row: ApiToken; revoked: ApiToken[] }> {
  return db.transaction(async (tx) => {
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(bootstrapOf(kind), isNull(apiTokens.revokedAt)))
      .returning();
    const [row] = await tx.insert(apiTokens).values({ id: randomUUID(), name: bootstrapTokenName(kind, 'rotated'), kind, tokenHash }).returning();
    return { row, revoked };
  });
}

/** Which of these tokens are not revoked: one statement however many. */
export async function activeTokenIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select({ id: apiTokens.id }).from(apiTokens).where(and(inArray(apiTokens.id, ids), isNull(apiTokens.revokedAt)));
  return new Set(rows.map((r) => r.id));
}
