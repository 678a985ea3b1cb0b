/**
 * A database of its own for one test file: a fresh in-memory PGlite by default, or a
 * freshly created PostgreSQL database when TEST_DATABASE_URL names a server (the URL's
 * role must be allowed to create databases). Dropped again by `close()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../server/db/client.ts';

export interface TestDatabase extends Database {
  /** The PostgreSQL URL of this database, when on PostgreSQL. */
  url?: string;
}

export const testDatabaseKind = () => (process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');

const execFileAsync = promisify(execFile);

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * A fresh PGlite costs ~3 s of initdb and migrations; a copy of a migrated one ~0.7 s. The
 * first test file to need it writes the dump to the temp dir, named by a hash of the
 * migrations and PGlite's version (so a schema change makes a new one); the others load it.
 */
async function openPgliteFromTemplate(): Promise<TestDatabase> {
  const file = await templateFile();
  const saved = await readFile(file).catch(() => undefined);
  if (saved) return openDatabase({ inMemory: true, template: new Blob([saved]) });
  const database = await openDatabase({ inMemory: true });
  const dump = Buffer.from(await (await database.pglite!.dumpDataDir('gzip')).arrayBuffer());
  // Written aside and renamed: files starting at once each write their own, none half-read.
  const partial = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(partial, dump);
  await rename(partial, file);
  return database;
}

/** Where the template of the current migrations and PGlite version is kept. */
async function templateFile(): Promise<string> {
  const hash = createHash('sha256');
  // (PGlite's package.json is not in its exports, so it is read where npm puts it.)
  const pglitePackage = fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url));
  const pgliteVersion = JSON.parse(await readFile(pglitePackage, 'utf8')).version;
  hash.update(pgliteVersion);
  for (const dir of [migrationsDir, join(migrationsDir, 'meta')]) {
    for (const name of (await readdir(dir)).sort()) if (/\.(sql|json)$/.test(name)) hash.update(name).update(await readFile(join(dir, name)));
  }
  return join(tmpdir(), `hive-test-pglite-${hash.digest('hex').slice(0, 16)}.tar.gz`);
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return openPgliteFromTemplate();
  const name = `hive_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 5 });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      await dropDatabase(admin, name);
    },
  };
}

/**
 * Writes a migrated embedded database into `dir` (a queen's `<data dir>/db`) from the same
 * template, for tests that start queen processes: a queen's own first start would run
 * initdb and the migrations, tens of seconds on a busy two-core machine. The template is a
 * tarball of a data directory (PGlite's `dumpDataDir`), so it is unpacked as one: loading
 * it through a PGlite of this process cost ~2 s of CPU more.
 */
export async function seedEmbeddedDatabase(dir: string): Promise<void> {
  const file = await templateFile();
  if (!existsSync(file)) await (await openPgliteFromTemplate()).close(); // writes the template file
  await mkdir(dir, { recursive: true });
  await execFileAsync('tar', ['-xzf', file, '-C', dir]);
  // It was dumped from an open database: its postmaster.pid would say a queen has this one open.
  await rm(join(dir, 'postmaster.pid'), { force: true });
}

/**
 * A new, empty PostgreSQL database (no migrations applied) on TEST_DATABASE_URL's server,
 * for tests of what queens do on a database they find empty (and benches that need one);
 * `drop()` removes it. Undefined without a server (`adminUrl`, default TEST_DATABASE_URL).
 */
export async function createEmptyPostgresDatabase(
  adminUrl = process.env.TEST_DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!adminUrl) return undefined;
  const name = `hive_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => dropDatabase(admin, name),
  };
}

/**
 * Drops a test database and ends the admin connection, whatever happens. A drop can be
 * refused for a moment ("must be a member of the role whose process is being terminated":
 * an autovacuum worker of the server's own role was in the database, which FORCE may not
 * end), so it is tried again for a while; a connection left open would keep the test
 * file's process alive after its last test.
 */
async function dropDatabase(admin: postgres.Sql, name: string): Promise<void> {
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await admin.end();
  }
}
