/**
 * An incremental tree's update, driven directly: the previous build's `.git` leaves the
 * tree at once and is deleted after the update, and what a stopped drone left aside is
 * swept by the next update.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { pickHostEnv } from '../../drone/config.ts';
import { IncrementalTrees } from '../../drone/workspaces/incremental-trees.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);
let repo: GitRepo;
let dir: string;

before(async () => {
  repo = await createGitRepo({ files: { 'README.md': 'one\n' } });
  dir = await mkdtemp(join(tmpdir(), 'hive-tree-updates-'));
});
after(async () => {
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * A drone cache of `source` and trees of one project over it, in `name`'d dirs; `update`
 * brings a job's tree to the initial commit and gives the tree back.
 */
async function treesOf(source: GitRepo, name: string) {
  const cacheDir = join(dir, `cache-${name}`);
  await exec('git', ['init', '--quiet', '--bare', cacheDir]);
  await exec('git', ['fetch', '--quiet', source.url, '+refs/heads/*:refs/heads/*'], { cwd: cacheDir });
  const trees = new IncrementalTrees({ root: join(dir, `workspaces-${name}`), hostEnv: pickHostEnv(process.env) });
  const update = async (jobId: string) => {
    const lease = trees.lease('p', jobId);
    await trees.update(lease, { cacheDir, repoUrl: source.url, sha: source.initialSha, caches: [], droneFiles: [], progress: () => {} });
    trees.release(jobId);
    return { tree: trees.treePath(lease), slotDir: join(trees.treePath(lease), '..') };
  };
  return { trees, update };
}

it('moves the old .git aside, deletes it after the update, and sweeps what an earlier update left aside', async () => {
  const { trees, update } = await treesOf(repo, 'aside');
  const { tree, slotDir } = await update('j1');
  await trees.backgroundDone();
  // The build writes into its .git; a drone stopped mid-deletion left an old one aside.
  await writeFile(join(tree, '.git', 'left-by-the-build'), 'x');
  await mkdir(join(slotDir, 'old-git-from-a-stopped-drone', 'objects'), { recursive: true });

  await update('j2');
  await trees.backgroundDone();
  assert.deepEqual((await readdir(slotDir)).filter((n) => n.startsWith('old-git-')), [], 'nothing left aside');
  assert.ok(!(await readdir(join(tree, '.git'))).includes('left-by-the-build'), 'the build\'s .git is new');
  const head = (await exec('git', ['rev-parse', 'HEAD'], { cwd: tree })).stdout.trim();
  assert.equal(head, repo.initialSha);
  assert.equal((await exec('git', ['status', '--porcelain'], { cwd: tree })).stdout, '');
});

it('removes a .git a build made in one of the commit\'s directories, also when the same commit is built again (its directories known from before)', async () => {
  const withDirs = await createGitRepo({ files: { 'src/lib/a.txt': 'a\n', 'docs/b.md': 'b\n' } });
  try {
    const { trees, update } = await treesOf(withDirs, 'dirs');
    for (const jobId of ['j1', 'j2', 'j3']) {
      const { tree } = await update(jobId);
      assert.deepEqual(await readdir(join(tree, 'src', 'lib')), ['a.txt'], `${jobId}: no .git a build made in src/lib`);
      assert.deepEqual(await readdir(join(tree, 'docs')), ['b.md'], `${jobId}: nor in docs`);
      // What this build leaves for the next one (of the same commit) to remove.
      await exec('git', ['init', '--quiet', join(tree, 'src', 'lib')]);
      await mkdir(join(tree, 'docs', '.git'));
    }
    await trees.backgroundDone();
  } finally {
    await withDirs.cleanup();
  }
});
