/**
 * The queen's repository mirrors as the queen uses them: through the git host process.
 * Real repositories, real git, a real child process that is killed mid-way.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FETCHES_PER_MAINTENANCE } from '../../common/git/fetch-maintenance.ts';
import { DEFAULT_GIT_TIMEOUTS } from '../../common/git/git-timeouts.ts';
import { ResolveError } from '../../server/errors.ts';
import { InProcessMirrors } from '../../server/git/in-process-mirrors.ts';
import { GitHostError, MirrorHost } from '../../server/git/mirror-host-client.ts';
import { createLogger } from '../../server/logger.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen } from '../helpers/queen.ts';
import { testDatabaseKind } from '../helpers/test-db.ts';
import { until } from '../helpers/until.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

let repo: GitRepo;
let dir: string;
let host: MirrorHost;
let firstSha: string;
let headSha: string;

before(async () => {
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n', 'docs/readme.md': 'x\n' } });
  firstSha = await repo.head();
  headSha = await repo.commit({ files: { '.hive.yml': 'phases:\n  test: "echo second"\n', 'big.yml': 'x'.repeat(300 * 1024) } });
  dir = await mkdtemp(join(tmpdir(), 'hive-git-host-'));
  host = new MirrorHost({ dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeouts: DEFAULT_GIT_TIMEOUTS, log: createLogger('silent') });
  await host.start();
});

after(async () => {
  await host?.stop();
  await repo?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the call with the git host stopped (SIGSTOP: it cannot answer until SIGCONT) and
 * says whether it settled meanwhile — answered on the queen's side — and with what.
 */
