/**
 * The embedded database's data directory: created on first use by a child process (initdb
 * and migrations, then renamed into place), opened by the queen ever after; and what a
 * user sees when the directory cannot hold a database — one line naming it, exit 1, no
 * stack trace.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../server/db/client.ts';
import { createEmbeddedDatabase } from '../../server/db/embedded-database-create.ts';
import { EmbeddedDatabaseError } from '../../server/db/embedded-database-error.ts';
import { freePort } from '../helpers/free-port.ts';
import { hiveCommandArgs } from '../helpers/built-hive.ts';

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'hive-embedded-db-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a fresh data directory', () => {
  it('is created in a child process, migrated, and then opened with Hive’s engine settings', async () => {
    const dataDir = join(root, 'fresh', 'nested', 'db');
    const database = await openDatabase({ dataDir });
    try {
      assert.ok(existsSync(join(dataDir, 'PG_VERSION')));
      const { rows } = await database.pglite!.query<{ n: number }>('select count(*)::int as n from users');
      assert.equal(rows[0].n, 0, 'the migrations ran: the users table is there');
      const settings = await database.pglite!.query<{ shared_buffers: string }>('show shared_buffers');
      assert.equal(settings.rows[0].shared_buffers, '16MB');
    } finally {
      await database.close();
    }
    assert.deepEqual(await readdir(join(root, 'fresh', 'nested')), ['db'], 'nothing of the creation is left beside it');
    assert.equal(await createEmbeddedDatabase(dataDir), false, 'an existing database is opened, not made again');
  });

  it('refuses a directory in the way that holds no database, and leaves it alone', async () => {
    const dataDir = join(root, 'occupied');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'notes.txt'), 'mine\n');
    await assert.rejects(openDatabase({ dataDir }), (err: Error) => {
      assert.ok(err instanceof EmbeddedDatabaseError);
      assert.match(err.message, new RegExp(`could not be created in ${dataDir}: the directory is not empty but holds no database`));
      return true;
    });
    assert.deepEqual(await readdir(dataDir), ['notes.txt']);
  });

  it('says where when a file stands where its directory should be', async () => {
    await writeFile(join(root, 'a-file'), '');
    await assert.rejects(openDatabase({ dataDir: join(root, 'a-file', 'db') }), (err: Error) => {
      assert.ok(err instanceof EmbeddedDatabaseError);
      assert.match(err.message, /could not be created in .*a-file\/db: .*set HIVE_DATA_DIR/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });
});

describe('hive start on a broken data directory', () => {
  /** `hive start` until it exits (it must not start). */
  async function startFails(dataDir: string, port: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    // Marks every process of this start (children inherit the environment), to find any left behind.
    const mark = `hive-start-${randomUUID()}`;
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [...hiveCommandArgs, 'start'], {
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HIVE_DATA_DIR: dataDir, HIVE_PORT: String(port), HIVE_HOST: '127.0.0.1', HIVE_TEST_MARK: mark },
        timeout: 120_000,
      }, (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stdout, stderr }));
    });
    assert.deepEqual(await processesMarked(mark), [], 'a failed start leaves no process behind (the git host included)');
    return result;
  }

  /** The command lines of live processes whose environment holds `mark`. */
  async function processesMarked(mark: string): Promise<string[]> {
    const found: string[] = [];
    for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
      try {
        if ((await readFile(`/proc/${pid}/environ`, 'latin1')).includes(`HIVE_TEST_MARK=${mark}`)) {
          found.push((await readFile(`/proc/${pid}/cmdline`, 'latin1')).replaceAll('\0', ' '));
        }
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return found;
  }

  it('prints one line and exits 1 when the embedded database cannot be opened', async () => {
    const dataDir = join(root, 'broken');
    await mkdir(join(dataDir, 'db'), { recursive: true });
    // A data directory that claims to be a database and is not one (a bad copy, a disk that lost it).
    await writeFile(join(dataDir, 'db', 'PG_VERSION'), '17\n');
    const { code, stderr } = await startFails(dataDir, await freePort());
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`^hive: The embedded database in ${join(dataDir, 'db')} could not be opened \\(.+\\); restore it from a backup, or move it away to start with a new one\\n$`));
  });

  it('prints one line and exits 1 when the embedded database cannot be created', async () => {
    const dataDir = join(root, 'in-the-way');
    await mkdir(join(dataDir, 'db'), { recursive: true });
    await writeFile(join(dataDir, 'db', 'something'), 'not a database\n');
    const { code, stderr } = await startFails(dataDir, await freePort());
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^hive: The embedded database could not be created in \S+: the directory is not empty but holds no database \(no PG_VERSION\); move it away or set HIVE_DATA_DIR\n$/);
  });
});
