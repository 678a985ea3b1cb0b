/** Queries on browser sessions, keyed by the sha256 of the cookie's random id. */
import { and, eq, gt, lte, ne } from 'drizzle-orm';
import type { Db } from './client.ts';
import { sessions, users } from './schema.ts';
import type { User } from './users.ts';

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(db: Db, row: Omit<SessionRow, 'createdAt'>): Promise<void> {
  await db.insert(sessions).values(row);
}

/** The live (unexpired) session with its user, or undefined. */
export async function findLiveSession(db: Db, idHash: string): Promise<{ session: SessionRow; user: User } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, new Date())));
  return row;
}

export async function extendSession(db: Db, idHash: string, expiresAt: Date): Promise<void> {
  await db.update(sessions).set({ expiresAt }).where(eq(sessions.idHash, idHash));
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, idHash));
}

/** Ends a user's other sessions (after a password change); keeps `keepIdHash` when given. */
export async function deleteUserSessions(db: Db, userId: string, keepIdHash?: string): Promise<void> {
  const where = keepIdHash ? and(eq(sessions.userId, userId), ne(sessions.idHash, keepIdHash)) : eq(sessions.userId, userId);
  await db.delete(sessions).where(where);
}

export async function deleteExpiredSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(lte(sessions.expiresAt, new Date()));
}
