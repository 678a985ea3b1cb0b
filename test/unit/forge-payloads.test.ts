import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import webhookExamples from '@octokit/webhooks-examples';
import { githubRepo, parseGithubWebhook } from '../../server/forges/github.ts';
import { gitlabRepo, parseGitlabWebhook } from '../../server/forges/gitlab.ts';
import { forgeRepoFromUrl, repoUrlKey } from '../../server/forges/repo-url.ts';
import { mergeRequestHook, NULL_SHA, pushHook } from '../helpers/gitlab-payloads.ts';

const examples = (name: string): any[] => webhookExamples.find((d) => d.name === name)!.examples as any[];

describe('GitHub payloads', () => {
  it('reads the repository of a payload', () => {
    const push = examples('push')[0];
    const repo = githubRepo(push)!;
    assert.equal(repo.fullName, 'Codertocat/Hello-World');
    assert.ok(repo.urls.includes('https://github.com/Codertocat/Hello-World.git'));
    assert.ok(repo.urls.includes('git@github.com:Codertocat/Hello-World.git'));
    assert.equal(githubRepo({ zen: 'hi' }), undefined);
  });

  it('turns a branch push into a trigger with author, message and links', () => {
    const payload = examples('push').find((p) => p.ref === 'refs/heads/master' && !p.deleted);
    const event = parseGithubWebhook('push', payload);
    assert.equal(event.kind, 'trigger');
    if (event.kind !== 'trigger') return;
    assert.deepEqual(event.trigger.ref, { branch: 'master', sha: payload.after });
    assert.equal(event.trigger.kind, 'push');
    assert.equal(event.trigger.trigger.author?.username, 'Codertocat');
    assert.equal(event.trigger.headMessage, payload.head_commit.message);
  });

  it('ignores deletions with a reason; reads a tag push as a tag', () => {
    const deleted = examples('push').find((p) => p.deleted);
    assert.deepEqual(parseGithubWebhook('push', deleted), { kind: 'ignored', reason: 'tag "simple-tag" was deleted' });
    const branchDeleted = { ...examples('push')[4], deleted: true, after: NULL_SHA };
    assert.deepEqual(parseGithubWebhook('push', branchDeleted), { kind: 'ignored', reason: 'branch "master" was deleted' });
    const tag = parseGithubWebhook('push', examples('push').find((p) => p.ref === 'refs/tags/simple-tag' && !p.deleted));
    assert.equal(tag.kind === 'trigger' && tag.trigger.kind, 'tag');
  });

  it('builds pull requests from the merge ref, marks forks, and ignores other actions', () => {
    const opened = examples('pull_request').find((p) => p.action === 'opened');
    const event = parseGithubWebhook('pull_request', opened);
    assert.ok(event.kind === 'trigger');
    assert.equal(event.trigger.ref.refspec, '+refs/pull/2/merge');
    assert.equal(event.trigger.ref.pullRequest?.fork, false);
    const fork = structuredClone(opened);
    fork.pull_request.head.repo.full_name = 'someone/Hello-World';
    const forkEvent = parseGithubWebhook('pull_request', fork);
    assert.equal(forkEvent.kind === 'trigger' && forkEvent.trigger.ref.pullRequest?.fork, true);
    const deletedFork = structuredClone(opened);
    deletedFork.pull_request.head.repo = null;
    const deletedEvent = parseGithubWebhook('pull_request', deletedFork);
    assert.equal(deletedEvent.kind === 'trigger' && deletedEvent.trigger.ref.pullRequest?.fork, true, 'a deleted fork is still a fork');
    const labeled = examples('pull_request').find((p) => p.action === 'labeled');
    assert.deepEqual(parseGithubWebhook('pull_request', labeled), { kind: 'ignored', reason: 'pull_request action "labeled" does not build' });
    assert.deepEqual(parseGithubWebhook('ping', examples('ping')[0]), { kind: 'ping' });
    assert.deepEqual(parseGithubWebhook('star', {}), { kind: 'ignored', reason: 'event "star" does not build' });
  });

  it('never throws on a malformed payload', () => {
    for (const payload of [{}, { ref: 42 }, { pull_request: 'x', action: 'opened' }, { ref: 'refs/heads/x', after: null }]) {
      for (const event of ['push', 'pull_request']) assert.equal(parseGithubWebhook(event, payload as never).kind, 'ignored');
    }
  });
});

