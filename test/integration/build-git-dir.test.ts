/**
 * The build's `.git` of an incremental workspace, made by hand from the drone's cache,
 * holds what `git clone --no-checkout` of the cache holds: the same refs (branches as
 * origin's, tags — annotated ones peeled — the local branch and origin/HEAD), every object
 * (hardlinked), the repository's real URL as origin; and a cache it does not know how to
 * read is left to git (false, nothing assumed).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { makeBuildGitDir } from '../../drone/workspaces/build-git-dir.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };
const git = async (cwd: string, ...args: string[]) => (await exec('git', args, { cwd, env: GIT_ENV, maxBuffer: 64 << 20 })).stdout;
/** Runs git with `input` on its stdin; its stdout. */
const gitWithInput = (cwd: string, input: string, ...args: string[]) => new Promise<string>((resolve, reject) => {
  const child = execFile('git', args, { cwd, env: GIT_ENV, maxBuffer: 64 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  child.stdin!.end(input);
});

let repo: GitRepo;
let dir: string;
const REPO_URL = 'https://git.example.com/team/"quoted"\\app.git';

before(async () => {
  repo = await createGitRepo({ files: { 'README.md': 'one\n', 'src/a.txt': 'a\n' } });
  await repo.commit({ files: { 'src/b.txt': 'b\n' } });
  await repo.commit({ branch: 'feature/x', files: { 'f.txt': 'f\n' } });
  await repo.tag('light', repo.initialSha);
  await repo.git('-c', 'user.name=T', '-c', 'user.email=t@t', 'tag', '-a', '-m', 'release', 'v1.0', repo.initialSha);
  dir = await mkdtemp(join(tmpdir(), 'hive-build-git-'));
});
after(async () => {
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A drone-style cache: `git init --bare`, then a fetch of every branch and tag. */
async function cache(name: string, { packRefs = false, head = 'nothing-here' } = {}): Promise<string> {
  const path = join(dir, name);
  await exec('git', ['init', '--quiet', '--bare', path], { env: GIT_ENV });
  // A cache's HEAD is whatever `git init` made it: a branch the repository may not have.
  await git(path, 'symbolic-ref', 'HEAD', `refs/heads/${head}`);
  await git(path, 'fetch', '--quiet', '--prune', '--no-tags', repo.url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*');
  if (packRefs) await git(path, 'pack-refs', '--all');
  return path;
}

/** Everything a build can see of a repository's refs and history. */
async function describe(gitDir: string) {
  const cwd = join(gitDir, '..');
  const refs = await git(cwd, `--git-dir=${gitDir}`, 'for-each-ref', '--format=%(refname) %(objectname) %(*objectname) %(symref)');
  const objects = await git(cwd, `--git-dir=${gitDir}`, 'rev-list', '--all', '--objects');
  await git(cwd, `--git-dir=${gitDir}`, 'fsck', '--connectivity-only', '--no-progress');
  const url = (await git(cwd, `--git-dir=${gitDir}`, 'config', '--get', 'remote.origin.url')).trim();
  const fetch = (await git(cwd, `--git-dir=${gitDir}`, 'config', '--get', 'remote.origin.fetch')).trim();
  const head = (await git(cwd, `--git-dir=${gitDir}`, 'symbolic-ref', 'HEAD')).trim();
  return { refs: refs.split('\n').sort(), objects: objects.split('\n').sort(), url, fetch, head };
}

for (const [packRefs, withHead] of [[false, true], [true, false]]) {
  it(`holds what a clone of the cache holds (${packRefs ? 'packed' : 'loose'} refs, HEAD ${withHead ? 'on a branch it has' : 'unborn'})`, async () => {
    const cacheDir = await cache(`cache-${packRefs}`, { packRefs, head: withHead ? repo.defaultBranch : 'nothing-here' });
    const made = join(dir, `made-${packRefs}`, '.git');
    assert.ok(await makeBuildGitDir(cacheDir, REPO_URL, made));
    const cloned = join(dir, `cloned-${packRefs}`);
    await exec('git', ['clone', '--quiet', '--no-checkout', '--template=', cacheDir, cloned], { env: GIT_ENV });
    await git(cloned, 'remote', 'set-url', 'origin', REPO_URL);
    const ours = await describe(made);
    const theirs = await describe(join(cloned, '.git'));
    assert.deepEqual(ours, theirs);
    assert.equal(ours.url, REPO_URL, 'origin is the repository, quoted as git reads it');
    assert.equal(ours.refs.some((r) => r.startsWith(`refs/heads/${repo.defaultBranch} `)), withHead, 'the local branch is the one HEAD names, if the cache has it');
    assert.equal(ours.refs.some((r) => r.startsWith('refs/remotes/origin/HEAD ')), withHead);
    assert.ok(ours.refs.some((r) => r.startsWith('refs/remotes/origin/feature/x ')), 'every branch, nested names too');
    const [tagged] = ours.refs.filter((r) => r.startsWith('refs/tags/v1.0 '));
    assert.ok(tagged.includes(repo.initialSha), 'the annotated tag peels to its commit');
    // Hardlinked, not copied: the same files as the cache's.
    const pack = (await readdir(join(cacheDir, 'objects', 'pack'))).find((f) => f.endsWith('.pack'));
    if (pack) assert.equal((await stat(join(made, 'objects', 'pack', pack))).ino, (await stat(join(cacheDir, 'objects', 'pack', pack))).ino);
  });
}

it('for a container, links nothing and reaches the cache\'s objects through alternates at the mount point', async () => {
  const cacheDir = await cache('cache-mounted', { head: repo.defaultBranch });
  const made = join(dir, 'made-mounted', '.git');
  // The container mounts the cache's objects at the path given; here it is their own path.
  assert.ok(await makeBuildGitDir(cacheDir, REPO_URL, made, join(cacheDir, 'objects')));
  const objectFiles = (await readdir(join(made, 'objects'), { recursive: true })).filter((f) => f !== 'info' && f !== 'pack' && f !== join('info', 'alternates'));
  assert.deepEqual(objectFiles, [], 'no object of the cache in the build\'s .git');
  const cloned = join(dir, 'cloned-mounted');
  await exec('git', ['clone', '--quiet', '--no-checkout', '--template=', cacheDir, cloned], { env: GIT_ENV });
  await git(cloned, 'remote', 'set-url', 'origin', REPO_URL);
  assert.deepEqual(await describe(made), await describe(join(cloned, '.git')), 'the same refs and objects as a clone');
});

it('follows objects and refs a later fetch added (loose objects beside packs)', async () => {
  const cacheDir = await cache('cache-later');
  const sha = await repo.commit({ files: { 'later.txt': 'later\n' } });
  await git(cacheDir, 'fetch', '--quiet', '--prune', '--no-tags', repo.url, '+refs/heads/*:refs/heads/*');
  const made = join(dir, 'made-later', '.git');
  assert.ok(await makeBuildGitDir(cacheDir, REPO_URL, made));
  assert.equal((await git(dir, `--git-dir=${made}`, 'cat-file', '-t', sha)).trim(), 'commit');
  assert.equal((await git(dir, `--git-dir=${made}`, 'rev-parse', `refs/remotes/origin/${repo.defaultBranch}`)).trim(), sha);
  await git(dir, `--git-dir=${made}`, 'fsck', '--connectivity-only', '--no-progress');
});

it('links hundreds of loose objects (through the thread pool) as it links a few', async () => {
  const cacheDir = await cache('cache-many');
  await mkdir(join(dir, 'blobs'));
  const paths = await Promise.all(Array.from({ length: 600 }, async (_, i) => {
    const path = join(dir, 'blobs', `b${i}`);
    await writeFile(path, `blob ${i}\n`);
    return path;
  }));
  const written = (await gitWithInput(cacheDir, paths.join('\n'), 'hash-object', '-w', '--stdin-paths')).trim().split('\n');
  assert.equal(written.length, 600);
  const made = join(dir, 'made-many', '.git');
  assert.ok(await makeBuildGitDir(cacheDir, REPO_URL, made));
  const found = (await gitWithInput(dir, written.join('\n'), `--git-dir=${made}`, 'cat-file', '--batch-check')).trim().split('\n');
  assert.equal(found.filter((l) => / blob \d+$/.test(l)).length, 600, 'every loose object is there');
});

it('leaves caches it does not know how to read to git', async () => {
  const shallow = await cache('cache-shallow');
  await writeFile(join(shallow, 'shallow'), `${repo.initialSha}\n`);
  assert.equal(await makeBuildGitDir(shallow, REPO_URL, join(dir, 'no-1', '.git')), undefined);

  const extensions = await cache('cache-extensions');
  await git(extensions, 'config', 'extensions.partialClone', 'origin');
  assert.equal(await makeBuildGitDir(extensions, REPO_URL, join(dir, 'no-2', '.git')), undefined);

  const writing = await cache('cache-writing');
  await writeFile(join(writing, 'objects', 'pack', 'tmp_pack_abc123'), 'half a pack');
  assert.equal(await makeBuildGitDir(writing, REPO_URL, join(dir, 'no-3', '.git')), undefined);

  const symbolic = await cache('cache-symref');
  await git(symbolic, 'symbolic-ref', 'refs/heads/alias', `refs/heads/${repo.defaultBranch}`);
  assert.equal(await makeBuildGitDir(symbolic, REPO_URL, join(dir, 'no-4', '.git')), undefined);
});
