/** Queries on users (people who log in to the web UI). Password hashes never leave this layer's callers. */
import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { preparedQuery } from './prepared-query.ts';
import { firstRow } from './first-row.ts';
import { users } from './schema.ts';

export type User = typeof users.$inferSelect;

export async function insertUser(
  db: Db,
  input: { username: string; passwordHash: string; isAdmin: boolean },
): Promise<User | undefined> {
  return firstRow(db.insert(users).values({ id: randomUUID(), ...input }).onConflictDoNothing().returning());
}

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return firstRow(db.select().from(users).where(eq(users.username, username)));
}

const userQuery = preparedQuery((db) => db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare('find_user'));

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  return firstRow(userQuery(db).execute({ id }));
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

export async function setUserAdmin(db: Db, id: string, isAdmin: boolean): Promise<User | undefined> {
  return firstRow(db.update(users).set({ isAdmin }).where(eq(users.id, id)).returning());
}

/** What a change guarded by the last-admin rule did: the user as changed (or as deleted), or why nothing. */
export type GuardedChange = { done: User } | { refused: 'not_found' | 'last_admin' };

/**
 * Demotes or deletes a user unless that leaves no admin. Every admin row is locked first
 * (FOR UPDATE), so two admins demoting each other at the same moment cannot both pass the
 * check: the second waits for the first, then sees one admin left. Deleting a user also
 * deletes their sessions and personal API tokens (foreign keys cascade), in this statement.
 */
export async function demoteOrDeleteUnlessLastAdmin(db: Db, id: string, change: 'demote' | 'delete'): Promise<GuardedChange> {
  return db.transaction(async (tx) => {
    const admins = await tx.select({ id: users.id }).from(users).where(eq(users.isAdmin, true)).for('update');
    const [target] = await tx.select().from(users).where(eq(users.id, id)).for('update');
    if (!target) return { refused: 'not_found' };
    if (target.isAdmin && admins.length <= 1) return { refused: 'last_admin' };
    if (change === 'delete') {
      await tx.delete(users).where(eq(users.id, id));
      return { done: target };
    }
    const [row] = await tx.update(users).set({ isAdmin: false }).where(eq(users.id, id)).returning();
    return { done: row };
  });
}
