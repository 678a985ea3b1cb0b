/**
 * An incremental tree's update, driven directly: the previous build's `.git` leaves the
 * tree at once and is deleted after the update, and what a stopped drone left aside is
 * swept by the next update; a tree nothing changed since is taken as it is (no git), and
 * any change a build made sends the update through git again. A build's `.git` no build
 * touched is kept and brought along to new commits, refs and a repacked cache; any change
 * to it gets a new one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, link, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
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
  const update = async (jobId: string, options: { caches?: string[]; sha?: string } = {}) => {
    const lease = trees.lease('p', jobId);
    const progress: string[] = [];
    await trees.update(lease, {
      cacheDir, repoUrl: source.url, sha: options.sha ?? source.initialSha, caches: options.caches ?? [], droneFiles: [], progress: (line) => progress.push(line),
    });
    trees.release(jobId);
    return { tree: trees.treePath(lease), slotDir: join(trees.treePath(lease), '..'), progress: progress.join('\n') };
  };
  return { trees, update, cacheDir };
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

/** Every entry of a tree but its root `.git`: type, mode, and a file's text or a link's target. */
async function listing(root: string, at = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, at))).sort()) {
    const rel = at ? `${at}/${name}` : name;
    if (rel === '.git') continue;
    const path = join(root, rel);
    const info = await lstat(path);
    if (info.isSymbolicLink()) out.push(`${rel} -> ${await readlink(path)}`);
    else if (info.isDirectory()) out.push(`${rel}/`, ...(await listing(root, rel)));
    else out.push(`${rel} ${(info.mode & 0o777).toString(8)} ${JSON.stringify(await readFile(path, 'utf8'))}`);
  }
  return out;
}

