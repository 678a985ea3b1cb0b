/**
 * The first user: at a queen's first start (no user at all) an `admin` is created with
 * `HIVE_ADMIN_PASSWORD`, or a generated password that `main.ts` prints once. Later starts
 * change nothing, so a password changed in the UI is not reset by the environment.
 */
import type { Db } from '../db/client.ts';
import { countUsers, insertUser } from '../db/users.ts';
import { generatePassword, hashPassword } from './passwords.ts';

export const ADMIN_USERNAME = 'admin';

/** Returns the generated password when one was made now (to show once), else undefined. */
export async function ensureAdminUser(db: Db, givenPassword: string | undefined): Promise<{ generatedPassword?: string }> {
  if ((await countUsers(db)) > 0) return {};
  const password = givenPassword ?? generatePassword();
  const created = await insertUser(db, { username: ADMIN_USERNAME, passwordHash: await hashPassword(password), isAdmin: true });
  // Another queen sharing the database may have won the race; then nothing was generated here.
  return created && !givenPassword ? { generatedPassword: password } : {};
}
