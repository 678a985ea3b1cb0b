import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from '../../server/db/jobs.ts';
import { commitStatusFor } from '../../server/forges/commit-status.ts';
import { githubStatusRequest } from '../../server/forges/github.ts';
import { gitlabStatusRequest } from '../../server/forges/gitlab.ts';

const SHA = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);

function job(over: Partial<Job>): Job {
  return {
    id: '11111111-2222-4333-8444-555555555555', projectId: 'p', number: 12, type: 'TEST', status: 'queued',
    ref: { branch: 'main', sha: SHA }, trigger: { source: { type: 'webhook' }, at: '' }, spec: null, message: null,
    droneId: null, droneName: null, lease: null, leaseExpiresAt: null, lastSeq: 0, attempt: 1, phases: {},
    cancelRequested: false, createdAt: new Date(), resolvedAt: null, assignedAt: null, startedAt: null, finishedAt: null,
    ...over,
  } as Job;
}

describe('commit statuses', () => {
  it('maps job states to commit states, skipping "assigned"', () => {
    const states = Object.fromEntries(
      (['queued', 'assigned', 'running', 'passed', 'failed', 'errored', 'timed_out', 'cancelled'] as const)
        .map((status) => [status, commitStatusFor(job({ status }), 'https://ci')?.state ?? null]),
    );
    assert.deepEqual(states, {
      queued: 'pending', assigned: null, running: 'running', passed: 'success', failed: 'failure', errored: 'error', timed_out: 'error', cancelled: 'canceled',
    });
  });

  it('reports on the pull request head, links the job page and says what happened', () => {
    const started = new Date('2024-01-01T00:00:00Z');
    const status = commitStatusFor(job({
      status: 'passed', type: 'TEST_AND_DEPLOY', startedAt: started, finishedAt: new Date(started.getTime() + 75_000),
      ref: { sha: 'c'.repeat(40), refspec: '+refs/pull/3/merge', pullRequest: { number: 3, baseBranch: 'main', headBranch: 'feat', headSha: HEAD } },
    }), 'https://ci.example.com')!;
    assert.deepEqual(status, {
      sha: HEAD, ref: 'feat', state: 'success', context: 'hive/test_and_deploy',
      description: 'Build #12 passed in 1m 15s', targetUrl: 'https://ci.example.com/builds/11111111-2222-4333-8444-555555555555',
    });
    assert.equal(commitStatusFor(job({ ref: { branch: 'main' } }), 'https://ci'), undefined, 'no commit known yet');
    assert.equal(commitStatusFor(job({ status: 'errored', message: 'Could not fetch' }), 'x')!.description, 'Build #12 errored: Could not fetch');
  });

  it('builds GitHub and GitLab requests with their own states, paths and auth', () => {
    const status = commitStatusFor(job({ status: 'cancelled' }), 'https://ci')!;
    const gh = githubStatusRequest(null, 'acme/app', 'ghp_x', status);
    assert.equal(gh.url, `https://api.github.com/repos/acme/app/statuses/${SHA}`);
    assert.equal(gh.headers.authorization, 'Bearer ghp_x');
    assert.equal(gh.body.state, 'error', 'GitHub has no "canceled"');
    const ghe = githubStatusRequest('https://ghe.example.com/api/v3/', 'acme/app', 't', commitStatusFor(job({ status: 'running' }), 'x')!);
    assert.equal(ghe.url, `https://ghe.example.com/api/v3/repos/acme/app/statuses/${SHA}`);
    assert.equal(ghe.body.state, 'pending', 'GitHub has no "running"');

    const gl = gitlabStatusRequest(null, 'group/sub/app', 'glpat', status);
    assert.equal(gl.url, `https://gitlab.com/api/v4/projects/group%2Fsub%2Fapp/statuses/${SHA}`);
    assert.deepEqual(gl.headers, { 'private-token': 'glpat' });
    assert.deepEqual(gl.body, { state: 'canceled', name: 'hive/test', target_url: status.targetUrl, description: status.description, ref: 'main' });
    assert.equal(gitlabStatusRequest(null, 'a/b', 't', commitStatusFor(job({ status: 'failed' }), 'x')!).body.state, 'failed');
    const long = { ...status, description: 'x'.repeat(500) };
    assert.equal(String(githubStatusRequest(null, 'a/b', 't', long).body.description).length, 140);
  });
});
