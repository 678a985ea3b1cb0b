/**
 * The data directory lock (server/data-dir-lock.ts) between real processes: a live holder
 * is refused and named, a dead or pid-reusing one is taken over, and of several processes
 * racing for a stale lock exactly one wins.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../server/data-dir-lock.ts';

const lockModule = new URL('../../server/data-dir-lock.ts', import.meta.url).href;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-lock-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/**
 * A process that waits for a line on stdin, then tries the lock and prints "won" or
 * "lost <message>"; a winner holds it until its stdin closes.
 */
function racer(lockDir: string): { child: ChildProcess; ready: Promise<void>; result: Promise<string> } {
  const script = `
    import { lockDataDir } from ${JSON.stringify(lockModule)};
    import { once } from 'node:events';
    process.stdout.write('ready\\n');
    await once(process.stdin, 'data');
    try {
      await lockDataDir(${JSON.stringify(lockDir)}, 'a racer');
      process.stdout.write('won\\n');
      process.stdin.resume();
      await once(process.stdin, 'end');
    } catch (err) {
      process.stdout.write('lost ' + err.message + '\\n');
      process.exit(0);
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) => child.stdout!.on('data', (d) => { out += d; if (out.includes('ready\n')) resolve(); }));
  const result = new Promise<string>((resolve) => child.stdout!.on('data', () => {
    const line = out.split('\n').find((l) => l.startsWith('won') || l.startsWith('lost'));
    if (line) resolve(line);
  }));
  return { child, ready, result };
}

it('refuses a second holder while the first lives, naming it, and is free again after release', async () => {
  const lockDir = join(dir, 'plain');
  const lock = await lockDataDir(lockDir, 'the test');
  const other = racer(lockDir);
  await other.ready;
  other.child.stdin!.write('go\n');
  assert.equal(await other.result, `lost The data directory ${lockDir} is in use by the test (pid ${process.pid}, since ${JSON.parse(await readFile(lock.path, 'utf8')).since}); stop that process first (one queen per data directory)`);
  lock.release();
  const again = racer(lockDir);
  await again.ready;
  again.child.stdin!.write('go\n');
  assert.equal(await again.result, 'won');
  again.child.stdin!.end();
});

it('takes over a lock whose holder died, or whose pid now belongs to another process', async () => {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => dead.once('exit', r));
  const lockDir = join(dir, 'stale');
  await lockDataDir(lockDir, 'nobody').then((l) => l.release());
  await writeFile(join(lockDir, LOCK_FILE), JSON.stringify({ pid: dead.pid, command: 'a dead queen', since: 'yesterday' }));
  const first = await lockDataDir(lockDir, 'the test');
  first.release();

  // A live pid, but started at another time than the lock says: the pid was reused.
  const sleeper = spawn('sleep', ['30']);
  try {
    await writeFile(join(lockDir, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, startTime: '1', command: 'an old queen', since: 'last year' }));
    const second = await lockDataDir(lockDir, 'the test');
    second.release();
    // The same live pid without a start time to compare: it may be the holder, so it is refused.
    await writeFile(join(lockDir, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, command: 'a queen', since: 'today' }));
    await assert.rejects(lockDataDir(lockDir, 'the test'), (err) => err instanceof DataDirLockedError && err.holder.pid === sleeper.pid);
  } finally {
    sleeper.kill('SIGKILL');
  }
});

it('lets exactly one of several processes racing for a stale lock win', async () => {
  const lockDir = join(dir, 'race');
  await lockDataDir(lockDir, 'nobody').then((l) => l.release());
  await writeFile(join(lockDir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12_345, command: 'a killed queen', since: 'before' }));
  const racers = Array.from({ length: 5 }, () => racer(lockDir));
  await Promise.all(racers.map((r) => r.ready));
  for (const r of racers) r.child.stdin!.write('go\n');
  const results = await Promise.all(racers.map((r) => r.result));
  for (const r of racers) r.child.stdin!.end();
  assert.equal(results.filter((r) => r === 'won').length, 1, results.join('\n'));
  assert.equal(results.filter((r) => /^lost .* in use by a racer \(pid \d+/.test(r)).length, 4, results.join('\n'));
});
