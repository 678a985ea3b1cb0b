/**
 * A file at a commit read from loose objects (server/git/loose-commit-file.ts) answers as
 * `git cat-file` does (read-blob.ts) for every kind of path, and a commit's parents as
 * `git rev-list --parents` lists them, on a real repository; packed objects, short ids
 * and blobs past the limit are left to git.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { looseCommitSubject } from '../../drone/commit-subject.ts';
import { looseCommitFile, looseCommitParents } from '../../server/git/loose-commit-file.ts';
import { readBlob } from '../../server/git/read-blob.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);
const LIMIT = 64 * 1024;
let repo: GitRepo;
let sha: string;
let gitDir: string;

before(async () => {
  repo = await createGitRepo({
    files: {
      '.hive.yml': 'phases:\n  test: [make test]\n',
      'src/app/main.c': 'int main() { return 0; }\n',
      'docs/ü n i c ø d e.md': 'ü\n',
      'empty.txt': '',
      'big.txt': 'x'.repeat(LIMIT + 1),
      'zeros.bin': '\0'.repeat(4 * 1024 * 1024),
    },
  });
  await exec('ln', ['-s', 'src/app/main.c', join(repo.dir, 'link.c')]);
  await exec('chmod', ['+x', join(repo.dir, 'src/app/main.c')]);
  await repo.git('add', '--all');
  await repo.git('update-index', '--add', '--cacheinfo', `160000,${repo.initialSha},vendor/sub`);
  await repo.git('commit', '--quiet', '-m', 'kinds of paths');
  sha = (await repo.git('rev-parse', 'HEAD')).trim();
  gitDir = join(repo.dir, '.git');
});
after(() => repo?.cleanup());

const viaGit = (path: string) => readBlob(repo.dir, { PATH: process.env.PATH! }, `${sha}:${path}`, LIMIT);

it('reads what git reads, for each kind of path, from loose objects', async () => {
  const paths = [
    '.hive.yml', 'src/app/main.c', 'docs/ü n i c ø d e.md', 'empty.txt', 'link.c',
    'src', 'src/app', 'vendor/sub', 'absent.yml', 'src/absent', 'src/app/main.c/deeper', 'nope/at/all',
  ];
  for (const path of paths) {
    const loose = await looseCommitFile(gitDir, sha, path, LIMIT);
    assert.notEqual(loose, undefined, `${path}: read without git`);
    assert.deepEqual(loose, await viaGit(path), path);
  }
  assert.equal(await looseCommitSubject(gitDir, sha), 'kinds of paths');
});

it('reads a commit\'s parents as git lists them: a merge commit\'s two, a root commit\'s none', async () => {
  const side = await repo.commit({ branch: 'side', from: sha, files: { 'side.txt': 'side\n' } });
  await repo.git('checkout', '--quiet', repo.defaultBranch);
  await repo.git('merge', '--quiet', '--no-ff', '-m', 'merge side', 'side');
  const merge = (await repo.git('rev-parse', 'HEAD')).trim();
  for (const commit of [merge, side, repo.initialSha]) {
    const listed = (await repo.git('rev-list', '--parents', '-n', '1', commit)).trim().split(/\s+/).slice(1);
    assert.deepEqual(await looseCommitParents(gitDir, commit), listed, commit);
  }
  assert.equal((await looseCommitParents(gitDir, merge))!.length, 2);
  assert.deepEqual(await looseCommitParents(gitDir, repo.initialSha), []);
  assert.equal(await looseCommitParents(gitDir, (await repo.git('rev-parse', `${merge}^{tree}`)).trim()), undefined, 'a tree is no commit');
  assert.equal(await looseCommitParents(gitDir, merge.slice(0, 20)), undefined);
});

it('leaves to git what is past the limit, damaged, packed or not named by a full id and plain path', async () => {
  // Past the limit (a 4 MiB file that compresses to a few KiB is not inflated whole either).
  for (const path of ['big.txt', 'zeros.bin']) {
    assert.equal(await looseCommitFile(gitDir, sha, path, LIMIT), undefined, path);
    assert.equal((await viaGit(path)).kind, 'too-large');
  }
  assert.equal(await looseCommitFile(gitDir, sha.slice(0, 12), '.hive.yml', LIMIT), undefined, 'a short id');
  assert.equal(await looseCommitFile(gitDir, sha.toUpperCase(), '.hive.yml', LIMIT), undefined, 'not as git names it');
  for (const path of ['/.hive.yml', 'src//app/main.c', './.hive.yml', 'src/../.hive.yml']) {
    assert.equal(await looseCommitFile(gitDir, sha, path, LIMIT), undefined, path);
  }
  // A damaged object file: git's to say (here, the blob's, put back afterwards).
  const blob = (await repo.git('rev-parse', `${sha}:.hive.yml`)).trim();
  const file = join(gitDir, 'objects', blob.slice(0, 2), blob.slice(2));
  const intact = await readFile(file);
  await chmod(file, 0o644);
  await writeFile(file, intact.subarray(0, intact.length - 4));
  assert.equal(await looseCommitFile(gitDir, sha, '.hive.yml', LIMIT), undefined, 'a damaged blob');
  await writeFile(file, intact);
  assert.equal((await looseCommitFile(gitDir, sha, '.hive.yml', LIMIT))?.kind, 'blob');
  // Packed: nothing loose is left to read.
  await repo.git('gc', '--quiet', '--prune=now');
  assert.equal(await looseCommitFile(gitDir, sha, '.hive.yml', LIMIT), undefined);
  assert.equal(await looseCommitSubject(gitDir, sha), undefined);
  assert.equal(await looseCommitParents(gitDir, sha), undefined);
  assert.equal((await viaGit('.hive.yml')).kind, 'blob');
});
