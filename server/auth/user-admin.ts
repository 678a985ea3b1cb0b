/**
 * Managing users, shared by the REST API, the Users page and `hive users`: create, reset a
 * password, make or unmake an admin, delete. The guard rails live here so that every way
 * in keeps them: there is always an admin, a reset password ends the user's sessions, a
 * deleted user's sessions and tokens stop working at once. Callers check who may call.
 */
import type { Db } from '../db/client.ts';
import { deleteUserSessions } from '../db/sessions.ts';
import {
  demoteOrDeleteUnlessLastAdmin, findUser, insertUser, setUserAdmin, setUserPassword, type GuardedChange, type User,
} from '../db/users.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { usernameProblem } from './user-rules.ts';

/** How a user is shown by the API and pages: never the password hash. */
export function userView(u: User) {
  return { id: u.id, username: u.username, isAdmin: u.isAdmin, createdAt: u.createdAt.toISOString() };
}
export type UserView = ReturnType<typeof userView>;

export async function createUser(db: Db, input: { username: string; password: string; isAdmin: boolean }): Promise<User> {
  const problem = usernameProblem(input.username) ?? passwordProblem(input.password);
  if (problem) throw new ValidationError(problem);
  const created = await insertUser(db, { username: input.username, passwordHash: await hashPassword(input.password), isAdmin: input.isAdmin });
  if (!created) throw new ConflictError(`A user named "${input.username}" already exists`);
  return created;
}

/**
 * Sets a new password and ends the user's sessions — all of them, or all but `keepSessionIdHash`
 * (an admin resetting their own password stays logged in where they did it). API tokens stay:
 * they are separate credentials the user revokes on the Account page.
 */
export async function resetUserPassword(db: Db, id: string, password: string, keepSessionIdHash?: string): Promise<User> {
  const problem = passwordProblem(password);
  if (problem) throw new ValidationError(problem);
  const user = await findUser(db, id);
  if (!user) throw new NotFoundError(`User ${id} does not exist`);
  await setUserPassword(db, id, await hashPassword(password));
  await deleteUserSessions(db, id, keepSessionIdHash);
  return user;
}

function guarded(outcome: GuardedChange, id: string, lastAdmin: string): User {
  if ('done' in outcome) return outcome.done;
  if (outcome.refused === 'not_found') throw new NotFoundError(`User ${id} does not exist`);
  throw new ConflictError(lastAdmin);
}

export async function setUserRole(db: Db, id: string, isAdmin: boolean): Promise<User> {
  if (isAdmin) {
    const user = await setUserAdmin(db, id, true);
    if (!user) throw new NotFoundError(`User ${id} does not exist`);
    return user;
  }
  const outcome = await demoteOrDeleteUnlessLastAdmin(db, id, 'demote');
  return guarded(outcome, id, 'This is the last admin; make another user an admin first');
}

/**
 * Deletes a user with their sessions and personal API tokens. Nobody deletes themselves
 * here (`actingUserId`): an admin who clicks the wrong row should not lock themselves out.
 */
export async function removeUser(db: Db, id: string, actingUserId: string | undefined): Promise<User> {
  if (id === actingUserId) throw new ConflictError('You cannot delete your own account; another admin can');
  const outcome = await demoteOrDeleteUnlessLastAdmin(db, id, 'delete');
  return guarded(outcome, id, 'This is the last admin; make another user an admin before deleting this one');
}