async function whileStopped<T>(call: () => Promise<T>): Promise<{ answered: boolean; value: T }> {
  const pid = host.pid!;
  process.kill(pid, 'SIGSTOP');
  let pending: Promise<T>;
  let answered: boolean;
  try {
    pending = call();
    answered = await Promise.race([pending.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  return { answered, value: await pending };
}

describe('repository mirrors in the git host', () => {
  it('resolves a branch to its tip and reads a file there, or says it is absent', async () => {
    const { sha } = await host.resolve(repo.url, { branch: repo.defaultBranch });
    assert.equal(sha, headSha);
    assert.equal(await host.readFile(repo.url, sha, '.hive.yml'), 'phases:\n  test: "echo second"\n');
    assert.equal(await host.readFile(repo.url, firstSha, '.hive.yml'), 'phases:\n  test: "true"\n');
    assert.equal(await host.readFile(repo.url, sha, 'no-such-file.yml'), undefined);
  });

  it('refuses a config that is a directory or too large, unread', async () => {
    await assert.rejects(host.readFile(repo.url, headSha, 'docs'), (err) => err instanceof ResolveError && /docs is a tree, not a file/.test(err.message));
    await assert.rejects(host.readFile(repo.url, headSha, 'big.yml'), (err) => err instanceof ResolveError && /larger than 262144 bytes/.test(err.message));
  });

  it('finds an older commit by sha, peels an annotated tag, and names what does not exist', async () => {
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch, sha: firstSha })).sha, firstSha);
    await repo.git('tag', '-a', 'v1.0', '-m', 'release', firstSha);
    assert.equal((await host.resolve(repo.url, { refspec: '+refs/tags/v1.0' })).sha, firstSha, 'the commit, not the tag object');
    const feature = await repo.commit({ branch: 'feature', files: { f: '1' } });
    assert.equal((await host.resolve(repo.url, { branch: 'feature' })).sha, feature);
    // Deeper than the queen's shallow fetches reach: found after fetching the whole history.
    const deep = await repo.commit({ files: { n: '1' } });
    await repo.commit({ files: { n: '2' } });
    await repo.commit({ files: { n: '3' } });
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch })).sha, await repo.head());
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch, sha: deep })).sha, deep);
    await assert.rejects(host.resolve(repo.url, { branch: 'nope' }), (err) => err instanceof ResolveError && /Could not fetch branch "nope"/.test(err.message));
    await assert.rejects(host.resolve(repo.url, { branch: repo.defaultBranch, sha: 'abcdef1234567' }), (err) => err instanceof ResolveError && /Commit abcdef1234567 was not found/.test(err.message));
  });

  it('builds a commit its project fetched moments ago without a fetch, and reads a file at a commit from git once', async () => {
    const { sha } = await host.resolve(repo.url, { branch: repo.defaultBranch });
    const text = await host.readFile(repo.url, sha, '.hive.yml');
    assert.equal(await host.readFile(repo.url, sha, 'absent.yml'), undefined);
    // The origin goes away: what the mirror has still resolves, a branch tip cannot.
    const away = `${repo.dir}-away`;
    await rename(repo.dir, away);
    try {
      const fetchedForProject = true;
      assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch, sha, fetchedForProject })).sha, sha, 'no fetch for a commit it has');
      assert.equal((await host.resolve(repo.url, { branch: 'nope', sha: sha.slice(0, 12), fetchedForProject })).sha, sha, 'nor for a short sha of one');
      // Any other request asks the repository, commit or not: that is what shows its project may read it.
      await assert.rejects(host.resolve(repo.url, { branch: repo.defaultBranch, sha }), ResolveError);
      await assert.rejects(host.resolve(repo.url, { branch: repo.defaultBranch }), ResolveError);
      // The mirror goes too: the file at the commit, and its absence, were kept.
      await host.remove(repo.url);
      assert.equal(await host.readFile(repo.url, sha, '.hive.yml'), text);
      assert.equal(await host.readFile(repo.url, sha, 'absent.yml'), undefined);
      await assert.rejects(host.resolve(repo.url, { branch: repo.defaultBranch, sha, fetchedForProject }), ResolveError, 'a commit the mirror lost is fetched');
    } finally {
      await rename(away, repo.dir);
    }
  });

  it('asks the repository where a branch is and fetches only when the mirror lacks that commit', async () => {
    // A fetch always writes the mirror's FETCH_HEAD; git ls-remote does not.
    const fetchHead = join(dir, `${createHash('sha256').update(repo.url).digest('hex').slice(0, 24)}.git`, 'FETCH_HEAD');
    const fetches = () => statSync(fetchHead).mtimeMs;
    const tip = await repo.head();
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch })).sha, tip);
    const before = fetches();
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch })).sha, tip);
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch, sha: tip })).sha, tip, 'nor for the commit by sha');
    assert.equal(fetches(), before, 'no fetch for a tip the mirror has');
    const moved = await repo.commit({ files: { moved: '1' } });
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch })).sha, moved, 'a branch that moved is fetched');
    assert.notEqual(fetches(), before);
    await assert.rejects(host.resolve(repo.url, { branch: 'no-such-branch' }), (err) => err instanceof ResolveError && /Could not fetch branch "no-such-branch" from .*: it has no such branch/.test(err.message));
  });

  it('answers a file read at a commit before on the queen\'s side, without a call to the host', async () => {
    const sha = await repo.head();
    assert.equal((await host.resolve(repo.url, { branch: repo.defaultBranch })).sha, sha);
    const text = await host.readFile(repo.url, sha, '.hive.yml');
    assert.equal(text, 'phases:\n  test: "echo second"\n');
    assert.equal(await host.readFile(repo.url, sha, 'absent.yml'), undefined);
    // A stopped host answers nothing until it goes on: whatever is answered meanwhile was kept.
    const pid = host.pid!;
    assert.deepEqual(await whileStopped(() => host.readFile(repo.url, sha, '.hive.yml')), { answered: true, value: text });
    assert.deepEqual(await whileStopped(() => host.readFile(repo.url, sha, 'absent.yml')), { answered: true, value: undefined });
    // A short sha could come to mean another commit: that is asked of the host every time.
    assert.deepEqual(await whileStopped(() => host.readFile(repo.url, sha.slice(0, 12), '.hive.yml')), { answered: false, value: text });
    assert.equal(host.pid, pid);
  });

  it('answers where a branch of a repository on this disk stands without the host, while the host has said its tip is in the mirror', async () => {
    const main = { branch: repo.defaultBranch };
    const feature = await repo.commit({ branch: 'tips-feature', files: { f: 'tips' } });
    assert.equal((await host.resolve(repo.url, { branch: 'tips-feature' })).sha, feature, 'a new branch: fetched by the host');
    const tip = (await host.resolve(repo.url, main)).sha;
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, main)), { answered: true, value: { sha: tip } });
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, { branch: 'tips-feature' })), { answered: true, value: { sha: feature } });
    // A sha, and a branch that moved, are the host's to answer.
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, { ...main, sha: tip })), { answered: false, value: { sha: tip } });
    const moved = await repo.commit({ files: { tips: '1' } });
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, main)), { answered: false, value: { sha: moved } });
    // A fetch removes nothing: what was known to be in the mirror stays known.
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, { branch: 'tips-feature' })), { answered: true, value: { sha: feature } });
    // git's maintenance may (a gc), and it runs once in every so many fetches
    // (fetch-maintenance.ts): after that many, what was known before is asked again.
    for (let i = 0; i < FETCHES_PER_MAINTENANCE; i++) {
      const pushed = await repo.commit({ files: { tips: `${i + 2}` } });
      assert.equal((await host.resolve(repo.url, main)).sha, pushed);
    }
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, { branch: 'tips-feature' })), { answered: false, value: { sha: feature } });
    assert.deepEqual(await whileStopped(() => host.resolve(repo.url, { branch: 'tips-feature' })), { answered: true, value: { sha: feature } });
    // A branch that is gone: the host says so.
    await repo.git('branch', '-D', 'tips-feature');
    await assert.rejects(host.resolve(repo.url, { branch: 'tips-feature' }), (err) => err instanceof ResolveError && /no such branch/.test(err.message));
  });

  // A branch and its commit: a request only the host answers (a branch alone may be answered on the queen's side).
  const atHead = async () => ({ branch: repo.defaultBranch, sha: await repo.head() });

  it('fails the calls in flight when the host dies, and starts a new one for the next', async () => {
    const pid = host.pid!;
    const inFlight = host.resolve(repo.url, await atHead());
    process.kill(pid, 'SIGKILL');
    // Killed while the call is being sent, the call fails on the write (EPIPE); after, on
    // the exit. Both are GitHostErrors, which resolution retries (the test below).
    await assert.rejects(inFlight, (err) => err instanceof GitHostError && /git host process exited \(SIGKILL\)|git host is unreachable: write EPIPE/.test(err.message));
    assert.equal((await host.resolve(repo.url, await atHead())).sha, await repo.head());
    assert.notEqual(host.pid, pid);
  });

  it('starts a new host when a call finds the old one dead before its exit is noticed', async () => {
    const request = await atHead();
    const headOf = (await host.resolve(repo.url, request)).sha;
    const pid = host.pid!;
    process.kill(pid, 'SIGKILL');
    // Dead but not yet reaped: node has not seen the exit, so the calls are written to a
    // closed pipe. (A synchronous wait on purpose: the event loop must not run meanwhile.)
    waitUntilZombie(pid);
    const first = host.resolve(repo.url, request);
    // Written in the same tick as the first, it fails the same way, or (sent after the
    // first's failure) reaches a new host; either way no call waits forever. Its outcome is
    // taken at once: it may fail before the first's failure is awaited.
    const second = host.resolve(repo.url, request).then((found) => ({ found }), (err: unknown) => ({ err }));
    await assert.rejects(first, GitHostError);
    const outcome = await second;
    if ('found' in outcome) assert.equal(outcome.found.sha, headOf);
    else assert.ok(outcome.err instanceof GitHostError, String(outcome.err));
    assert.equal((await host.resolve(repo.url, await atHead())).sha, await repo.head());
    assert.notEqual(host.pid, pid);
  });
});

