/**
 * Links made from forge payloads are links only with http(s) schemes: a signed webhook's
 * `head_commit.url: "javascript:alert(7)"` must never become a clickable link, neither
 * where the trigger is read nor where it is rendered (for triggers stored before).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import webhookExamples from '@octokit/webhooks-examples';
import { CommitLabel, RefLabel } from '../../web/components/build-labels.tsx';
import { httpUrl } from '../../web/format.ts';
import { parseGithubWebhook } from '../../server/forges/github.ts';
import { parseGitlabWebhook } from '../../server/forges/gitlab.ts';
import { CONTENT_SECURITY_POLICY } from '../../server/routes/security-headers.ts';
import { pushHook } from '../helpers/gitlab-payloads.ts';

const BAD_URLS = ['javascript:alert(7)', 'JavaScript:alert(7)', ' javascript:alert(7)', 'data:text/html,<script>alert(7)</script>', 'vbscript:x', 'not a url'];
const push = () => structuredClone((webhookExamples.find((d) => d.name === 'push')!.examples as any[]).find((p) => p.ref === 'refs/heads/master' && !p.deleted));

describe('links from forge payloads', () => {
  it('keeps http(s) URLs and refuses every other scheme', () => {
    assert.equal(httpUrl('https://github.com/a/b/commit/1'), 'https://github.com/a/b/commit/1');
    assert.equal(httpUrl('http://gitlab.local/x'), 'http://gitlab.local/x');
    for (const bad of [...BAD_URLS, '', undefined, null]) assert.equal(httpUrl(bad), undefined, String(bad));
  });

  it('drops non-http(s) commit, compare and avatar URLs of a GitHub push', () => {
    for (const bad of BAD_URLS) {
      const payload = push();
      payload.head_commit.url = bad;
      payload.compare = bad;
      payload.sender.avatar_url = bad;
      const event = parseGithubWebhook('push', payload);
      assert.equal(event.kind, 'trigger');
      if (event.kind !== 'trigger') return;
      assert.equal(event.trigger.trigger.commitUrl, undefined, bad);
      assert.equal(event.trigger.trigger.compareUrl, undefined, bad);
      assert.equal(event.trigger.trigger.author?.avatarUrl, undefined, bad);
    }
  });

  it('drops a non-http(s) commit URL of a GitLab push', () => {
    const payload = pushHook({ project: { path: 'a/b' }, ref: 'refs/heads/main', after: '1'.repeat(40) }) as any;
    for (const c of payload.commits ?? []) c.url = 'javascript:alert(7)';
    if (payload.project) payload.project.web_url = 'javascript:alert(7)';
    const event = parseGitlabWebhook('Push Hook', payload);
    if (event.kind !== 'trigger') return assert.fail(`expected a trigger, got ${JSON.stringify(event)}`);
    assert.ok(!String(event.trigger.trigger.commitUrl ?? '').startsWith('javascript:'));
  });

  it('renders a stored javascript: commit or pull request URL as plain text', async () => {
    const sha = 'a'.repeat(40);
    for (const bad of BAD_URLS) {
      const commit = String(await (<CommitLabel ref={{ sha }} trigger={{ at: '2024-01-01T00:00:00Z', source: { type: 'webhook' }, commitUrl: bad }} />).toString());
      assert.ok(!commit.includes('href'), commit);
      assert.match(commit, /<code title="a{40}">/);
      const pr = String(await (<RefLabel ref={{ pullRequest: { number: 3, baseBranch: 'main', url: bad } }} />).toString());
      assert.ok(!pr.includes('href'), pr);
      assert.match(pr, /PR #3/);
    }
    const good = String(await (<CommitLabel ref={{ sha }} trigger={{ at: '2024-01-01T00:00:00Z', source: { type: 'webhook' }, commitUrl: 'https://x.test/c' }} />).toString());
    assert.match(good, /href="https:\/\/x\.test\/c"/);
  });

  it('has a CSP that allows no inline script or style, framing, base or plugin objects', () => {
    for (const d of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"]) {
      assert.ok(CONTENT_SECURITY_POLICY.includes(d), d);
    }
    assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe-inline'));
  });
});
