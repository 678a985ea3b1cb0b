/**
 * Moving a queen from its embedded database to PostgreSQL as the README tells it, with
 * `hive db export` and `hive db import` run as real processes: a queen on PGlite in its
 * data directory builds real data (a project with a secret, a finished build with its log,
 * a user with a session and a personal token); while it runs both commands refuse, naming
 * it; stopped, it is exported, imported into a new PostgreSQL database (TEST_DATABASE_URL),
 * and a queen started there on the same data directory (its secret.key) has it all: the
 * build and its log, the user's login, session and token, and a new build that gets the
 * secret decrypted. Then back: PostgreSQL exported into a new embedded database, whose queen
 * still decrypts it.
 *
 * Without TEST_DATABASE_URL the move goes from one embedded database into another (a new
 * data directory given the secret.key), which is the same commands on the other driver.
 */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { lockDataDir } from '../../server/data-dir-lock.ts';
import { openDatabase } from '../../server/db/client.ts';
import { findProjectByName } from '../../server/db/projects.ts';
import { openPluginSecrets } from '../../server/jobs/sealed-plugin-config.ts';
import { connectDrone } from '../helpers/drone-process.ts';
import { runHive } from '../helpers/cli-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { canLogIn, logIn, sessionApi, sessionLive, type WebSession } from '../helpers/web-session.ts';
import { cleanupsAfterTests } from '../helpers/file-cleanups.ts';
import { createEmptyPostgresDatabase, seedEmbeddedDatabase } from '../helpers/test-db.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const SECRET = `deploy-${randomBytes(6).toString('hex')}`;
const CAROL_PASSWORD = 'carol-password-1';
/** A secret plugin field, stored sealed: it opens with the same key after the move (never fires: on failed builds only). */
const HOOK_URL = `https://chat.example.com/hooks/${randomBytes(6).toString('hex')}`;

const files = cleanupsAfterTests();
const { cleanups } = files;
const tempDir = (name: string) => files.tempDir(`hive-db-move-${name}-`);

const hiveDb = (args: string[], env: Record<string, string>) => runHive(['db', ...args], { env });

/** A new, really empty PostgreSQL database (no tables: the import makes them). */
async function bareDatabase(): Promise<string> {
  const database = (await createEmptyPostgresDatabase(adminUrl))!;
  cleanups.push(() => database.drop());
  return database.url;
}

const releases = new Map<TestQueen, () => void>();

/** A queen on the database a configuration names, holding its data directory as `hive queen` does. */
async function queenOn(env: Record<string, string>): Promise<TestQueen> {
  const lock = await lockDataDir(env.HIVE_DATA_DIR, 'a Hive queen');
  const database = await openDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: join(env.HIVE_DATA_DIR, 'db') });
  const queen = await startTestQueen(env, { testDb: database, dataDir: env.HIVE_DATA_DIR });
  releases.set(queen, () => lock.release());
  cleanups.push(() => stop(queen));
  return queen;
}

async function stop(queen: TestQueen): Promise<void> {
  const release = releases.get(queen);
  if (!release) return;
  releases.delete(queen);
  await queen.close();
  await queen.testDb.close();
  release();
}

/** `hive db …` refused, with one line naming the queen that runs there. */
async function refusedWhileQueenRuns(args: string[], env: Record<string, string>): Promise<void> {
  const refused = await hiveDb(args, env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`^hive: cannot ${args[0]} .*in use by a Hive queen \\(pid ${process.pid}, .*stop that process first.*\\n$`));
  assert.equal(refused.stderr.split('\n').length, 2, 'one line');
}

async function build(queen: TestQueen, projectId: string, droneName: string): Promise<{ id: string; log: string }> {
  const drone = await connectDrone(queen, { name: droneName });
  try {
    const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, {});
    assert.equal(res.status, 201, res.text);
    const job = await queen.waitForJob(res.body.id, undefined, 60_000);
    const log = (await queen.api('GET', `/api/jobs/${job.id}/log`)).text;
    assert.equal(job.status, 'passed', `${job.message}\n${log}`);
    return { id: job.id, log };
  } finally {
    await drone.stop();
  }
}

interface Moved {
  projectId: string;
  jobId: string;
  carol: WebSession;
  carolToken: string;
}

/** What must have come along, checked through the API the way users meet it. */
async function checkMoved(queen: TestQueen, moved: Moved): Promise<void> {
  const project = await queen.api('GET', `/api/projects/${moved.projectId}`);
  assert.equal(project.status, 200, project.text);
  assert.equal(project.body.name, 'moved');
  assert.deepEqual(project.body.secrets, ['DEPLOY_KEY']);
  const job = await queen.api('GET', `/api/jobs/${moved.jobId}`);
  assert.equal(job.body.status, 'passed');
  const log = await queen.api('GET', `/api/jobs/${moved.jobId}/log`);
  assert.match(log.text, /hello from before the move/);
  assert.match(log.text, /the key decrypts/);
  assert.ok(await canLogIn(queen.url, 'carol', CAROL_PASSWORD), 'carol logs in with her password');
  assert.ok(await sessionLive(queen.url, moved.carol), 'carol\'s session goes on');
  const withToken = await fetch(`${queen.url}/api/projects`, { headers: { authorization: `Bearer ${moved.carolToken}` } });
  assert.equal(withToken.status, 200, 'carol\'s personal token works');
  // The sealed secret opens with this queen's key (the data directory's secret.key).
  const stored = await findProjectByName(queen.testDb.db, 'moved');
  assert.equal(queen.secretBox.open(stored!.secretsEnc.DEPLOY_KEY), SECRET);
  assert.ok(!JSON.stringify(stored!.plugins).includes(HOOK_URL), 'the plugin field stays sealed');
  assert.equal((openPluginSecrets(queen.secretBox, stored!.plugins)[0].config as { url: string }).url, HOOK_URL);
  assert.deepEqual(project.body.plugins[0].secretsSet, ['url']);
}

