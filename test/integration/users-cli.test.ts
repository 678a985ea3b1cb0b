/**
 * `hive users` on the queen's machine, as a real process on the queen's configured database
 * (the embedded one in HIVE_DATA_DIR, or PostgreSQL with TEST_DATABASE_URL): it lists users
 * and resets a forgotten password from stdin or to a generated one, ends that user's
 * sessions, refuses bad input without changing anything, and never opens an embedded
 * database a queen has open.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { ensureAdminUser } from '../../server/auth/admin-user.ts';
import { verifyPassword } from '../../server/auth/passwords.ts';
import { createSession, loadSession } from '../../server/auth/sessions.ts';
import { openDatabase, type Db } from '../../server/db/client.ts';
import { findUserByUsername } from '../../server/db/users.ts';
import { createTestDatabase, seedEmbeddedDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { runHive } from '../helpers/cli-process.ts';

let dataDir: string;
let postgresDb: TestDatabase | undefined;
let env: Record<string, string>;

/** Runs `body` on the CLI's database; the embedded one is opened only for it, never while the CLI runs. */
async function withDb<T>(body: (db: Db) => Promise<T>): Promise<T> {
  if (postgresDb) return body(postgresDb.db);
  const database = await openDatabase({ dataDir: join(dataDir, 'db') });
  try {
    return await body(database.db);
  } finally {
    await database.close();
  }
}

const cli = (args: string[], stdin = '', extraEnv: Record<string, string> = {}) => runHive(['users', ...args], { env: { ...env, ...extraEnv }, stdin });

const adminPasswordIs = (password: string) => withDb(async (db) => verifyPassword(password, (await findUserByUsername(db, 'admin'))!.passwordHash));

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hive-users-cli-'));
  env = { HIVE_DATA_DIR: dataDir };
  if (process.env.TEST_DATABASE_URL) {
    postgresDb = await createTestDatabase();
    env.DATABASE_URL = postgresDb.url!;
  } else {
    await seedEmbeddedDatabase(join(dataDir, 'db')); // migrated, without an initdb of its own
  }
  await withDb((db) => ensureAdminUser(db, 'forgotten-password-1'));
});
after(async () => {
  await postgresDb?.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('lists the users with their role', async () => {
  const res = await cli(['list']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'admin  (admin)\n');
});

it('resets a password read from stdin, ending the user\'s sessions, without printing it', async () => {
  const session = await withDb(async (db) => createSession(db, (await findUserByUsername(db, 'admin'))!.id));
  const res = await cli(['reset-password', 'admin', '--password-stdin'], 'remembered-password-2\n');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, '');
  assert.ok(!res.stderr.includes('remembered-password-2'));
  assert.match(res.stderr, /Password of admin reset; their sessions were logged out/);
  assert.ok(await adminPasswordIs('remembered-password-2'));
  assert.equal(await withDb((db) => loadSession(db, session.cookieValue)), undefined);
});

it('prints a generated password once when none is given', async () => {
  const res = await cli(['reset-password', 'admin']);
  assert.equal(res.code, 0, res.stderr);
  const generated = /^New password of admin \(shown once\): (\S{16,})\n$/.exec(res.stdout)?.[1];
  assert.ok(generated, res.stdout);
  assert.ok(await adminPasswordIs(generated));
  // Put a known one back for the refusals below.
  assert.equal((await cli(['reset-password', 'admin', '--password-stdin'], 'known-password-3')).code, 0);
});

it('refuses a bad password, an unknown user and bad usage, changing nothing', async () => {
  const short = await cli(['reset-password', 'admin', '--password-stdin'], 'short\n');
  assert.equal(short.code, 1);
  assert.match(short.stderr, /at least 8 characters; nothing changed/);
  const unknown = await cli(['reset-password', 'nobody', '--password-stdin'], 'long-enough-4\n');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no user named "nobody"/);
  const usage = await cli(['reset-password']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs one username\nusage:/);
  assert.equal((await cli(['delete-everyone'])).code, 2);
  assert.ok(await adminPasswordIs('known-password-3'));
});

it('refuses to open an embedded database that a queen has open, or one that does not exist', { skip: !!process.env.TEST_DATABASE_URL && 'PostgreSQL serves many clients' }, async () => {
  const open = await openDatabase({ dataDir: join(dataDir, 'db') });
  try {
    const res = await cli(['reset-password', 'admin', '--password-stdin'], 'while-open-5\n');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /is open \(a queen runs on it.*Stop the queen first/s);
  } finally {
    await open.close();
  }
  assert.ok(await adminPasswordIs('known-password-3'));
  const missing = await cli(['list'], '', { HIVE_DATA_DIR: join(dataDir, 'elsewhere') });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no database in .*elsewhere\/db; set HIVE_DATA_DIR/);
});
