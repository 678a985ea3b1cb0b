/**
 * A branch of a repository on the queen's disk read from its files (server/git/
 * local-branch-tip.ts) answers what `git ls-remote` answers — loose and packed refs, a
 * work tree and a bare repository, names with slashes — and leaves to git (undefined)
 * every layout it does not read: a symbolic ref, extensions, a linked work tree, another
 * owner, a missing branch, a URL that is not local.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { localBranchTip } from '../../server/git/local-branch-tip.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);
let repo: GitRepo;
let dir: string;

/** What git itself says, for comparison. */
async function lsRemote(url: string, ref: string): Promise<string | undefined> {
  const { stdout } = await exec('git', ['ls-remote', url, ref]);
  return stdout.split('\n').map((l) => l.split('\t')).find(([, name]) => name === ref)?.[0];
}

before(async () => {
  repo = await createGitRepo({ files: { README: 'local\n' } });
  dir = await mkdtemp(join(tmpdir(), 'hive-local-tip-'));
});
after(async () => {
  await repo.cleanup();
  await rm(dir, { recursive: true, force: true });
});

it('reads loose and packed refs of a work tree as ls-remote does, by file URL and by path', async () => {
  const feature = await repo.commit({ branch: 'feature/deep/x', files: { f: '1' } });
  const main = `refs/heads/${repo.defaultBranch}`;
  for (const url of [repo.url, repo.dir]) {
    assert.equal(localBranchTip(url, main), await lsRemote(repo.url, main));
    assert.equal(localBranchTip(url, 'refs/heads/feature/deep/x'), feature);
  }
  await exec('git', ['pack-refs', '--all'], { cwd: repo.dir });
  assert.equal(localBranchTip(repo.url, main), await lsRemote(repo.url, main), 'packed');
  assert.equal(localBranchTip(repo.url, 'refs/heads/feature/deep/x'), feature, 'packed, with slashes');
  // A loose ref written after packing wins over the packed one, as in git.
  const moved = await repo.commit({ files: { moved: '1' } });
  assert.equal(localBranchTip(repo.url, main), moved);
  assert.equal(moved, await lsRemote(repo.url, main));
});

it('reads a bare repository', async () => {
  const bare = join(dir, 'bare.git');
  await exec('git', ['clone', '--quiet', '--bare', repo.dir, bare]);
  const main = `refs/heads/${repo.defaultBranch}`;
  assert.equal(localBranchTip(pathToFileURL(bare).href, main), await lsRemote(bare, main));
});

it('leaves to git what it does not read', async () => {
  const main = `refs/heads/${repo.defaultBranch}`;
  assert.equal(localBranchTip(repo.url, 'refs/heads/no-such-branch'), undefined, 'a missing branch');
  assert.equal(localBranchTip(repo.url, 'refs/heads/../../HEAD'), undefined, 'a name outside refs/heads');
  assert.equal(localBranchTip(repo.url, 'HEAD'), undefined, 'not a branch');
  assert.equal(localBranchTip('https://example.invalid/repo.git', main), undefined, 'not local');
  assert.equal(localBranchTip(`file://elsewhere${repo.dir}`, main), undefined, 'a file URL of another host');

  const other = await createGitRepo({ files: { README: 'other\n' } });
  try {
    const otherMain = `refs/heads/${other.defaultBranch}`;
    assert.ok(localBranchTip(other.url, otherMain), 'read before the changes below');
    // A symbolic ref.
    await exec('git', ['symbolic-ref', 'refs/heads/alias', otherMain], { cwd: other.dir });
    assert.equal(localBranchTip(other.url, 'refs/heads/alias'), undefined, 'a symbolic ref');
    // Another owner: git would not serve it without safe.directory.
    await chown(other.dir, 54321, 54321);
    assert.equal(localBranchTip(other.url, otherMain), undefined, 'another owner');
    await chown(other.dir, process.getuid!(), process.getgid!());
    // Extensions (reftable, SHA-256, …).
    await appendFile(join(other.dir, '.git', 'config'), '[extensions]\n\tworktreeConfig = true\n');
    assert.equal(localBranchTip(other.url, otherMain), undefined, 'extensions');
  } finally {
    await other.cleanup();
  }

  // A linked work tree: its .git is a file.
  const linked = join(dir, 'linked');
  await exec('git', ['worktree', 'add', '--quiet', '--detach', linked], { cwd: repo.dir });
  assert.equal(localBranchTip(pathToFileURL(linked).href, main), undefined, 'a linked work tree');
  await writeFile(join(dir, 'not-a-repo'), 'x');
  assert.equal(localBranchTip(pathToFileURL(join(dir, 'not-a-repo')).href, main), undefined, 'not a repository');
});