let repo: GitRepo;

it('moves a queen from its embedded database to PostgreSQL and back with hive db export/import', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const exports = await tempDir('files');
  const embeddedDir = await tempDir('embedded');
  repo = await createGitRepo({ files: { 'README.md': '# moved\n' } });
  cleanups.push(() => repo.cleanup());

  // 1. A queen on its embedded database (made from the tests' migrated template: the
  // import below makes one the product's way, with initdb).
  const embeddedEnv = { HIVE_DATA_DIR: embeddedDir };
  await seedEmbeddedDatabase(join(embeddedDir, 'db'));
  const first = await queenOn(embeddedEnv);
  const created = await first.api('POST', '/api/projects', {
    name: 'moved', repoUrl: repo.url, secrets: { DEPLOY_KEY: SECRET },
    plugins: [{ name: 'webhook-notify', config: { url: HOOK_URL, on: ['failed'] } }],
    config: { phases: { test: ['echo "hello from before the move"', `test "$DEPLOY_KEY" = "${SECRET}" && echo "the key decrypts"`] } },
  });
  assert.equal(created.status, 201, created.text);
  const projectId: string = created.body.id;
  const { id: jobId } = await build(first, projectId, 'before-move');
  assert.equal((await first.api('POST', '/api/users', { username: 'carol', password: CAROL_PASSWORD })).status, 201);
  const carol = await logIn(first.url, 'carol', CAROL_PASSWORD);
  const token = await sessionApi(first.url, carol, 'POST', '/api/tokens', { name: 'laptop' });
  assert.equal(token.status, 201);
  const moved: Moved = { projectId, jobId, carol, carolToken: token.body.token };
  step('data built on the embedded database');

  // 2. The export does not touch the embedded database while its queen runs.
  const file = join(exports, 'hive-export.jsonl.gz');
  await refusedWhileQueenRuns(['export', file], embeddedEnv);
  assert.ok(!existsSync(file));
  await stop(first);

  // 3. Stopped: exported, and imported into a new database.
  const exported = await hiveDb(['export', file], embeddedEnv);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /^Exported \d+ rows of \d+ tables from the embedded database in .* to .*hive-export\.jsonl\.gz/);
  assert.ok(!exported.stderr.includes(SECRET) && !exported.stderr.includes('hive_'), 'no secret in the output');
  step('exported');

  let movedEnv: Record<string, string>;
  if (adminUrl) {
    // The README's move: DATABASE_URL for the import and the queen, the same data directory.
    movedEnv = { HIVE_DATA_DIR: embeddedDir, DATABASE_URL: await bareDatabase() };
  } else {
    movedEnv = { HIVE_DATA_DIR: await tempDir('second') };
    await copyFile(join(embeddedDir, 'secret.key'), join(movedEnv.HIVE_DATA_DIR, 'secret.key'));
  }
  const imported = await hiveDb(['import', file], movedEnv);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, adminUrl ? /^Imported \d+ rows of \d+ tables from .* into PostgreSQL hive\S*@/ : /^Imported \d+ rows .* into the embedded database in /);
  if (adminUrl) assert.ok(!imported.stderr.includes(`:${new URL(adminUrl).password}@`), 'the database password is not shown');
  const again = await hiveDb(['import', file], movedEnv);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^hive: cannot import .* the database is not empty \(.*\).*nothing was imported\n$/);
  step(`imported into ${adminUrl ? 'PostgreSQL' : 'a second embedded database'}`);

  // 4. A queen on the new database has it all, and its builds still get the secret.
  const second = await queenOn(movedEnv);
  await checkMoved(second, moved);
  // Nor does the import (into the embedded database a queen runs on).
  if (!adminUrl) await refusedWhileQueenRuns(['import', file], movedEnv);
  const after = await build(second, projectId, 'after-move');
  assert.match(after.log, /the key decrypts/);
  assert.doesNotMatch(after.log, new RegExp(SECRET), 'the secret is masked in the log');
  await stop(second);
  step('checked and built on the new database');
  if (!adminUrl) return;

  // 5. And back, PostgreSQL into a new embedded database (given the secret.key).
  const back = join(exports, 'from-postgres.jsonl.gz');
  assert.equal((await hiveDb(['export', back], movedEnv)).code, 0);
  const returnedEnv = { HIVE_DATA_DIR: await tempDir('returned') };
  await copyFile(join(embeddedDir, 'secret.key'), join(returnedEnv.HIVE_DATA_DIR, 'secret.key'));
  const returned = await hiveDb(['import', back], returnedEnv);
  assert.equal(returned.code, 0, returned.stderr);
  const third = await queenOn(returnedEnv);
  await checkMoved(third, moved);
  await refusedWhileQueenRuns(['import', back], returnedEnv);
  const jobs = await third.api('GET', `/api/projects/${projectId}/jobs`);
  assert.ok(JSON.stringify(jobs.body).includes(after.id), 'the build made on PostgreSQL came back too');
  await stop(third);
  step('back on an embedded database');
});