describe('GitLab payloads', () => {
  const project = { path: 'group/sub/app' };

  it('reads the project of a payload', () => {
    const repo = gitlabRepo(pushHook({ project, ref: 'refs/heads/main', after: 'a'.repeat(40) }))!;
    assert.equal(repo.fullName, 'group/sub/app');
    assert.ok(repo.urls.includes('https://gitlab.example.com/group/sub/app.git'));
  });

  it('reads pushes, tag pushes and deletions', () => {
    const sha = 'a'.repeat(40);
    const push = parseGitlabWebhook('Push Hook', pushHook({ project, ref: 'refs/heads/main', after: sha, commits: [{ id: sha, message: 'hi', authorEmail: '[REDACTED]' }] }));
    assert.ok(push.kind === 'trigger');
    assert.deepEqual(push.trigger.ref, { branch: 'main', sha });
    assert.equal(push.trigger.trigger.author?.email, undefined, 'GitLab\'s [REDACTED] is no address');
    const tag = parseGitlabWebhook('Tag Push Hook', pushHook({ project, ref: 'refs/tags/v2', after: sha }));
    assert.ok(tag.kind === 'trigger');
    assert.deepEqual(tag.trigger.ref, { tag: 'v2', sha, refspec: '+refs/tags/v2' });
    assert.deepEqual(parseGitlabWebhook('Push Hook', pushHook({ project, ref: 'refs/heads/old', after: NULL_SHA })), { kind: 'ignored', reason: 'branch "old" was deleted' });
    // A system hook carries the kind in the payload.
    assert.equal(parseGitlabWebhook('System Hook', pushHook({ project, ref: 'refs/heads/main', after: sha })).kind, 'trigger');
  });

  it('reads merge requests: open, reopen, update with commits, draft marked ready', () => {
    const base = { project, iid: 9, sourceBranch: 'feat', lastCommit: { id: 'c'.repeat(40), message: 'msg' } };
    const open = parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'open' }));
    assert.ok(open.kind === 'trigger');
    assert.equal(open.trigger.action, 'opened');
    assert.equal(open.trigger.ref.refspec, 'refs/merge-requests/9/head');
    assert.equal(open.trigger.ref.pullRequest?.headSha, 'c'.repeat(40));
    assert.equal(open.trigger.headMessage, 'msg');
    const reopen = parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'reopen' }));
    assert.equal(reopen.kind === 'trigger' && reopen.trigger.action, 'reopened');
    const pushed = parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'update', oldrev: 'd'.repeat(40) }));
    assert.equal(pushed.kind === 'trigger' && pushed.trigger.action, 'synchronize');
    const ready = parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'update', changes: { draft: { previous: true, current: false } } }));
    assert.equal(ready.kind === 'trigger' && ready.trigger.action, 'ready_for_review');
    assert.equal(parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'update' })).kind, 'ignored');
    assert.equal(parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'approved' })).kind, 'ignored');
    const fork = parseGitlabWebhook('Merge Request Hook', mergeRequestHook({ ...base, action: 'open', sourceProjectId: 77 }));
    assert.equal(fork.kind === 'trigger' && fork.trigger.ref.pullRequest?.fork, true);
  });
});

describe('repository URLs', () => {
  it('compares clone URLs by what they name', () => {
    const key = repoUrlKey('https://github.com/Acme/App.git');
    assert.equal(key, 'github.com/acme/app');
    for (const url of ['git@github.com:acme/app.git', 'ssh://git@github.com/acme/app', 'https://github.com/acme/app/', 'git://github.com/acme/app.git', 'https://user@github.com/acme/app']) {
      assert.equal(repoUrlKey(url), key, url);
    }
    assert.notEqual(repoUrlKey('https://github.com/acme/app2'), key);
    assert.equal(repoUrlKey('file:///srv/git/app.git'), '/srv/git/app');
    assert.equal(repoUrlKey('/srv/git/app'), '/srv/git/app');
  });

  it('derives owner/name (or a GitLab path) from a clone URL', () => {
    assert.equal(forgeRepoFromUrl('https://github.com/acme/app.git'), 'acme/app');
    assert.equal(forgeRepoFromUrl('git@gitlab.com:group/sub/app.git'), 'group/sub/app');
    assert.equal(forgeRepoFromUrl('/srv/git/app.git'), undefined);
    assert.equal(forgeRepoFromUrl('https://github.com/lonely'), undefined);
  });
});
