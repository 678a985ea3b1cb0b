/**
 * One queen per data directory, as users meet it: a second `hive queen` on the directory
 * of a running one exits 1 naming the directory and the first one's pid, `hive users`
 * refuses likewise, and a queen killed with SIGKILL does not keep the next from starting
 * on its data.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { runHive } from '../helpers/cli-process.ts';
import { hiveCommandArgs } from '../helpers/built-hive.ts';
import { seedEmbeddedDatabase } from '../helpers/test-db.ts';

let dataDir: string;
const dataDirs: string[] = [];
const running: ChildProcess[] = [];

after(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

async function newDataDir(): Promise<string> {
  dataDir = await mkdtemp(join(tmpdir(), 'hive-queen-lock-'));
  dataDirs.push(dataDir);
  return dataDir;
}

const env = (port: number) => ({ PATH: process.env.PATH!, HOME: process.env.HOME!, HIVE_DATA_DIR: dataDir, HIVE_PORT: String(port), HIVE_HOST: '127.0.0.1' });

/** `hive queen` until its banner (resolves with the child) or its exit (rejects with what it printed). */
function queen(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [...hiveCommandArgs, 'queen'], { env: env(port), stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/Hive is running at/.test(out)) resolve({ child, output: () => out });
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(Object.assign(new Error(`hive queen exited with ${code}:\n${out}`), { code, output: out })));
  });
}

const run = (args: string[], port: number) => runHive(args, { env: env(port) });

it('refuses a second queen and hive users while a queen runs, and starts after a SIGKILLed one', async () => {
  // Its database made from the migrated template (the next test has queens make theirs).
  await seedEmbeddedDatabase(join(await newDataDir(), 'db'));
  const first = await queen(await freePort());
  const token = /Generated admin token \(shown once, store it now\): (\S+)/.exec(first.output())![1];

  const holder = new RegExp(`^hive: The data directory ${dataDir} is in use by a Hive queen \\(pid ${first.child.pid}, since [^)]+\\); stop that process first \\(one queen per data directory\\)\\n$`);
  const second = await queen(await freePort()).then(() => assert.fail('a second queen started'), (err) => err as { code: number; output: string });
  assert.equal(second.code, 1);
  assert.match(second.output, holder);
  const users = await run(['users', 'list'], 0);
  assert.equal(users.code, 1);
  assert.match(users.stderr, holder);

  // Killed, not stopped: its lock file and the database's pid file stay behind.
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const port = await freePort();
  const third = await queen(port);
  assert.doesNotMatch(third.output(), /Generated admin token/, 'the same data, not a new installation');
  const res = await fetch(`http://127.0.0.1:${port}/api/projects`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const exited = new Promise((r) => third.child.once('exit', r));
  third.child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

it('lets one of two queens started at once on a new data directory run, and the other say why not', async () => {
  await newDataDir();
  const results = await Promise.allSettled([queen(await freePort()), queen(await freePort())]);
  const started = results.filter((r) => r.status === 'fulfilled');
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code: number; output: string }] : []));
  assert.equal(started.length, 1, refused.map((r) => r.output).join('\n'));
  assert.equal(refused[0].code, 1);
  assert.match(refused[0].output, /is in use by a Hive queen \(pid \d+/);
  const winner = (started[0] as PromiseFulfilledResult<{ child: ChildProcess }>).value.child;
  const exited = new Promise((r) => winner.once('exit', r));
  winner.kill('SIGTERM');
  assert.equal(await exited, 0);
});
