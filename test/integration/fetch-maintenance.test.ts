/**
 * git's maintenance off a fetch's path (common/git/fetch-maintenance.ts), on real
 * repositories: a fetch no longer runs it, the first fetch into a repository in a
 * process's life and every so many after it do — the queen's mirrors and the drone's
 * caches alike. Repositories are set so that git's `--auto` check has work to do: each
 * fetch keeps its own pack (fetch.unpackLimit=1) and more than one pack calls for a
 * repack (gc.autoPackLimit=1), in the foreground (gc.autoDetach=false) so the test can
 * count the packs afterwards.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { FetchMaintenance } from '../../common/git/fetch-maintenance.ts';
import { DEFAULT_GIT_TIMEOUTS } from '../../common/git/git-timeouts.ts';
import { RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { RepoMirrors } from '../../server/git/repo-mirror.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);
const env = pickHostEnv(process.env);
let dir: string;
let repo: GitRepo;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-fetch-maintenance-'));
  repo = await createGitRepo({ files: { 'README.md': 'one\n' } });
});
after(async () => {
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A bare repository at `path` whose maintenance repacks as soon as it holds two packs, holding two already. */
async function repackingRepository(path: string): Promise<void> {
  await exec('git', ['init', '--quiet', '--bare', path]);
  for (const [key, value] of [['fetch.unpackLimit', '1'], ['gc.autoPackLimit', '1'], ['gc.autoDetach', 'false']]) {
    await exec('git', ['config', key, value], { cwd: path });
  }
  for (let i = 0; i < 2; i++) {
    await repo.commit({ files: { 'n.txt': `seed ${i}\n` } });
    await exec('git', ['fetch', '--quiet', '--no-auto-maintenance', repo.url, '+refs/heads/*:refs/heads/*'], { cwd: path });
  }
  assert.equal(await packsIn(path), 2);
}

async function packsIn(path: string): Promise<number> {
  return (await readdir(join(path, 'objects', 'pack'))).filter((n) => n.endsWith('.pack')).length;
}

it('runs git\'s maintenance after the first fetch into a repository and every so many after it, until forgotten', async () => {
  const path = join(dir, 'plain.git');
  await repackingRepository(path);
  const maintenance = new FetchMaintenance(3);
  const fetch = async () => {
    await repo.commit({ files: { 'n.txt': `${Date.now()}-${Math.random()}\n` } });
    await exec('git', ['fetch', '--quiet', '--no-auto-maintenance', repo.url, '+refs/heads/*:refs/heads/*'], { cwd: path });
    return maintenance.afterFetch(path, env);
  };
  assert.equal(await fetch(), true, 'the first fetch');
  assert.equal(await packsIn(path), 1, 'repacked');
  assert.equal(await fetch(), false);
  assert.equal(await fetch(), false);
  assert.equal(await packsIn(path), 3, 'two fetches, two packs, no maintenance');
  assert.equal(await fetch(), true, 'the fourth fetch: the next of every three');
  assert.equal(await packsIn(path), 1);
  assert.equal(await fetch(), false);
  maintenance.forget(path);
  assert.equal(await fetch(), true, 'a repository made anew: its first fetch again');
  assert.equal(await packsIn(path), 1);
});

it('the queen\'s mirror: fetches run no maintenance of their own, and a resolution that ran it says so', async () => {
  const mirrorsDir = join(dir, 'mirrors');
  // Where RepoMirrors keeps the mirror of a URL, made beforehand with the settings above.
  const path = join(mirrorsDir, `${createHash('sha256').update(repo.url).digest('hex').slice(0, 24)}.git`);
  await repackingRepository(path);
  const mirrors = new RepoMirrors(mirrorsDir, env, DEFAULT_GIT_TIMEOUTS);

  let tip = await repo.commit({ files: { 'q.txt': 'first\n' } });
  const first = await mirrors.resolve(repo.url, { branch: repo.defaultBranch });
  assert.deepEqual(first, { sha: tip, maintained: true });
  assert.equal(await packsIn(path), 1, 'maintained after the first fetch');

  tip = await repo.commit({ files: { 'q.txt': 'second\n' } });
  assert.deepEqual(await mirrors.resolve(repo.url, { branch: repo.defaultBranch }), { sha: tip });
  assert.equal(await packsIn(path), 2, 'the fetch ran no maintenance');
  // What the resolution fetched is known to be there: the same tip again needs no fetch.
  assert.deepEqual(await mirrors.resolve(repo.url, { branch: repo.defaultBranch }), { sha: tip });
  assert.equal(await packsIn(path), 2);
  // A commit without the file: absent for good, the commit being known to be in the mirror.
  assert.deepEqual(await mirrors.readCommitFile(repo.url, tip, '.hive.yml'), { lasting: true });
});

it('the drone\'s cache: fetches run no maintenance of their own, the first one into the cache does', async () => {
  const dataDir = join(dir, 'drone');
  const cache = new RepoCache({ dataDir, hostEnv: env });
  const path = cache.cachePath(repo.url);
  await repackingRepository(path);
  let n = 0;
  const build = async () => {
    const sha = await repo.commit({ files: { 'd.txt': `${n}\n` } });
    const jobId = `job-${n++}`;
    const result = await cache.checkout({ jobId, checkout: { repoUrl: repo.url, sha, branch: repo.defaultBranch } });
    assert.equal(result.sha, sha);
    await cache.removeWorkspace(jobId);
  };
  await build();
  assert.equal(await packsIn(path), 1, 'maintained after the first fetch');
  await build();
  await build();
  assert.equal(await packsIn(path), 3, 'two fetches, two packs, no maintenance');
});
