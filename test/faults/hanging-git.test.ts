/**
 * Fault: a git server that accepts connections and never answers. Its fetches end in the
 * configured time with their whole process group (git-remote-http included), its jobs end
 * `errored` saying the repository did not answer in time, and other repositories' jobs
 * resolve and pass meanwhile: a hanging repository holds its own jobs and one resolver
 * slot, nothing else.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { GitTimeoutError, runRemoteGit } from '../../common/git/remote-git.ts';
import type { GitTimeouts } from '../../common/git/git-timeouts.ts';
import { CheckoutError, RepoCache } from '../../drone/checkout.ts';
import { connectDrone } from '../helpers/drone-process.ts';
import { nextEvent } from '../helpers/events.ts';
import { freePort } from '../helpers/free-port.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { startHangingServer } from '../helpers/hanging-server.ts';
import { assertNumberedLog, numberedScript } from '../helpers/numbered-log.ts';
import { processesMatching } from '../helpers/processes.ts';
import { startTestQueen } from '../helpers/queen.ts';
import { cleanupsAfterTests } from '../helpers/file-cleanups.ts';

const { cleanups, tempDir } = cleanupsAfterTests();
async function bareRepo(): Promise<string> {
  const dir = await tempDir('hive-hanging-');
  execFileSync('git', ['init', '-q', '--bare', dir]);
  return dir;
}
const gitEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() };
const short: GitTimeouts = { connectMs: 2000, lowSpeedMs: 1000, lowSpeedLimit: 1000, totalMs: 30_000 };

describe('a hanging git server', () => {
  it('errors its jobs in time while other repositories\' jobs resolve and pass', async (t) => {
    const hanging = await startHangingServer();
    cleanups.push(() => hanging.close());
    const queen = await startTestQueen({ HIVE_GIT_LOW_SPEED_MS: '4000', HIVE_GIT_CONNECT_TIMEOUT_MS: '4000', HIVE_GIT_TIMEOUT_MS: '60000' });
    cleanups.push(() => queen.stop());
    const drone = await connectDrone(queen, { name: 'hanging-git', capacity: 2 });
    cleanups.push(() => drone.stop());

    const project = async (name: string, repoUrl: string) => {
      const res = await queen.api('POST', '/api/projects', { name, repoUrl, config: { phases: { test: [numberedScript(5, { delay: 0 })] } } });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    const trigger = async (projectId: string) => {
      const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, {});
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    const hangingProject = await project('never-answers', hanging.url('a.git'));
    const good = [];
    for (const name of ['good-1', 'good-2']) {
      const repo = await createGitRepo({ files: { README: `${name}\n` } });
      cleanups.push(() => repo.cleanup());
      good.push(await project(name, repo.url));
    }
    // The hanging repository's jobs first: in the queue, they come before the others.
    const hangingJobs = [await trigger(hangingProject), await trigger(hangingProject), await trigger(hangingProject)];
    const goodJobs = [];
    for (const p of good) goodJobs.push(await trigger(p), await trigger(p));

    const started = Date.now();
    const goodDone = await Promise.all(goodJobs.map((id) => queen.waitForJob(id, undefined, 60_000)));
    const hangingDone = await Promise.all(hangingJobs.map((id) => queen.waitForJob(id, undefined, 60_000)));
    const elapsed = Date.now() - started;

    for (const job of goodDone) {
      assert.equal(job.status, 'passed', job.message ?? '');
      assertNumberedLog((await queen.api('GET', `/api/jobs/${job.id}/log`)).text, 5);
    }
    // Resolving in slices, jobs that shared a slice with the hanging ones waited for all of
    // them; in the pool, the others resolve while the hanging repository's fetches go on.
    const lastHangingEnd = Math.max(...hangingDone.map((j) => j.finishedAt!.getTime()));
    for (const job of goodDone) {
      assert.ok(job.resolvedAt!.getTime() < lastHangingEnd, 'every other repository\'s job resolved while the hanging fetches went on');
    }
    for (const job of hangingDone) {
      assert.equal(job.status, 'errored');
      assert.match(job.message ?? '', /^The repository http:\/\/127\.0\.0\.1:\d+\/a\.git did not answer in time \(less than 1000 bytes\/s for 4 s\); the fetch was stopped$/);
    }
    // One at a time, each ended by the low-speed limit: three fetches of about 4 s each
    // (and room for a busy machine).
    assert.equal(hanging.maxRequests, 1, 'the hanging repository held one fetch (one slot) at a time');
    t.diagnostic(`the three hanging jobs ended within ${elapsed} ms`);
    assert.ok(elapsed < 45_000, `the hanging jobs ended in ${elapsed} ms`);
    assert.deepEqual(processesMatching(`127.0.0.1:${hanging.port}`), [], 'no git process of the hanging fetches is left');
  });
});

describe('remote git', () => {
  it('kills a fetch that stalls, helpers and all', async () => {
    const hanging = await startHangingServer();
    cleanups.push(() => hanging.close());
    const started = Date.now();
    const err = await runRemoteGit(['fetch', hanging.url(), '+refs/heads/*:refs/heads/*'], {
      cwd: await bareRepo(), env: gitEnv, timeouts: short, url: hanging.url(),
    }).catch((e: unknown) => e);
    assert.ok(err instanceof GitTimeoutError, String(err));
    assert.equal(err.kind, 'stalled');
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(processesMatching(`127.0.0.1:${hanging.port}`), []);
  });

  it('kills a fetch that trickles past its total time, with its git-remote-http', async () => {
    const trickling = await startHangingServer({ trickleMs: 100 });
    cleanups.push(() => trickling.close());
    const fetching = runRemoteGit(['fetch', trickling.url(), '+refs/heads/*:refs/heads/*'], {
      cwd: await bareRepo(), env: gitEnv, timeouts: { ...short, lowSpeedLimit: 1, totalMs: 2000 }, url: trickling.url(),
    }).catch((e: unknown) => e);
    await nextEvent(trickling.events, 'request');
    const helpers = processesMatching(`127.0.0.1:${trickling.port}`);
    assert.ok(helpers.length >= 2, `git and git-remote-http run: ${helpers}`);
    const err = await fetching;
    assert.ok(err instanceof GitTimeoutError, String(err));
    assert.equal(err.kind, 'total');
    assert.equal(err.message, 'not done after 2 s');
    assert.deepEqual(processesMatching(`127.0.0.1:${trickling.port}`), [], 'the whole process group is gone');
  });

  it('gives up on a host that drops the connection attempt (connect timeout)', async (t) => {
    const port = await freePort();
    const rule = ['INPUT', '-p', 'tcp', '--dport', String(port), '--syn', '-j', 'DROP'];
    try {
      execFileSync('iptables', ['-I', ...rule], { stdio: 'ignore' });
    } catch {
      t.skip('needs root and iptables to drop connection attempts');
      return;
    }
    cleanups.push(async () => execFileSync('iptables', ['-D', ...rule], { stdio: 'ignore' }));
    const url = `http://127.0.0.1:${port}/repo.git`;
    const started = Date.now();
    const err = await runRemoteGit(['fetch', url, '+refs/heads/*:refs/heads/*'], {
      cwd: await bareRepo(), env: gitEnv, timeouts: short, url,
    }).catch((e: unknown) => e);
    assert.ok(err instanceof GitTimeoutError, String(err));
    assert.equal(err.kind, 'connect');
    assert.equal(err.message, `no connection to 127.0.0.1:${port} within 2 s`);
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(processesMatching(`127.0.0.1:${port}`), []);
  });

  it('ends a drone checkout in time, and kills it at once when the job is aborted', async () => {
    const hanging = await startHangingServer();
    cleanups.push(() => hanging.close());
    const cache = new RepoCache({ dataDir: await tempDir('hive-hanging-'), hostEnv: gitEnv, gitTimeouts: short });
    const checkout = { repoUrl: hanging.url(), sha: 'a'.repeat(40), branch: 'main' };
    await assert.rejects(cache.checkout({ jobId: 'stalled', checkout }), (err) =>
      err instanceof CheckoutError && /^the repository http:\/\/127\.0\.0\.1:\d+\/repo\.git did not answer in time \(less than 1000 bytes\/s for 1 s\)/.test(err.message));

    const controller = new AbortController();
    const aborted = cache.checkout({ jobId: 'aborted', checkout, signal: controller.signal });
    await nextEvent(hanging.events, 'request');
    controller.abort(new Error('job cancelled'));
    await assert.rejects(aborted, (err) => err instanceof CheckoutError && err.message === 'checkout aborted');
    assert.deepEqual(processesMatching(`127.0.0.1:${hanging.port}`), []);
  });
});
