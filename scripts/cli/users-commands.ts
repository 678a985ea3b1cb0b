/**
 * `hive users`: user administration on the queen's own machine, straight on its database
 * (same configuration as the queen: `DATABASE_URL`, or the embedded one in `HIVE_DATA_DIR`).
 * It needs no token and no running queen, so it is the way back in when the last admin's
 * password is forgotten. Exit codes: 0 done, 1 refused (unknown user, bad password,
 * database in use), 2 usage or configuration errors.
 */
import { existsSync } from 'node:fs';
import { generatePassword, passwordProblem } from '../../server/auth/passwords.ts';
import { resetUserPassword } from '../../server/auth/user-admin.ts';
import { loadConfig, type QueenConfig } from '../../server/config.ts';
import { DataDirLockedError, lockDataDir, type DataDirLock } from '../../server/data-dir-lock.ts';
import { openDatabase } from '../../server/db/client.ts';
import { configuredDatabase, embeddedDatabaseDir, embeddedDatabaseInUse } from '../../server/db/configured-database.ts';
import { findUserByUsername, listUsers } from '../../server/db/users.ts';
import { CliUsageError, parseArgs } from './config.ts';

export const USERS_USAGE = `usage:
  hive users list
  hive users reset-password <username> [--password-stdin]
Runs where the queen runs, with its configuration (DATABASE_URL, or HIVE_DATA_DIR for the
embedded database, which the queen must not have open). reset-password prints a generated
password once, or takes the new one from standard input with --password-stdin; either way
the user's sessions end.`;

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
  if (!config.databaseUrl && !existsSync(embeddedDatabaseDir(config))) {
    // Opening it would create an empty database: say where we looked instead.
    io.error(`hive: no database in ${embeddedDatabaseDir(config)}; set HIVE_DATA_DIR (or DATABASE_URL) as the queen has it\n`);
    return 1;
  }
  // On the embedded database, take the data directory as a queen would: none may start meanwhile.
  let lock: DataDirLock | undefined;
  try {
    lock = config.databaseUrl ? undefined : await lockDataDir(config.dataDir, 'hive users');
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    io.error(`hive: ${err.message}\n`);
    return 1;
  }
  try {
    return await runLocked(command, positional, flags, config, io);
  } finally {
    lock?.release();
  }
}

async function runLocked(
  command: 'list' | 'reset-password',
  positional: string[],
  flags: Record<string, string | boolean>,
  config: QueenConfig,
  io: UsersCliIo,
): Promise<number> {
  if (embeddedDatabaseInUse(config)) {
    io.error(`hive: the embedded database in ${embeddedDatabaseDir(config)} is open (a queen runs on it, or one was killed `
      + 'without stopping). Stop the queen first (Ctrl-C or SIGTERM), then run this again.\n');
    return 1;
  }
  // The new password is checked before the database is opened, so a typo changes nothing.
  const password = command === 'reset-password' ? (flags['password-stdin'] ? passwordFromStdin(await io.readStdin()) : generatePassword()) : '';
  const problem = command === 'reset-password' ? passwordProblem(password) : undefined;
  if (problem) {
    io.error(`hive: ${problem}; nothing changed\n`);
    return 1;
  }

  const database = await openDatabase(configuredDatabase(config));
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