describe('a stopped git host', () => {
  it('exits only after the git a call is running has ended, so nothing writes in its directory after the stop', async () => {
    // A `git` earlier in PATH whose `init` (a new mirror's first command) waits on a FIFO
    // the test opens, then runs the real one and says who its parent is by then: the host
    // (it waited) or not (it had exited and left git running in the mirrors' directory).
    const fake = await mkdtemp(join(tmpdir(), 'hive-fake-git-'));
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    execFileSync('mkfifo', [join(fake, 'release')]);
    writeFileSync(join(fake, 'git'), `#!/bin/sh
if [ "$1" = init ]; then
  : > '${fake}/started'
  read _ < '${fake}/release'
  '${realGit}' "$@"; rc=$?
  ps -o ppid= -p $$ | tr -d ' ' > '${fake}/parent.tmp' && mv '${fake}/parent.tmp' '${fake}/parent'
  exit $rc
fi
exec '${realGit}' "$@"
`, { mode: 0o755 });
    const mirrors = await mkdtemp(join(tmpdir(), 'hive-git-host-stop-'));
    const path = process.env.PATH;
    process.env.PATH = `${fake}:${path}`; // the host is forked with this environment
    const stopping = new MirrorHost({ dir: mirrors, env: { PATH: process.env.PATH }, timeouts: DEFAULT_GIT_TIMEOUTS, log: createLogger('silent') });
    try {
      await stopping.start();
    } finally {
      process.env.PATH = path;
    }
    const hostPid = stopping.pid!;
    try {
      const call = stopping.resolve(repo.url, { branch: repo.defaultBranch, sha: await repo.head() }).catch((err: unknown) => err);
      await until('the fake git\'s init started', () => existsSync(join(fake, 'started')));
      const stopped = stopping.stop();
      writeFileSync(join(fake, 'release'), 'go\n');
      await stopped;
      // The stop waited for git: it had ended, still the host's child, before the host exited.
      assert.equal(readFileSync(join(fake, 'parent'), 'utf8').trim(), String(hostPid));
      assert.ok((await call) instanceof GitHostError, 'the call in flight fails, as any call of a stopped host');
      await rm(mirrors, { recursive: true });
    } finally {
      await stopping.stop();
      await rm(fake, { recursive: true, force: true });
      await rm(mirrors, { recursive: true, force: true });
    }
  });
});

