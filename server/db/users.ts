/** Queries on users (people who log in to the web UI). Password hashes never leave this layer's callers. */
import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { users } from './schema.ts';

export type User = typeof users.$inferSelect;

export async function insertUser(
  db: Db,
  input: { username: string; passwordHash: string; isAdmin: boolean },
): Promise<User | undefined> {
  const [row] = await db.insert(users).values({ id: randomUUID(), ...input }).onConflictDoNothing().returning();
  return row;
}

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.username, username));
  return row;
}

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row.n;
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(asc(users.username));
}

export async function setUserPassword(db: Db, id: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, id));
}

export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}
