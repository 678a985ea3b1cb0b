/**
 * `hive users`: user administration on the queen's own machine, straight on its database
 * (same configuration as the queen: `DATABASE_URL`, or the embedded one in `HIVE_DATA_DIR`).
 * It needs no token and no running queen, so it is the way back in when the last admin's
 * password is forgotten. Exit codes: 0 done, 1 refused (unknown user, bad password,
 * database in use), 2 usage or configuration errors.
 */
import { generatePassword, passwordProblem } from '../../server/auth/passwords.ts';
import { resetUserPassword } from '../../server/auth/user-admin.ts';
import { loadConfig } from '../../server/config.ts';
import { DataDirLockedError } from '../../server/data-dir-lock.ts';
import { DatabaseUnavailableError, openToolDatabase, type ToolDatabase } from '../../server/db/tool-database.ts';
import { findUserByUsername, listUsers } from '../../server/db/users.ts';
import { CliUsageError, parseArgs } from './config.ts';

export interface UsersCliIo {
  write(text: string): void;
  error(text: string): void;
  /** All of standard input (only read for --password-stdin). */
  readStdin(): Promise<string>;
}

/** The password given on stdin: one line, its line ending dropped (`echo pw | hive …` works). */
const passwordFromStdin = (text: string) => text.replace(/\r?\n$/, '');

export async function runUsersCli(argv: string[], env: Record<string, string | undefined>, io: UsersCliIo): Promise<number> {
  const [command, ...rest] = argv;
  const { positional, flags } = parseArgs(rest, { booleans: ['password-stdin'], values: [] });
  if (command !== 'list' && command !== 'reset-password') throw new CliUsageError(`unknown command "users ${command ?? ''}"`);
  if (command === 'reset-password' && positional.length !== 1) throw new CliUsageError('hive users reset-password needs one username');

  const config = loadConfig(env);
  // The new password is checked before the database is opened, so a typo changes nothing.
  const password = command === 'reset-password' ? (flags['password-stdin'] ? passwordFromStdin(await io.readStdin()) : generatePassword()) : '';
  const problem = command === 'reset-password' ? passwordProblem(password) : undefined;
  if (problem) {
    io.error(`hive: ${problem}; nothing changed\n`);
    return 1;
  }
  let database: ToolDatabase;
  try {
    database = await openToolDatabase(config, 'hive users');
  } catch (err) {
    if (!(err instanceof DataDirLockedError || err instanceof DatabaseUnavailableError)) throw err;
    io.error(`hive: ${err.message}\n`);
    return 1;
  }
  try {
    if (command === 'list') {
      for (const u of await listUsers(database.db)) io.write(`${u.username}${u.isAdmin ? '  (admin)' : ''}\n`);
      return 0;
    }
    const user = await findUserByUsername(database.db, positional[0]);
    if (!user) {
      io.error(`hive: no user named "${positional[0]}" (hive users list shows them)\n`);
      return 1;
    }
    await resetUserPassword(database.db, user.id, password);
    if (!flags['password-stdin']) io.write(`New password of ${user.username} (shown once): ${password}\n`);
    io.error(`Password of ${user.username} reset; their sessions were logged out.\n`);
    return 0;
  } finally {
    await database.close();
  }
}