// A queen on PostgreSQL runs its mirrors in its own process (in-process-mirrors.ts); a test
// process runs several such queens at once.
describe('mirrors in the queen\'s process, stopped', () => {
  /** A `git` earlier in PATH whose first fetch waits on the FIFO `release` after touching `fetching`. */
  async function fakeGitHoldingFetches(): Promise<string> {
    const fake = await mkdtemp(join(tmpdir(), 'hive-fake-git-'));
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    execFileSync('mkfifo', [join(fake, 'release')]);
    writeFileSync(join(fake, 'git'), `#!/bin/sh
case " $* " in *" fetch "*)
  if [ ! -e '${fake}/fetching' ]; then
    : > '${fake}/fetching'
    read _ < '${fake}/release'
  fi
esac
exec '${realGit}' "$@"
`, { mode: 0o755 });
    return fake;
  }
  const mirrorsWith = async (fake: string) => {
    const mirrorsDir = await mkdtemp(join(tmpdir(), 'hive-in-process-mirrors-'));
    const mirrors = new InProcessMirrors({ dir: mirrorsDir, env: { PATH: `${fake}:${process.env.PATH}` }, timeouts: DEFAULT_GIT_TIMEOUTS, log: createLogger('silent') });
    return { mirrors, dir: mirrorsDir };
  };

  it('one stopped leaves the fetches of another running', async () => {
    const fake = await fakeGitHoldingFetches();
    const a = await mirrorsWith(fake);
    const b = await mirrorsWith(fake);
    try {
      const call = b.mirrors.resolve(repo.url, { branch: repo.defaultBranch, sha: headSha });
      await until('b\'s fetch started', () => existsSync(join(fake, 'fetching')));
      await a.mirrors.stop();
      writeFileSync(join(fake, 'release'), 'go\n');
      // Killed by a's stop, b's fetch would fail the call.
      assert.equal((await call).sha, headSha);
    } finally {
      await Promise.all([a.mirrors.stop(), b.mirrors.stop()]);
      await Promise.all([fake, a.dir, b.dir].map((path) => rm(path, { recursive: true, force: true })));
    }
  });

  it('its own fetch in flight is killed, and it and later calls fail as the git host\'s do', async () => {
    const fake = await fakeGitHoldingFetches();
    const { mirrors, dir: mirrorsDir } = await mirrorsWith(fake);
    try {
      const call = mirrors.resolve(repo.url, { branch: repo.defaultBranch, sha: headSha }).catch((err: unknown) => err);
      await until('the fetch started', () => existsSync(join(fake, 'fetching')));
      // Returns only once the killed fetch's call has ended (no FIFO written: its reader is gone).
      await mirrors.stop();
      const failed = await call;
      assert.ok(failed instanceof GitHostError, `the call in flight fails with GitHostError, not ${String(failed)}`);
      const later = await mirrors.resolve(repo.url, { branch: repo.defaultBranch, sha: firstSha }).catch((err: unknown) => err);
      assert.ok(later instanceof GitHostError, `a later fetch fails with GitHostError, not ${String(later)}`);
    } finally {
      await mirrors.stop();
      await Promise.all([fake, mirrorsDir].map((path) => rm(path, { recursive: true, force: true })));
    }
  });
});

/** Blocks until the process has exited (its /proc state is Z) without running the event loop. */
function waitUntilZombie(pid: number): void {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    if (state === 'Z') return;
  }
  throw new Error(`process ${pid} did not exit`);
}

// A queen on PostgreSQL runs its mirrors in its own process: no git host to die.
describe('a queen whose git host dies', { skip: testDatabaseKind() === 'postgres' && 'a queen on PostgreSQL has no git host' }, () => {
  it('resolves the job again instead of failing it for the host\'s sake', async () => {
    // A "repository" whose first fetch hangs (so the host can die mid-fetch) and whose
    // second answers 404: the job's final message then comes from the second attempt.
    const requests: string[] = [];
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
    const held: ServerResponse[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push(req.url ?? '');
      if (requests.length === 1) {
        held.push(res);
        firstArrived();
        return;
      }
      res.statusCode = 404;
      res.end('no such repository');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const queen = await startTestQueen();
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stalled.git`;
      const project = (await queen.api('POST', '/api/projects', { name: 'stalled', repoUrl: url })).body;
      const job = (await queen.api('POST', `/api/projects/${project.id}/jobs`, { branch: 'main' })).body;
      await arrived;
      process.kill(queen.mirrors.pid!, 'SIGKILL');
      const ended = await queen.waitForJob(job.id);
      assert.equal(ended.status, 'errored');
      assert.match(ended.message ?? '', /Could not fetch branch "main"/);
      assert.doesNotMatch(ended.message ?? '', /git host/);
      assert.ok(requests.length >= 2, `fetched again after the host died (${requests.length} requests)`);
    } finally {
      for (const res of held) res.destroy();
      server.close();
      await queen.stop();
    }
  });
});
