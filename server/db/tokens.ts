/** Queries on API and drone tokens (stored as sha256 hashes only). */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { apiTokens } from './schema.ts';

export type ApiToken = typeof apiTokens.$inferSelect;
export type TokenKind = ApiToken['kind'];

export async function insertToken(db: Db, input: { name: string; kind: TokenKind; tokenHash: string }): Promise<ApiToken> {
  const [row] = await db.insert(apiTokens).values({ id: randomUUID(), ...input }).onConflictDoNothing().returning();
  return row;
}

export async function findActiveToken(db: Db, tokenHash: string): Promise<ApiToken | undefined> {
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
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
