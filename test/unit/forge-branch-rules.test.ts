import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { branchMatches, decide, wantsSkipCi } from '../../server/forges/branch-rules.ts';
import { branchGlobMatches as globMatches } from '../../server/util/branch-glob.ts';
import type { Trigger } from '../../server/forges/trigger.ts';

const source = { source: { type: 'webhook' as const, provider: 'github' } };
const push = (branch: string, headMessage = 'change'): Trigger => ({ kind: 'push', ref: { branch, sha: 'a'.repeat(40) }, trigger: source, headMessage });
const tag = (name: string): Trigger => ({ kind: 'tag', ref: { tag: name, sha: 'a'.repeat(40), refspec: `+refs/tags/${name}` }, trigger: source });
const pr = (o: { base?: string; fork?: boolean; draft?: boolean; action?: Trigger['action']; title?: string } = {}): Trigger => ({
  kind: 'pull_request',
  ref: { refspec: '+refs/pull/5/merge', pullRequest: { number: 5, baseBranch: o.base ?? 'main', headSha: 'b'.repeat(40), fork: o.fork ?? false } },
  trigger: source,
  headMessage: o.title ?? 'Add a thing',
  draft: o.draft ?? false,
  action: o.action ?? 'opened',
});

describe('branch globs', () => {
  it('matches * within a segment, ** across segments, ? one character', () => {
    assert.ok(globMatches('main', 'main'));
    assert.ok(!globMatches('main', 'main2'));
    assert.ok(globMatches('feature/*', 'feature/login'));
    assert.ok(!globMatches('feature/*', 'feature/a/b'));
    assert.ok(globMatches('release/**', 'release/1.0/hotfix'));
    assert.ok(globMatches('**/wip', 'wip'));
    assert.ok(globMatches('**/wip', 'team/a/wip'));
    assert.ok(globMatches('v?.x', 'v1.x'));
    assert.ok(!globMatches('v?.x', 'v10.x'));
    assert.ok(globMatches('dependabot/**', 'dependabot/npm_and_yarn/lodash-4.17.21'));
    assert.ok(!globMatches('a.b', 'aXb'), 'dots are literal');
    assert.ok(globMatches('fix-(1)+[2]', 'fix-(1)+[2]'), 'regex characters are literal');
  });

  it('includes every branch by default; exclude wins over include', () => {
    assert.ok(branchMatches('anything', {}));
    assert.ok(branchMatches('main', { include: ['main', 'release/*'] }));
    assert.ok(!branchMatches('develop', { include: ['main', 'release/*'] }));
    assert.ok(!branchMatches('release/old', { include: ['release/*'], exclude: ['release/old'] }));
    assert.ok(!branchMatches('gh-pages', { exclude: ['gh-pages'] }));
  });
});

describe('branch rules', () => {
  it('builds branch pushes that match, with a reason when not', () => {
    assert.deepEqual(decide(push('main'), {}), { build: true });
    const no = decide(push('docs'), { include: ['main'] });
    assert.equal(no.build, false);
    assert.match((no as { reason: string }).reason, /branch "docs", which the project's branch rules exclude/);
  });

  it('builds tags only when enabled, whatever the branch globs say', () => {
    assert.match((decide(tag('v1'), {}) as { reason: string }).reason, /tag builds are off/);
    assert.deepEqual(decide(tag('v1'), { tags: true, include: ['main'] }), { build: true });
  });

  it('matches pull requests by their base branch; forks only when allowed; drafts wait', () => {
    assert.deepEqual(decide(pr(), {}), { build: true });
    assert.equal(decide(pr({ base: 'develop' }), { include: ['main'] }).build, false);
    assert.equal(decide(pr(), { pullRequests: false }).build, false);
    assert.match((decide(pr({ fork: true }), {}) as { reason: string }).reason, /from a fork/);
    assert.deepEqual(decide(pr({ fork: true }), { forks: true }), { build: true });
    assert.match((decide(pr({ draft: true }), {}) as { reason: string }).reason, /draft/);
    assert.deepEqual(decide(pr({ action: 'ready_for_review' }), {}), { build: true });
    assert.deepEqual(decide(pr({ draft: true }), { skipDrafts: false }), { build: true });
    assert.equal(decide(pr({ action: 'ready_for_review' }), { skipDrafts: false }).build, false, 'already built as a draft');
  });

  it('skips [skip ci] and its spellings in the head commit message', () => {
    for (const m of ['x [skip ci]', '[ci skip] x', 'Title\n\n[SKIP CI]', 'wip [no ci]']) assert.ok(wantsSkipCi(m), m);
    for (const m of ['skip ci', '[skip-ci]', undefined]) assert.ok(!wantsSkipCi(m), String(m));
    assert.deepEqual(decide(push('main', 'docs [skip ci]'), {}), { build: false, skipped: true, reason: '[skip ci] in the commit message' });
    assert.equal(decide(pr({ title: 'WIP [ci skip]' }), {}).build, false);
  });
});
