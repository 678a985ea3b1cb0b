/**
 * The `hive` command helps whoever types it: `--help` everywhere and `--version` exit 0,
 * misuse exits 2 with the usage, a bad setting or a port in use is one line (what, where,
 * how to fix) with exit 1 — never a stack trace. Run as the real command.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../server/db/client.ts';
import { runHive } from '../helpers/cli-process.ts';
import { seedEmbeddedDatabase, testDatabaseKind } from '../helpers/test-db.ts';

let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hive-cli-usage-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => runHive(args, { env: { HOME: process.env.HOME, HIVE_DATA_DIR: dataDir, ...env } });

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `a stack trace:\n${text}`);

it('prints the usage and the version, exit 0', async () => {
  for (const args of [['--help'], ['-h'], []]) {
    const res = await run(args);
    assert.equal(res.code, 0, `hive ${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stdout, /usage: hive <command>/);
    assert.match(res.stdout, /start .*\n\s+queen .*\n\s+drone/);
  }
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  for (const flag of ['--version', '-v']) {
    const res = await run([flag]);
    assert.equal(res.code, 0);
    assert.equal(res.stdout.trim(), version);
  }
});

it('prints each command\'s usage on --help, exit 0', async () => {
  const expected: Record<string, RegExp> = {
    start: /usage: hive start/, queen: /hive queen/, drone: /usage: hive drone --queen .*\n[\s\S]*--capacity/,
    run: /hive run <project>[\s\S]*--times N[\s\S]*--wait/, runs: /hive runs <run id>/, logs: /hive logs <job id>/, jobs: /hive jobs <project>/, projects: /hive projects/,
    cancel: /hive cancel <job id>/, tokens: /hive tokens list[\s\S]*hive tokens rotate admin\|drone/, users: /hive users reset-password/, db: /hive db export FILE[\s\S]*hive db import FILE/,
  };
  await Promise.all(Object.entries(expected).map(async ([command, usage]) => {
    for (const args of [[command, '--help'], [command, '-h']]) {
      const res = await run(args);
      assert.equal(res.code, 0, `hive ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
      assert.match(res.stdout, usage, `hive ${args.join(' ')}`);
      assert.equal(res.stderr, '');
    }
  }));
});

it('exits 2 with the usage for an unknown command or option', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"\nusage: hive <command>/],
    [['queen', '--frobnicate'], /unknown option "--frobnicate"\nusage: hive start/],
    [['start', '--no-local-dron'], /unknown option "--no-local-dron"\nusage: hive start/],
    [['drone', '--capacty', '2'], /Unknown option --capacty.*\nusage: hive drone/],
    [['run', 'demo', '--brnch', 'x'], /unknown option --brnch\nusage:\n\s+hive run/],
    [['users', 'list', '--all'], /unknown option --all\nusage:\n\s+hive users list/],
    [['db', 'export'], /hive db export needs one FILE\nusage:\n\s+hive db export FILE/],
    [['db', 'dump', 'x'], /unknown command "db dump"\nusage:/],
  ];
  await Promise.all(cases.map(async ([args, message]) => {
    const res = await run(args, { HIVE_TOKEN: 'unused-token-for-usage' });
    assert.equal(res.code, 2, `hive ${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
    noStackTrace(res.stderr);
  }));
});

it('says in one line what setting is wrong, exit 1', async () => {
  const queen = await run(['queen'], { HIVE_PORT: 'eighty' });
  assert.equal(queen.code, 1);
  assert.equal(queen.stderr, 'hive: Expected HIVE_PORT to be an integer between 0 and 65535, got "eighty"\n');
  const file = join(dataDir, 'a-file');
  await writeFile(file, '');
  const unusable = await run(['queen'], { HIVE_DATA_DIR: join(file, 'data') });
  assert.equal(unusable.code, 1);
  assert.equal(unusable.stderr, `hive: Cannot use the data directory ${join(file, 'data')} (ENOTDIR); set HIVE_DATA_DIR to a directory this user can write\n`);
  const drone = await run(['drone', '--token', 'x'.repeat(20)]);
  assert.equal(drone.code, 1);
  assert.match(drone.stderr, /^hive drone: Expected the queen URL: pass --queen ws:\/\/host:8080 \(repeated for several queens\) or set HIVE_QUEEN_URL\n$/);
  const badUrl = await run(['drone', '--queen', 'ftp://x', '--token', 'x'.repeat(20)]);
  assert.equal(badUrl.code, 1);
  assert.match(badUrl.stderr, /^hive drone: Expected --queen to be a ws:\/\/ or wss:\/\/ URL, got "ftp:\/\/x"\n$/);
});

it('refuses to start a queen or a drone on a git older than it needs, or without git, exit 1', async () => {
  const fakeBin = join(dataDir, 'old-git-bin');
  await mkdir(fakeBin, { recursive: true });
  await writeFile(join(fakeBin, 'git'), '#!/bin/sh\necho "git version 2.25.1"\n', { mode: 0o755 });
  const oldGit = { PATH: `${fakeBin}:${process.env.PATH}` };
  const queen = await run(['queen'], { ...oldGit, HIVE_PORT: '0' });
  assert.equal(queen.code, 1, queen.stderr);
  assert.equal(queen.stderr, 'hive: git 2.25 is installed; Hive needs git 2.29 or later\n');
  const drone = await run(['drone', '--queen', 'ws://127.0.0.1:9', '--token', 'x'.repeat(20)], oldGit);
  assert.equal(drone.code, 1, drone.stderr);
  assert.equal(drone.stderr, 'hive drone: git 2.25 is installed; Hive needs git 2.29 or later\n');
  // No git at all: an empty PATH (the command itself is started by node's full path).
  const emptyBin = join(dataDir, 'empty-bin');
  await mkdir(emptyBin, { recursive: true });
  const noGit = await run(['drone', '--queen', 'ws://127.0.0.1:9', '--token', 'x'.repeat(20)], { PATH: emptyBin });
  assert.equal(noGit.code, 1, noGit.stderr);
  assert.equal(noGit.stderr, 'hive drone: git could not be run (not found on PATH); Hive needs git 2.29 or later\n');
});

it('refuses, in one line, an embedded database a newer Hive migrated, exit 1', { skip: testDatabaseKind() !== 'pglite' && 'the embedded database' }, async () => {
  const newerDir = join(dataDir, 'newer');
  await seedEmbeddedDatabase(join(newerDir, 'db'));
  const database = await openDatabase({ dataDir: join(newerDir, 'db') });
  await database.db.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-newer-hive', ${Date.UTC(2099, 0, 1)})`);
  await database.close();
  const res = await run(['queen'], { HIVE_DATA_DIR: newerDir, HIVE_PORT: '0' });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /^hive: The database has a migration this Hive does not know \(applied at 2099-01-01T00:00:00\.000Z; this Hive's last is \d{4}_\w+\): it was upgraded by a newer Hive; use that one\n$/);
  noStackTrace(res.stderr);
});

it('says the port is in use, exit 1, without opening the database', async () => {
  const taken: Server = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const { port } = taken.address() as { port: number };
  try {
    const res = await run(['queen'], { HIVE_PORT: String(port), HIVE_HOST: '127.0.0.1' });
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stderr, `hive: Port ${port} on 127.0.0.1 is already in use by another program; stop it, or set HIVE_PORT to a free port\n`);
    assert.equal(res.stdout, '');
  } finally {
    await new Promise((r) => taken.close(r));
  }
});
