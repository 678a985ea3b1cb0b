/**
 * An incremental tree's update, driven directly: the previous build's `.git` leaves the
 * tree at once and is deleted after the update, and what a stopped drone left aside is
 * swept by the next update; a tree nothing changed since is taken as it is (no git), and
 * any change a build made sends the update through git again.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
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
  const update = async (jobId: string, options: { caches?: string[] } = {}) => {
    const lease = trees.lease('p', jobId);
    const progress: string[] = [];
    await trees.update(lease, {
      cacheDir, repoUrl: source.url, sha: source.initialSha, caches: options.caches ?? [], droneFiles: [], progress: (line) => progress.push(line),
    });
    trees.release(jobId);
    return { tree: trees.treePath(lease), slotDir: join(trees.treePath(lease), '..'), progress: progress.join('\n') };
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

it('takes a tree no build changed as it is, and goes through git again after any change', async () => {
  const source = await createGitRepo({ files: { 'README.md': 'one\n', 'src/app.sh': 'echo app\n' } });
  try {
    const { trees, update } = await treesOf(source, 'unchanged');
    const kept = /no checkout needed/;
    const first = await update('j1');
    assert.doesNotMatch(first.progress, kept);
    let job = 2;
    // A tree git wrote within the clock's last tick gets no snapshot (tree-snapshot.ts): on
    // a fast machine the update after a checkout may go through git once more, writing
    // nothing; the one after it is taken as it is.
    const keptWithinTwo = async (what: string) => {
      const once = await update(`j${job++}`);
      if (kept.test(once.progress)) return once;
      const twice = await update(`j${job++}`);
      assert.match(twice.progress, kept, what);
      return twice;
    };
    const { tree } = await keptWithinTwo('the same commit again, nothing touched');
    const clean = async () => {
      assert.equal((await exec('git', ['rev-parse', 'HEAD'], { cwd: tree })).stdout.trim(), source.initialSha);
      assert.equal((await exec('git', ['status', '--porcelain', '--ignored'], { cwd: tree })).stdout, '', 'the build sees a clean tree');
      assert.equal(await readFile(join(tree, 'src', 'app.sh'), 'utf8'), 'echo app\n');
    };
    await clean();

    // Each change a build could make: the next update goes through git and undoes it; the
    // one after that (nothing changed) is taken as it is again.
    const app = join(tree, 'src', 'app.sh');
    const changes: Record<string, () => Promise<unknown>> = {
      'a new file': () => writeFile(join(tree, 'new.txt'), 'x'),
      'a new empty directory': () => mkdir(join(tree, 'src', 'empty')),
      'a file deleted': () => rm(app),
      'the same bytes written again': () => writeFile(app, 'echo app\n'),
      'same size, times set back': async () => {
        const { atime, mtime } = await stat(app);
        await writeFile(app, 'echo bad\n');
        await utimes(app, atime, mtime);
      },
      'a mode': () => chmod(app, 0o755),
      'a file replaced by a rename': async () => {
        await writeFile(join(tree, 'other'), 'echo app\n');
        await rename(join(tree, 'other'), app);
      },
      'a hard link to a file': () => link(app, join(dir, `outside-${Date.now()}`)),
      'a file made and removed in a directory': async () => {
        await writeFile(join(tree, 'src', 'tmp'), 'x');
        await rm(join(tree, 'src', 'tmp'));
      },
      'a .git made in a directory': () => exec('git', ['init', '--quiet', join(tree, 'src')]),
    };
    for (const [what, change] of Object.entries(changes)) {
      await change();
      const changed = await update(`j${job++}`);
      assert.doesNotMatch(changed.progress, kept, `${what}: not taken as it is`);
      await clean();
      await keptWithinTwo(`after ${what}: unchanged again`);
      await clean();
    }

    // Other caches are another clean: git again.
    assert.doesNotMatch((await update(`j${job++}`, { caches: ['node_modules'] })).progress, kept);
    // A restarted drone knows no snapshot: git again.
    const restarted = new IncrementalTrees({ root: join(dir, 'workspaces-unchanged'), hostEnv: pickHostEnv(process.env) });
    const lease = restarted.lease('p', 'after-restart');
    const lines: string[] = [];
    await restarted.update(lease, { cacheDir: join(dir, 'cache-unchanged'), repoUrl: source.url, sha: source.initialSha, caches: [], droneFiles: [], progress: (l) => lines.push(l) });
    assert.doesNotMatch(lines.join('\n'), kept);
    await Promise.all([trees.backgroundDone(), restarted.backgroundDone()]);
  } finally {
    await source.cleanup();
  }
});

it('keeps no snapshot of a tree larger than its limit', async () => {
  const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, `${i}\n`]));
  const source = await createGitRepo({ files });
  try {
    const cacheDir = join(dir, 'cache-large');
    await exec('git', ['init', '--quiet', '--bare', cacheDir]);
    await exec('git', ['fetch', '--quiet', source.url, '+refs/heads/*:refs/heads/*'], { cwd: cacheDir });
    const trees = new IncrementalTrees({ root: join(dir, 'workspaces-large'), hostEnv: pickHostEnv(process.env), snapshotMaxEntries: 20 });
    for (const jobId of ['j1', 'j2']) {
      const lines: string[] = [];
      const lease = trees.lease('p', jobId);
      await trees.update(lease, { cacheDir, repoUrl: source.url, sha: source.initialSha, caches: [], droneFiles: [], progress: (l) => lines.push(l) });
      trees.release(jobId);
      assert.doesNotMatch(lines.join('\n'), /no checkout needed/);
    }
    await trees.backgroundDone();
  } finally {
    await source.cleanup();
  }
});
