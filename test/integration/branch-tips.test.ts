/**
 * A branch's tip shared by the jobs that were waiting before its lookup began
 * (server/git/branch-tips.ts), on real mirrors of a real repository: one lookup for the
 * jobs taken before it, a push before a job was taken always seen, credentials and
 * branches never mixed, other refs and failures never shared.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, it } from 'node:test';
import { DEFAULT_GIT_TIMEOUTS } from '../../common/git/git-timeouts.ts';
import { BranchTips } from '../../server/git/branch-tips.ts';
import type { Mirrors } from '../../server/git/mirror-host-protocol.ts';
import { RepoMirrors, type RefRequest } from '../../server/git/repo-mirror.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

let dir: string;
let repo: GitRepo;
let calls: RefRequest[];
let tips: BranchTips;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-branch-tips-'));
  repo = await createGitRepo({ files: { README: 'tips\n' } });
  const real = new RepoMirrors(dir, { PATH: process.env.PATH ?? '/usr/bin:/bin' }, DEFAULT_GIT_TIMEOUTS);
  calls = [];
  // The real mirrors, each resolve counted.
  const counted: Mirrors = {
    resolve: (url, ref, credentials) => {
      calls.push(ref);
      return real.resolve(url, ref, credentials);
    },
    parents: (url, sha) => real.parents(url, sha),
    readFile: (url, sha, file) => real.readFile(url, sha, file),
    remove: (url) => real.remove(url),
  };
  tips = new BranchTips(counted);
});

after(async () => {
  await repo.cleanup();
  await rm(dir, { recursive: true, force: true });
});

it('answers every job taken before a lookup began with that lookup, one after another', async () => {
  calls.length = 0;
  const takenAt = performance.now();
  const head = await repo.head();
  for (let i = 0; i < 5; i++) {
    assert.equal((await tips.forJobTakenAt(takenAt).resolve(repo.url, { branch: repo.defaultBranch })).sha, head);
  }
  assert.equal(calls.length, 1, 'one lookup for five jobs taken before it');
});

it('never answers a job with a lookup that began before the job was taken: a push before it is seen', async () => {
  calls.length = 0;
  const early = performance.now();
  const old = (await tips.forJobTakenAt(early).resolve(repo.url, { branch: repo.defaultBranch })).sha;
  const pushed = await repo.commit({ files: { pushed: '1' } });
  const late = performance.now();
  assert.equal((await tips.forJobTakenAt(late).resolve(repo.url, { branch: repo.defaultBranch })).sha, pushed);
  assert.equal(calls.length, 2);
  // A job taken before the push may build the tip found since it was taken: here, the new one.
  assert.equal((await tips.forJobTakenAt(early).resolve(repo.url, { branch: repo.defaultBranch })).sha, pushed);
  assert.notEqual(old, pushed);
  assert.equal(calls.length, 2);
});

it('keeps branches and credentials apart', async () => {
  await repo.commit({ branch: 'feature', files: { feature: '1' } });
  calls.length = 0;
  const takenAt = performance.now();
  const main = await tips.forJobTakenAt(takenAt).resolve(repo.url, { branch: repo.defaultBranch });
  const feature = await tips.forJobTakenAt(takenAt).resolve(repo.url, { branch: 'feature' });
  assert.notEqual(main.sha, feature.sha);
  // Another project's credentials are their own access check (a file URL ignores them).
  await tips.forJobTakenAt(takenAt).resolve(repo.url, { branch: repo.defaultBranch }, { password: 'other-project' });
  assert.equal(calls.length, 3);
});

it('passes commits and refspecs through, and keeps no failure', async () => {
  calls.length = 0;
  const takenAt = performance.now();
  const head = await repo.head();
  for (let i = 0; i < 2; i++) await tips.forJobTakenAt(takenAt).resolve(repo.url, { branch: repo.defaultBranch, sha: head });
  for (let i = 0; i < 2; i++) await tips.forJobTakenAt(takenAt).resolve(repo.url, { refspec: `+refs/heads/${repo.defaultBranch}` });
  assert.equal(calls.length, 4, 'every commit and refspec asks the mirrors');
  calls.length = 0;
  for (let i = 0; i < 2; i++) await assert.rejects(tips.forJobTakenAt(takenAt).resolve(repo.url, { branch: 'no-such-branch' }), /no such branch/);
  assert.equal(calls.length, 2, 'a failed lookup is not an answer');
});
