/**
 * Incremental workspaces end to end (a real queen, a real drone process, real git): a
 * project's builds reuse a work tree the drone keeps, and still see only their commit's
 * files plus the caches the project names — never what an earlier build, an upload or a
 * half-finished update left; two builds at once get two trees; a force-pushed branch, a
 * damaged tree and `fresh` projects work; a container mounts the tree too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { ProcessExecutor } from '../../drone/executors/process.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import { BUSYBOX_IMAGE, dockerSkipReason, removeLabelled } from '../helpers/docker-engine.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { output, runJobForEvents } from '../helpers/run-job.ts';

const exec = promisify(execFile);
const DRONE = `incremental-drone-${process.pid}`;
const dockerSkip = await dockerSkipReason([BUSYBOX_IMAGE]);
/** An image with git (docker-test-engine.sh copies the host's in). */
const GIT_IMAGE = 'hive-test/node-slim:20';
const gitImageSkip = await dockerSkipReason([GIT_IMAGE]);

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let barrier: string;

before(async () => {
  queen = await startTestQueen();
  barrier = await mkdtemp(join(tmpdir(), 'hive-barrier-'));
  repo = await createGitRepo({
    files: {
      'README.md': 'original\n',
      'old.txt': 'to be deleted\n',
      'src/a.txt': 'a\n',
      '.gitignore': '*.log\n*.keep\ncache-dir/\n',
    },
  });
  drone = await connectDrone(queen, { name: DRONE, capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await rm(barrier, { recursive: true, force: true });
  if (!dockerSkip) await removeLabelled(DRONE);
});

async function project(name: string, config: object, extra: object = {}) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, config, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** A trigger, with files as a multipart one. */
async function trigger(projectId: string, job: object = {}, files: [string, string][] = []) {
  if (!files.length) {
    const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, job);
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  }
  const form = new FormData();
  form.append('job', JSON.stringify(job));
  for (const [name, content] of files) form.append('file', new Blob([content]), name);
  const res = await fetch(`${queen.url}/api/projects/${projectId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return (JSON.parse(text) as { id: string }).id;
}

const log = async (jobId: string) => (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;

async function passed(jobId: string): Promise<string> {
  const job = await queen.waitForJob(jobId);
  const text = await log(jobId);
  assert.equal(job.status, 'passed', `${job.message}\n${text}`);
  return text;
}

/** The line after `marker=` in a log. */
const valueOf = (text: string, marker: string) => new RegExp(`^${marker}=(.*)$`, 'm').exec(text)?.[1];

const slotDir = (projectId: string, slot: number) => join(drone.dataDir, 'workspaces', projectId, String(slot));

describe('the project setting', () => {
  it('defaults to incremental, and takes only valid caches', async () => {
    const created = await project('settings', {});
    assert.equal(created.workspace, 'incremental');
    assert.deepEqual(created.workspaceCaches, []);
    const changed = await queen.api('PATCH', `/api/projects/${created.id}`, { workspace: 'fresh', workspaceCaches: ['node_modules', '.cache/'] });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.workspace, 'fresh');
    assert.deepEqual(changed.body.workspaceCaches, ['node_modules', '.cache/']);
    for (const bad of ['../up', '-e', '.git', '*', 'a b', '/']) {
      const res = await queen.api('PATCH', `/api/projects/${created.id}`, { workspaceCaches: [bad] });
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
    }
    assert.equal((await queen.api('PATCH', `/api/projects/${created.id}`, { workspace: 'sometimes' })).status, 400);
    const cleared = await queen.api('PATCH', `/api/projects/${created.id}`, { workspaceCaches: null });
    assert.deepEqual(cleared.body.workspaceCaches, []);
  });
});

describe('an incremental workspace', () => {
  it('keeps only the commit and the named caches: what a build made, an upload, a deleted file, .git changes are gone', async () => {
    const { id } = await project('incremental', {
      phases: {
        test: [
          'echo "tree=$(pwd)"',
          // What the second build must not see (if it does, it fails below).
          'test -f old.txt && echo junk > junk.txt && echo log > build.log && mkdir -p deep/dir && echo x > deep/dir/x',
          'echo changed > README.md && mkdir -p src/.git && git tag made-by-a-build && git config hive.leftover yes',
          'mkdir -p cache-dir && echo kept > cache-dir/x && echo kept > made.keep',
        ],
      },
    }, { workspaceCaches: ['cache-dir/', '*.keep'] });
    const first = await passed(await trigger(id, {}, [['upload.keep', 'uploaded\n']]));
    assert.match(first, /Making workspace 1 of the project \(incremental\)/);

    const second = await repo.commit({ files: { 'old.txt': null, 'new.txt': 'new\n' }, message: 'delete old.txt' });
    await queen.api('PATCH', `/api/projects/${id}`, {
      config: {
        phases: {
          test: [
            'echo "tree=$(pwd)"',
            'test ! -e old.txt && test -f new.txt && test ! -e junk.txt && test ! -e build.log && test ! -e deep',
            'test ! -e upload.keep && test ! -e src/.git && grep -qx original README.md',
            'test -z "$(git tag -l made-by-a-build)" && test -z "$(git config hive.leftover)"',
            'test "$(git rev-parse HEAD)" = "$HIVE_COMMIT" && test -z "$(git status --porcelain)"',
            'git remote get-url origin',
            'cat cache-dir/x made.keep',
          ],
        },
      },
    });
    const text = await passed(await trigger(id));
    assert.match(text, /Updating workspace 1 of the project from [0-9a-f]{7} \(incremental\)/);
    assert.equal(valueOf(text, 'tree'), valueOf(first, 'tree'), 'the same tree');
    assert.match(text, /^kept\nkept$/m);
    assert.ok(text.includes(repo.url), 'origin is the repository, not the drone cache');
    assert.ok(text.includes(`Checked out ${second.slice(0, 7)}`));
  });

  it('follows a force-pushed branch to an unrelated commit', async () => {
    const { id } = await project('force-push', { phases: { test: ['ls', 'echo "tree=$(pwd)"'] } });
    const feature = await repo.commit({ branch: 'feature', from: 'main', files: { 'feature.txt': 'f\n' } });
    const before = await passed(await trigger(id, { branch: 'feature' }));
    assert.match(before, /^feature\.txt$/m);
    // A history of its own, pushed over the branch.
    await repo.git('checkout', '-q', '--orphan', 'unrelated');
    await repo.git('rm', '-rq', '--cached', '.');
    await writeFile(join(repo.dir, 'only.txt'), 'only\n');
    await repo.git('add', 'only.txt');
    await repo.git('commit', '-qm', 'unrelated history');
    const unrelated = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.git('checkout', '-qf', repo.defaultBranch);
    await repo.git('clean', '-fdxq');
    await repo.branch('feature', unrelated);
    assert.notEqual(feature, unrelated);
    const after = await passed(await trigger(id, { branch: 'feature' }));
    assert.equal(valueOf(after, 'tree'), valueOf(before, 'tree'));
    assert.match(after, /^only\.txt$/m);
    assert.doesNotMatch(after, /^(feature\.txt|README\.md)$/m);
  });

  it('gives two builds at once two trees', async () => {
    const { id } = await project('two-at-once', {
      phases: {
        test: [
          'echo "tree=$(pwd)"',
          `pwd > "${barrier}/$HIVE_JOB_ID"`,
          // Both builds run at once: each waits (bounded) until the other has written its tree.
          `i=0; while [ "$(ls "${barrier}" | wc -l)" -lt 2 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; [ "$(ls "${barrier}" | wc -l)" -ge 2 ]`,
        ],
      },
    });
    const run = await queen.api('POST', `/api/projects/${id}/runs`, { times: 2 });
    assert.equal(run.status, 201, run.text);
    const jobIds = (run.body.jobs as { id: string }[]).map((j) => j.id);
    const logs = await Promise.all(jobIds.map(passed));
    const trees = logs.map((l) => valueOf(l, 'tree'));
    assert.notEqual(trees[0], trees[1]);
    assert.deepEqual(new Set(trees), new Set([join(slotDir(id, 1), 'tree'), join(slotDir(id, 2), 'tree')]));
    const written = await Promise.all((await readdir(barrier)).map(async (f) => f));
    assert.equal(written.length, 2);
  });

  it('makes a tree anew when its state is missing (a drone killed mid-update) or git cannot use it', async () => {
    const { id } = await project('damaged', { phases: { test: ['test ! -e junk.txt', 'echo junk > junk.txt', 'echo "tree=$(pwd)"'] } });
    await passed(await trigger(id));
    // As a drone killed half-way through an update leaves it: no state.
    await unlink(join(slotDir(id, 1), 'state.json'));
    const anew = await passed(await trigger(id));
    assert.match(anew, /Making workspace 1 of the project \(incremental\)/);
    // A damaged private repository with the state still there: git fails, the tree is made anew.
    await writeFile(join(slotDir(id, 1), 'git', 'index'), 'not an index');
    const repaired = await passed(await trigger(id));
    assert.match(repaired, /Workspace 1 could not be updated \(.*\); making it anew/);
  });
});

describe('a drone started with --keep-workspaces', () => {
  it('still gives an incremental tree back for the next build (and keeps fresh workspaces)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hive-keep-'));
    try {
      const repos = new RepoCache({ dataDir, hostEnv: pickHostEnv(process.env) });
      const executor = new ProcessExecutor({ hostEnv: pickHostEnv(process.env) });
      const spec = (jobId: string, mode: 'fresh' | 'incremental'): JobSpec => ({
        jobId, projectId: 'keep', projectName: 'keep', number: 1, type: 'TEST',
        checkout: { repoUrl: repo.url, sha: repo.initialSha, branch: 'main' },
        env: {}, secrets: {}, timeoutMs: 60_000, requires: { labels: [], plugins: [] },
        phases: { environment: [], prepare: [], test: [{ run: 'pwd' }], deploy: [], cleanup: [] },
        workspace: { mode, caches: [] },
      });
      const tree = async (jobId: string, mode: 'fresh' | 'incremental') => {
        const { events, outcome } = await runJobForEvents(spec(jobId, mode), { executor, workspaces: repos, dataDir, keepWorkspaces: true });
        assert.equal(outcome.status, 'passed', outcome.message);
        return output(events, 'job:cmd:stdout').trim();
      };
      assert.equal(await tree('k1', 'incremental'), await tree('k2', 'incremental'));
      const fresh = await tree('k3', 'fresh');
      assert.ok((await readdir(fresh)).includes('README.md'), 'the fresh workspace is kept');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a fresh workspace', () => {
  it('is a new clone for every build, deleted after it', async () => {
    const { id } = await project('fresh', { phases: { test: ['test ! -e junk.txt', 'echo junk > junk.txt', 'echo "tree=$(pwd)"'] } }, { workspace: 'fresh' });
    const first = await passed(await trigger(id));
    const second = await passed(await trigger(id));
    assert.notEqual(valueOf(first, 'tree'), valueOf(second, 'tree'));
    assert.match(valueOf(first, 'tree') ?? '', /\/work\//);
    assert.doesNotMatch(second, /workspace 1 of the project/);
  });
});

describe('an incremental workspace in Docker', { skip: dockerSkip }, () => {
  it('is mounted into the container and cleaned like any other', async () => {
    const { id } = await project('docker-incremental', {
      image: BUSYBOX_IMAGE,
      phases: { test: ['test -f /.dockerenv', 'test ! -e junk.txt', 'echo junk > junk.txt', 'mkdir -p cache-dir && echo kept >> cache-dir/x', 'cat cache-dir/x'] },
    }, { workspaceCaches: ['cache-dir/'] });
    const first = await passed(await trigger(id));
    assert.match(first, /Making workspace 1/);
    const second = await passed(await trigger(id));
    assert.match(second, /Updating workspace 1/);
    assert.match(second, /^kept\nkept$/m);
  });

  for (const workspace of ['incremental', 'fresh'] as const) {
    it(`gives git in the container the whole repository through the read-only cache (${workspace})`, { skip: gitImageSkip }, async () => {
      const { id } = await project(`docker-git-${workspace}`, {
        image: GIT_IMAGE,
        phases: {
          test: [
            'git config --global --add safe.directory "*"',
            'test "$(git rev-parse HEAD)" = "$HIVE_COMMIT" && test -z "$(git status --porcelain)"',
            'git cat-file -p HEAD | head -1 && git log --oneline -1',
            // New objects of its own go to its own .git, not to the read-only cache.
            'echo made > made.txt && git add made.txt && git -c user.name=B -c user.email=b@b commit -qm "made in the build" && git log --oneline -1',
            'git fsck --connectivity-only --no-progress && echo "fsck=ok"',
          ],
        },
      }, { workspace });
      const text = await passed(await trigger(id));
      assert.match(text, /^tree [0-9a-f]{40}$/m);
      assert.match(text, /made in the build/);
      assert.equal(valueOf(text, 'fsck'), 'ok');
    });
  }

  for (const workspace of ['incremental', 'fresh'] as const) {
    it(`reaches the drone's repository cache only read-only (${workspace}): a build writing through .git/objects changes nothing there`, async () => {
      const cacheDir = new RepoCache({ dataDir: drone.dataDir, hostEnv: pickHostEnv(process.env) }).cachePath(repo.url);
      const { id } = await project(`docker-objects-${workspace}`, {
        image: BUSYBOX_IMAGE,
        phases: {
          test: [
            'echo "alternates=$(cat .git/objects/info/alternates)"',
            'test -n "$(ls /hive-git-objects)"',
            'if touch /hive-git-objects/written 2>/dev/null; then echo "the cache is writable"; exit 1; fi',
            // What a hostile build would do: append to every object file it can reach.
            'find .git/objects /hive-git-objects -type f | while read -r f; do chmod u+w "$f" 2>/dev/null; echo poison >> "$f" 2>/dev/null; done; true',
          ],
        },
      }, { workspace });
      for (let i = 0; i < 2; i++) {
        const text = await passed(await trigger(id));
        assert.equal(valueOf(text, 'alternates'), '/hive-git-objects', text);
      }
      // Every object of the cache still what its name says (an appended byte fails this).
      await exec('git', ['fsck', '--full', '--no-dangling'], { cwd: cacheDir });
      // And a build on the host still checks the commit out from it.
      const onHost = await project(`host-after-${workspace}`, { phases: { test: ['git rev-parse HEAD', 'test -z "$(git status --porcelain)"'] } }, { workspace });
      await passed(await trigger(onHost.id));
    });
  }
});
