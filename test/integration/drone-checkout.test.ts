import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CheckoutError, RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { serveRepoOverHttp } from '../helpers/git-http-server.ts';
import type { GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);

const headOf = async (dir: string) => (await exec('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();

describe('RepoCache.checkout', () => {
  let dataDir: string;
  let repo: GitRepo;
  let cache: RepoCache;
  let first: string;
  let second: string;

  before(async () => {
    dataDir = await mkdtemp(join(os.tmpdir(), 'hive-drone-checkout-'));
    repo = await createGitRepo({ files: { 'README.md': 'v1\n', 'src/app.txt': 'app v1\n' } });
    first = repo.initialSha;
    second = await repo.commit({ files: { 'README.md': 'v2\n' }, message: 'second' });
    cache = new RepoCache({ dataDir, hostEnv: pickHostEnv(process.env) });
  });
  after(async () => {
    await repo.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('checks out the tip of a branch into a clean workspace and reports progress', async () => {
    const lines: string[] = [];
    const result = await cache.checkout({
      jobId: 'job-branch',
      checkout: { repoUrl: repo.url, sha: second, branch: 'main' },
      onProgress: (l) => lines.push(l),
    });
    assert.equal(result.sha, second);
    assert.equal(result.workspace, join(dataDir, 'work', 'job-branch'));
    assert.equal(await readFile(join(result.workspace, 'README.md'), 'utf8'), 'v2\n');
    assert.equal(await headOf(result.workspace), second);
    assert.equal(lines[0], `Fetching ${repo.url} (branch main)`);
    assert.match(lines.at(-1)!, new RegExp(`^Checked out ${second.slice(0, 7)} second$`));
    // The workspace's remote is the real repository, not the cache.
    const remote = (await exec('git', ['remote', 'get-url', 'origin'], { cwd: result.workspace })).stdout.trim();
    assert.equal(remote, repo.url);
    // A local clone, not one borrowing objects through alternates.
    await assert.rejects(stat(join(result.workspace, '.git/objects/info/alternates')));
    // As `git clone` of the cache leaves it (the .git is made by hand where the cache
    // allows): nothing changed, the same refs, every object there.
    const gitIn = async (dir: string, ...args: string[]) => (await exec('git', args, { cwd: dir })).stdout;
    assert.equal(await gitIn(result.workspace, 'status', '--porcelain'), '');
    const cloned = join(dataDir, 'clone-for-comparison');
    await exec('git', ['clone', '--quiet', '--no-checkout', cache.cachePath(repo.url), cloned]);
    const refsOf = async (dir: string) => (await gitIn(dir, 'for-each-ref', '--format=%(refname) %(objectname) %(symref)')).trim();
    assert.equal(await refsOf(result.workspace), await refsOf(cloned));
    assert.match(await refsOf(result.workspace), /^refs\/remotes\/origin\/main /m);
    await gitIn(result.workspace, 'fsck', '--no-progress', '--connectivity-only');
    await assert.rejects(stat(join(result.workspace, '.git', 'description')), 'made by hand, not from git\'s template');
    await rm(cloned, { recursive: true, force: true });
    await cache.removeWorkspace('job-branch');
    await assert.rejects(stat(result.workspace));
  });

  it('clones the cache when its layout is not one whose .git it makes by hand', async () => {
    const other = await createGitRepo({ files: { 'other.txt': 'other\n' } });
    const otherCache = new RepoCache({ dataDir: await mkdtemp(join(os.tmpdir(), 'hive-drone-checkout-ext-')), hostEnv: pickHostEnv(process.env) });
    try {
      const checkout = { repoUrl: other.url, sha: other.initialSha, branch: 'main' };
      await otherCache.checkout({ jobId: 'job-ext-1', checkout });
      await otherCache.removeWorkspace('job-ext-1');
      // A repository extension (build-git-dir.ts handles none): git's own clone then.
      const cacheDir = otherCache.cachePath(other.url);
      await exec('git', ['config', 'core.repositoryformatversion', '1'], { cwd: cacheDir });
      await exec('git', ['config', 'extensions.noop', 'true'], { cwd: cacheDir });
      const result = await otherCache.checkout({ jobId: 'job-ext-2', checkout });
      assert.equal(await headOf(result.workspace), other.initialSha);
      assert.equal(await readFile(join(result.workspace, 'other.txt'), 'utf8'), 'other\n');
      // Cloned by git, which fills the .git from its template (the one made by hand has no description).
      await stat(join(result.workspace, '.git', 'description'));
      assert.equal((await exec('git', ['remote', 'get-url', 'origin'], { cwd: result.workspace })).stdout.trim(), other.url);
      await otherCache.removeWorkspace('job-ext-2');
    } finally {
      await other.cleanup();
    }
  });

  it('checks out an exact older sha of a branch', async () => {
    const result = await cache.checkout({ jobId: 'job-old', checkout: { repoUrl: repo.url, sha: first, branch: 'main' } });
    assert.equal(await headOf(result.workspace), first);
    assert.equal(await readFile(join(result.workspace, 'README.md'), 'utf8'), 'v1\n');
  });

  it('checks out a pull request through its refspec', async () => {
    const pr = await repo.commit({ files: { 'feature.txt': 'pr\n' }, branch: 'contributor', from: second, message: 'pr work' });
    const merge = await repo.commit({ files: { 'merged.txt': 'merge\n' }, branch: 'pr-merge', from: pr, message: 'merge pr' });
    await repo.setRef('refs/pull/7/merge', merge);
    // Only the pull-request ref leads to the merge commit, as on a forge.
    await repo.deleteBranch('pr-merge');
    await repo.deleteBranch('contributor');
    const lines: string[] = [];
    const result = await cache.checkout({
      jobId: 'job-pr',
      checkout: { repoUrl: repo.url, sha: merge, refspec: '+refs/pull/7/merge' },
      onProgress: (l) => lines.push(l),
    });
    assert.equal(await headOf(result.workspace), merge);
    assert.equal(await readFile(join(result.workspace, 'merged.txt'), 'utf8'), 'merge\n');
    assert.equal(lines[0], `Fetching ${repo.url} (refs/pull/7/merge)`);
    assert.equal(lines.length, 3, `fetched more than the refspec: ${lines.join(' | ')}`);
  });

  it('checks out a GitLab merge-request ref given without "+" and a destination', async () => {
    const mr = await repo.commit({ files: { 'mr.txt': 'mr\n' }, branch: 'mr-3', from: first, message: 'mr' });
    await repo.setRef('refs/merge-requests/3/head', mr);
    const result = await cache.checkout({ jobId: 'job-mr', checkout: { repoUrl: repo.url, sha: mr, refspec: 'refs/merge-requests/3/head' } });
    assert.equal(await headOf(result.workspace), mr);
  });

  it('fetches the new commits of a branch on the next job', async () => {
    const third = await repo.commit({ files: { 'README.md': 'v3\n' }, message: 'third' });
    const result = await cache.checkout({ jobId: 'job-new', checkout: { repoUrl: repo.url, sha: third, branch: 'main' } });
    assert.equal(await readFile(join(result.workspace, 'README.md'), 'utf8'), 'v3\n');
  });

  it('runs concurrent checkouts of one repository safely', async () => {
    const results = await Promise.all(
      ['c1', 'c2', 'c3'].map((id) => cache.checkout({ jobId: id, checkout: { repoUrl: repo.url, sha: first, branch: 'main' } })),
    );
    for (const r of results) assert.equal(await headOf(r.workspace), first);
  });

  it('checks out a commit fetched with the same credentials before without fetching; other credentials fetch', async () => {
    const sha = await repo.commit({ files: { 'again.txt': 'again\n' }, message: 'again' });
    await cache.checkout({ jobId: 'job-known-1', checkout: { repoUrl: repo.url, sha, branch: 'main' } });
    // The repository is out of reach now: only a checkout that fetches nothing can succeed.
    const away = `${repo.dir}-away`;
    await rename(repo.dir, away);
    try {
      const lines: string[] = [];
      const again = await cache.checkout({ jobId: 'job-known-2', checkout: { repoUrl: repo.url, sha, branch: 'main' }, onProgress: (l) => lines.push(l) });
      assert.equal(await headOf(again.workspace), sha);
      assert.equal(lines[0], `Commit ${sha.slice(0, 12)} is in the drone's cache already; not fetched again`);
      // Another job's credentials never fetched it here: it fetches (and fails, the repository gone).
      await assert.rejects(
        cache.checkout({ jobId: 'job-known-3', checkout: { repoUrl: repo.url, sha, branch: 'main', credentials: { password: 'other' } } }),
        /could not fetch/,
      );
    } finally {
      await rename(away, repo.dir);
    }
  });

  it('fetches a known commit that has gone from the cache, and checks it out', async () => {
    const sha = await repo.commit({ files: { 'gone.txt': 'gone\n' }, message: 'gone soon' });
    await cache.checkout({ jobId: 'job-gone-1', checkout: { repoUrl: repo.url, sha, branch: 'main' } });
    // What a gc after a force-push does: the commit leaves the cache.
    const cacheDir = cache.cachePath(repo.url);
    const git = (...args: string[]) => exec('git', args, { cwd: cacheDir });
    await git('update-ref', '-d', 'refs/heads/main');
    await git('-c', 'gc.reflogExpire=now', '-c', 'gc.reflogExpireUnreachable=now', 'gc', '--quiet', '--prune=now');
    await assert.rejects(git('cat-file', '-e', `${sha}^{commit}`), 'the commit is gone from the cache');
    const lines: string[] = [];
    const result = await cache.checkout({ jobId: 'job-gone-2', checkout: { repoUrl: repo.url, sha, branch: 'main' }, onProgress: (l) => lines.push(l) });
    assert.equal(await headOf(result.workspace), sha);
    assert.match(lines[0], /is in the drone's cache already/);
    assert.ok(lines.some((l) => l.startsWith('Checking out the cached commit failed')), lines.join(' | '));
    assert.ok(lines.includes(`Fetching ${repo.url} (branch main)`), lines.join(' | '));
  });

  it('fails clearly on a bad URL', async () => {
    const url = 'file:///nonexistent/hive/repo.git';
    await assert.rejects(
      cache.checkout({ jobId: 'job-bad-url', checkout: { repoUrl: url, sha: first, branch: 'main' } }),
      (err: unknown) => {
        assert.ok(err instanceof CheckoutError);
        assert.match(err.message, /^could not fetch file:\/\/\/nonexistent\/hive\/repo\.git: .*does not appear to be a git repository/);
        assert.ok(err.cause, 'carries git\'s error as its cause');
        return true;
      },
    );
    await assert.rejects(stat(join(dataDir, 'work', 'job-bad-url')));
  });

  it('authenticates over HTTPS-style Basic auth with a token, through askpass', async () => {
    const http = await serveRepoOverHttp(repo, { username: 'x-access-token', password: 'tok-3n7-secret' });
    try {
      const result = await cache.checkout({
        jobId: 'job-http',
        checkout: { repoUrl: http.url, sha: first, branch: 'main', credentials: { password: 'tok-3n7-secret' } },
      });
      assert.equal(await headOf(result.workspace), first);
      // The token reached the server, yet is nowhere in the workspace's config.
      assert.ok(http.authorizations.some((a) => a.startsWith('Basic ')));
      const config = await readFile(join(result.workspace, '.git/config'), 'utf8');
      assert.ok(!config.includes('tok-3n7-secret'));

      await assert.rejects(
        cache.checkout({
          jobId: 'job-http-wrong',
          checkout: { repoUrl: http.url, sha: first, branch: 'main', credentials: { password: 'wrong-token' } },
        }),
        (err: unknown) => {
          assert.ok(err instanceof CheckoutError);
          assert.match(err.message, /Authentication failed|401/);
          assert.ok(!err.message.includes('wrong-token'));
          return true;
        },
      );
      // Without credentials git must fail at once instead of prompting.
      await assert.rejects(
        cache.checkout({ jobId: 'job-http-none', checkout: { repoUrl: http.url, sha: first, branch: 'main' } }),
        CheckoutError,
      );
    } finally {
      await http.close();
    }
  });

  it('never shows credentials in errors', async () => {
    const url = 'http://127.0.0.1:9/repo.git';
    await assert.rejects(
      cache.checkout({ jobId: 'job-creds', checkout: { repoUrl: url, sha: first, credentials: { username: 'u', password: 'sup3r-s3cret' } } }),
      (err: unknown) => {
        assert.ok(err instanceof CheckoutError);
        assert.ok(!JSON.stringify({ m: err.message, c: String(err.cause) }).includes('sup3r-s3cret'));
        return true;
      },
    );
  });

  it('fails clearly when the commit does not exist', async () => {
    const missing = 'deadbeef'.repeat(5);
    await assert.rejects(
      cache.checkout({ jobId: 'job-missing', checkout: { repoUrl: repo.url, sha: missing, branch: 'main' } }),
      (err: unknown) => {
        assert.ok(err instanceof CheckoutError);
        assert.equal(
          err.message,
          `commit ${missing} not found in ${repo.url} after fetching +refs/heads/main:refs/heads/main, +refs/heads/*:refs/heads/*, +refs/tags/*:refs/tags/*`,
        );
        return true;
      },
    );
  });

  it('rejects values git would read as options', async () => {
    await assert.rejects(cache.checkout({ jobId: 'x', checkout: { repoUrl: '--upload-pack=touch /tmp/pwned', sha: first } }), CheckoutError);
    await assert.rejects(cache.checkout({ jobId: 'x', checkout: { repoUrl: repo.url, sha: '--all' } }), /invalid commit sha/);
    await assert.rejects(cache.checkout({ jobId: 'x', checkout: { repoUrl: repo.url, sha: first, branch: '-x' } }), /invalid branch/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      cache.checkout({ jobId: 'job-abort', checkout: { repoUrl: repo.url, sha: first, branch: 'main' }, signal: controller.signal }),
      CheckoutError,
    );
  });
});