it('brings a tree no build changed to another commit with a checkout alone, leaving what a full update leaves', async () => {
  const source = await createGitRepo({ files: { 'README.md': 'one\n', 'src/a.txt': 'a\n', 'src/deep/er/b.txt': 'b\n', 'run.sh': 'echo run\n', '.gitignore': '*.log\nbuild/\n' } });
  try {
    const { trees, update } = await treesOf(source, 'checkout-only');
    // `index`: the change is made in the index alone (a submodule, which has no files here).
    const commit = async (message: string, change: () => Promise<unknown>, index = false) => {
      await change();
      if (!index) await source.git('add', '--all');
      await source.git('commit', '--quiet', '--allow-empty', '-m', message);
      return (await source.git('rev-parse', 'HEAD')).trim();
    };
    const work = source.dir;
    const shas: Record<string, string> = { initial: source.initialSha };
    shas['deleted, changed, added, a mode, a link'] = await commit('c1', async () => {
      await rm(join(work, 'src', 'deep'), { recursive: true });
      await writeFile(join(work, 'README.md'), 'two\n');
      await mkdir(join(work, 'n', 'm'), { recursive: true });
      await writeFile(join(work, 'n', 'm', 'c.txt'), 'c\n');
      await chmod(join(work, 'run.sh'), 0o755);
      await symlink('README.md', join(work, 'readme-link'));
    });
    shas['a file and a link become directories'] = await commit('c2', async () => {
      await rm(join(work, 'src', 'a.txt'));
      await mkdir(join(work, 'src', 'a.txt'));
      await writeFile(join(work, 'src', 'a.txt', 'inner'), 'i\n');
      await rm(join(work, 'readme-link'));
      await mkdir(join(work, 'readme-link'));
      await writeFile(join(work, 'readme-link', 'x'), 'x\n');
    });
    shas['directories become a file and a link'] = await commit('c3', async () => {
      await rm(join(work, 'src', 'a.txt'), { recursive: true });
      await writeFile(join(work, 'src', 'a.txt'), 'a again\n');
      await rm(join(work, 'n'), { recursive: true });
      await symlink('src', join(work, 'n'));
    });
    shas['a submodule added'] = await commit('c4', () => source.git('update-index', '--add', '--cacheinfo', `160000,${source.initialSha},sub`), true);
    shas['the submodule removed'] = await commit('c5', () => source.git('rm', '--cached', '--quiet', 'sub'), true);
    shas['back to the first commit'] = source.initialSha;
    await exec('git', ['fetch', '--quiet', source.url, '+refs/heads/*:refs/heads/*'], { cwd: join(dir, 'cache-checkout-only') });

    let job = 0;
    // Until the tree has a snapshot (one written within the clock's tick gets none: tree-snapshot.ts).
    const settle = async (sha: string) => {
      for (let i = 0; i < 3; i++) if (/no checkout needed/.test((await update(`j${job++}`, { sha })).progress)) return;
      assert.fail('the tree never got a snapshot');
    };
    let current = source.initialSha;
    await update(`j${job++}`, { sha: current });
    for (const [what, sha] of Object.entries(shas).slice(1)) {
      await settle(current);
      const { tree, progress } = await update(`j${job++}`, { sha });
      assert.match(progress, /checkout only/, what);
      const fresh = new IncrementalTrees({ root: join(dir, `fresh-checkout-only-${job}`), hostEnv: pickHostEnv(process.env) });
      const lease = fresh.lease('p', 'fresh');
      await fresh.update(lease, { cacheDir: join(dir, 'cache-checkout-only'), repoUrl: source.url, sha, caches: [], droneFiles: [], progress: () => {} });
      assert.deepEqual(await listing(tree), await listing(fresh.treePath(lease)), `${what}: as a full update leaves it`);
      assert.equal((await exec('git', ['status', '--porcelain', '--ignored'], { cwd: tree })).stdout, '', `${what}: clean`);
      assert.equal((await exec('git', ['rev-parse', 'HEAD'], { cwd: tree })).stdout.trim(), sha, what);
      fresh.release('fresh');
      await fresh.backgroundDone();
      current = sha;
    }

    // A tree a build changed goes through the clean: what the build left is gone.
    const other = shas['deleted, changed, added, a mode, a link'];
    await settle(current);
    const { tree } = await update(`j${job++}`, { sha: current });
    await writeFile(join(tree, 'out.log'), 'ignored output\n');
    await mkdir(join(tree, 'build'));
    const changed = await update(`j${job++}`, { sha: other });
    assert.doesNotMatch(changed.progress, /checkout only/);
    assert.ok(!(await listing(tree)).some((e) => e.startsWith('out.log') || e.startsWith('build/')), 'the build\'s files are gone');
    // Other caches than the last update's: the full update too.
    await settle(other);
    assert.doesNotMatch((await update(`j${job++}`, { sha: current, caches: ['build'] })).progress, /checkout only/);
    await trees.backgroundDone();
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

/** The refs, objects and state of a build's `.git`, as git reports them (what a build would see). */
async function gitView(tree: string) {
  const git = async (...args: string[]) => (await exec('git', args, { cwd: tree })).stdout;
  await git('fsck', '--connectivity-only', '--no-progress');
  return {
    refs: (await git('for-each-ref', '--format=%(refname) %(objectname) %(*objectname) %(symref)')).split('\n').sort(),
    head: (await git('rev-parse', 'HEAD')).trim(),
    status: await git('status', '--porcelain', '--ignored'),
    url: (await git('config', '--get', 'remote.origin.url')).trim(),
  };
}

/** What a new build's `.git` of the cache as it is now holds: a tree updated by trees that never saw this slot. */
async function freshView(source: GitRepo, cacheDir: string, sha: string, name: string) {
  const fresh = new IncrementalTrees({ root: join(dir, `fresh-${name}`), hostEnv: pickHostEnv(process.env) });
  const lease = fresh.lease('p', 'fresh');
  await fresh.update(lease, { cacheDir, repoUrl: source.url, sha, caches: [], droneFiles: [], progress: () => {} });
  const view = await gitView(fresh.treePath(lease));
  fresh.release('fresh');
  await fresh.backgroundDone();
  return view;
}

it('keeps the build\'s .git no build touched, brought along to new commits, branches, tags and a repacked cache', async () => {
  const source = await createGitRepo({ files: { 'README.md': 'one\n' } });
  try {
    const { trees, update, cacheDir } = await treesOf(source, 'kept-git');
    const fetch = () => exec('git', ['fetch', '--quiet', '--prune', source.url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], { cwd: cacheDir });
    const first = await update('j1');
    const gitDirOf = async () => (await stat(join(first.tree, '.git'))).ino;
    // Held open, the first .git's inode stays taken after a deletion: a new .git cannot get it.
    const held = await open(join(first.tree, '.git'), 'r');
    const made = await gitDirOf();

    await update('j2');
    assert.equal(await gitDirOf(), made, 'the same commit again: the same .git');
    assert.deepEqual(await gitView(first.tree), await freshView(source, cacheDir, source.initialSha, 'same'));

    // New commits, a new branch and a tag, fetched into the cache (loose objects).
    const second = await source.commit({ files: { 'b.txt': 'b\n' } });
    const feature = await source.commit({ branch: 'feature/y', files: { 'y.txt': 'y\n' } });
    await source.git('tag', 'v2', second);
    await fetch();
    await update('j3', { sha: second });
    assert.equal(await gitDirOf(), made, 'brought along, not made anew');
    const view = await gitView(first.tree);
    assert.equal(view.head, second);
    assert.ok(view.refs.some((r) => r.startsWith(`refs/remotes/origin/feature/y ${feature}`)), 'the new branch');
    assert.ok(view.refs.some((r) => r.startsWith(`refs/tags/v2 ${second}`)), 'the new tag');
    assert.deepEqual(view, await freshView(source, cacheDir, second, 'later'));
    assert.equal(await readFile(join(first.tree, 'b.txt'), 'utf8'), 'b\n');

    // A branch deleted, and the cache repacked with its loose objects pruned.
    await source.deleteBranch('feature/y');
    await fetch();
    await exec('git', ['gc', '--quiet', '--prune=now'], { cwd: cacheDir });
    await update('j4', { sha: second });
    assert.equal(await gitDirOf(), made);
    const repacked = await gitView(first.tree);
    assert.ok(!repacked.refs.some((r) => r.includes('feature/y')), 'the deleted branch is gone');
    assert.deepEqual(repacked, await freshView(source, cacheDir, second, 'repacked'));
    const objects = await readdir(join(first.tree, '.git', 'objects'));
    for (const d of objects.filter((n) => /^[0-9a-f]{2}$/.test(n))) {
      assert.deepEqual(await readdir(join(first.tree, '.git', 'objects', d)), [], `the loose objects the cache pruned are unlinked (${d})`);
    }

    // An object file of the cache that cannot be linked (a directory in its place here; a
    // file a `git gc` removed while it was being linked, in life): the refresh fails half-way,
    // and the build gets a new .git (a clone, as the cache's layout is not the usual one).
    await mkdir(join(cacheDir, 'objects', 'ab', 'c'.repeat(38)), { recursive: true });
    const failed = await update('j5', { sha: second });
    assert.notEqual(await gitDirOf(), made, 'made anew');
    assert.doesNotMatch(failed.progress, /could not be updated/, 'only the .git, not the whole workspace');
    // (No fsck: the clone copied the cache's odd directory, which fsck rightly names.)
    assert.equal((await exec('git', ['rev-parse', 'HEAD'], { cwd: first.tree })).stdout.trim(), second);
    assert.equal((await exec('git', ['status', '--porcelain', '--ignored'], { cwd: first.tree })).stdout, '');
    await rm(join(cacheDir, 'objects', 'ab'), { recursive: true });
    await held.close();
    await trees.backgroundDone();
  } finally {
    await source.cleanup();
  }
});

it('makes the build\'s .git anew after a build changed anything in it, and never writes through a link a build left there', async () => {
  const source = await createGitRepo({ files: { 'README.md': 'one\n' } });
  try {
    const { trees, update } = await treesOf(source, 'touched-git');
    const { tree } = await update('j0');
    const dotGit = join(tree, '.git');
    const outside = join(dir, 'touched-git-outside.txt');
    const git = (...args: string[]) => exec('git', args, { cwd: tree });
    const changes: Record<string, () => Promise<unknown>> = {
      'a tag': () => git('tag', 'mine'),
      'a config value': () => git('config', 'user.name', 'build'),
      'a hook': () => writeFile(join(dotGit, 'hooks-pre-commit'), '#!/bin/sh\n'),
      'a fetch (FETCH_HEAD)': () => git('fetch', '--quiet', 'origin'),
      'a commit': async () => {
        await writeFile(join(tree, 'c.txt'), 'c\n');
        await git('add', 'c.txt');
        await git('-c', 'user.name=B', '-c', 'user.email=b@b', 'commit', '--quiet', '-m', 'by the build');
      },
      'packed-refs rewritten with the same size': async () => {
        const text = await readFile(join(dotGit, 'packed-refs'), 'utf8');
        await writeFile(join(dotGit, 'packed-refs'), text.replace(/[0-9a-f]{40}/, (sha) => `${sha.slice(0, 39)}${sha[39] === '0' ? '1' : '0'}`));
      },
      'a directory replaced by a link': async () => {
        await mkdir(join(dir, 'touched-git-tags'), { recursive: true });
        await rm(join(dotGit, 'refs', 'tags'), { recursive: true });
        await symlink(join(dir, 'touched-git-tags'), join(dotGit, 'refs', 'tags'));
      },
      'an object file replaced by a copy': async () => {
        const packs = join(dotGit, 'objects', 'pack');
        const loose = (await readdir(join(dotGit, 'objects'))).filter((d) => /^[0-9a-f]{2}$/.test(d));
        const [file] = loose.length > 0
          ? [join(dotGit, 'objects', loose[0], (await readdir(join(dotGit, 'objects', loose[0])))[0])]
          : [join(packs, (await readdir(packs)).find((f) => f.endsWith('.pack'))!)];
        const bytes = await readFile(file);
        const { mtime, atime } = await stat(file);
        await rm(file);
        await writeFile(file, bytes, { mode: 0o444 });
        await utimes(file, atime, mtime);
      },
      'a directory\'s mode': () => chmod(join(dotGit, 'refs'), 0o700),
      'HEAD a link to a file outside': async () => {
        await writeFile(outside, 'not the drone\'s to write\n');
        await rm(join(dotGit, 'HEAD'));
        await symlink(outside, join(dotGit, 'HEAD'));
      },
      'the index a link to a file outside': async () => {
        await writeFile(outside, 'not the drone\'s to write\n');
        await rm(join(dotGit, 'index'));
        await symlink(outside, join(dotGit, 'index'));
      },
    };
    let job = 1;
    for (const [what, change] of Object.entries(changes)) {
      // Held open while it is replaced, so that the new .git cannot get its inode.
      const held = await open(dotGit, 'r');
      const before = (await stat(dotGit)).ino;
      await change();
      await update(`j${job++}`);
      await held.close();
      if (what.includes('outside')) {
        assert.equal(await readFile(outside, 'utf8'), 'not the drone\'s to write\n', `${what}: written through`);
        assert.ok((await lstat(join(dotGit, what.startsWith('HEAD') ? 'HEAD' : 'index'))).isFile(), `${what}: replaced by a file`);
      } else {
        assert.notEqual((await stat(dotGit)).ino, before, `${what}: a new .git`);
      }
      const view = await gitView(tree);
      assert.equal(view.head, source.initialSha, what);
      assert.equal(view.status, '', `${what}: a clean tree`);
      assert.ok(!view.refs.some((r) => r.startsWith('refs/tags/mine ')), `${what}: no tag of a build`);
      assert.equal((await git('config', '--local', '--get', 'user.name').catch(() => ({ stdout: '' }))).stdout, '', `${what}: no config of a build`);
      await assert.rejects(stat(join(dotGit, 'FETCH_HEAD')), `${what}: no FETCH_HEAD`);
      assert.equal((await readdir(join(dotGit, 'refs'))).length, 3);
      // Left as made: the next update keeps it.
      const kept = (await stat(dotGit)).ino;
      await update(`j${job++}`);
      assert.equal((await stat(dotGit)).ino, kept, `after ${what}: kept again`);
    }
    await trees.backgroundDone();
  } finally {
    await source.cleanup();
  }
});
