/**
 * GitHub webhooks end to end against a real queen: the real example payloads of
 * @octokit/webhooks-examples signed with the project's secret, signatures, redelivery,
 * `[skip ci]`, branch rules, pull request builds of `refs/pull/N/merge` on a real drone,
 * and commit statuses reaching a stand-in for GitHub's API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhooks } from '@octokit/webhooks';
import webhookExamples from '@octokit/webhooks-examples';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { startFakeForgeApi, type FakeForgeApi } from '../helpers/fake-forge-api.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';
import { sendGithubHook } from '../helpers/webhook-sender.ts';

const PUBLIC_URL = 'https://ci.example.com';
const FORGE_TOKEN = 'ghp_statusTokenValue0123456789';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let github: FakeForgeApi;

before(async () => {
  [queen, repo, github] = await Promise.all([
    startTestQueen({ HIVE_PUBLIC_URL: PUBLIC_URL, HIVE_WEBHOOK_MAX_BYTES: String(3 * 1024 * 1024) }),
    createGitRepo({ files: { 'README.md': '# app\n' } }),
    startFakeForgeApi(),
  ]);
  drone = await connectDrone(queen, { name: 'gh-builder', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await Promise.all([repo?.cleanup(), github?.close()]);
});

interface CreatedProject {
  id: string;
  secret: string;
}

async function createProject(body: Record<string, unknown>): Promise<CreatedProject> {
  const res = await queen.api('POST', '/api/projects', { repoUrl: repo.url, provider: 'github', ...body });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, secret: res.body.webhookSecret };
}

const examples = (name: string): any[] => webhookExamples.find((d) => d.name === name)!.examples as any[];
/** An example payload moved to another repository: every name and URL of the original. */
const retarget = (payload: unknown, fullName: string) =>
  JSON.parse(JSON.stringify(payload).replace(/(Codertocat|Octocoders)\/Hello-World/g, fullName));

const jobsOf = async (projectId: string) => (await queen.api('GET', `/api/projects/${projectId}/jobs?limit=200`)).body.jobs as any[];
const deliveriesOf = async (projectId: string) =>
  (await queen.api('GET', `/api/projects/${projectId}/webhook-deliveries`)).body.deliveries as any[];

/** A push payload (the package's branch push example) for our repository and commit. */
function pushPayload(fullName: string, branch: string, sha: string, message = 'change things') {
  const payload = retarget(examples('push').find((p) => p.ref === 'refs/heads/master' && !p.deleted), fullName);
  payload.ref = `refs/heads/${branch}`;
  payload.after = sha;
  payload.head_commit = { ...payload.head_commit, id: sha, message };
  return payload;
}

function pullRequestPayload(fullName: string, o: { number: number; headSha: string; headRef?: string; base?: string; action?: string; forkOf?: string; draft?: boolean }) {
  const payload = retarget(examples('pull_request').find((p) => p.action === 'opened'), fullName);
  payload.action = o.action ?? 'opened';
  payload.number = o.number;
  Object.assign(payload.pull_request, { number: o.number, draft: o.draft ?? false, title: `PR ${o.number}` });
  Object.assign(payload.pull_request.head, { sha: o.headSha, ref: o.headRef ?? 'feature' });
  payload.pull_request.base.ref = o.base ?? 'main';
  if (o.forkOf) payload.pull_request.head.repo = { ...payload.pull_request.head.repo, full_name: o.forkOf, fork: true };
  return payload;
}

describe('project fields for forges', () => {
  it('generates a webhook secret shown once, keeps the forge token write-only, and rotates the secret', async () => {
    const created = await queen.api('POST', '/api/projects', {
      name: 'fields', repoUrl: 'https://github.com/hive-test/Fields.git', provider: 'github',
      forgeToken: 'ghp_fieldsSecretToken', branchRules: { include: ['main'], tags: true },
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.webhookSecret, /^whsec_[\w-]{20,}$/);
    assert.equal(created.body.forgeRepo, 'hive-test/Fields', 'derived from the clone URL');
    assert.equal(created.body.hasForgeToken, true);
    assert.equal(created.body.hasWebhookSecret, true);
    assert.deepEqual(created.body.branchRules, { include: ['main'], tags: true });
    assert.doesNotMatch(created.text, /ghp_fieldsSecretToken/);

    const read = await queen.api('GET', `/api/projects/${created.body.id}`);
    assert.equal(read.body.webhookSecret, undefined);
    assert.ok(!read.text.includes(created.body.webhookSecret) && !read.text.includes('ghp_fieldsSecretToken'));

    const rotated = await queen.api('POST', `/api/projects/${created.body.id}/webhook-secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.webhookSecret, created.body.webhookSecret);
    const ping = retarget(examples('ping')[0], 'hive-test/Fields');
    assert.equal((await sendGithubHook(queen.url, 'ping', ping, { secret: created.body.webhookSecret })).status, 401, 'the old secret stops working');
    assert.equal((await sendGithubHook(queen.url, 'ping', ping, { secret: rotated.body.webhookSecret })).status, 200);

    const cleared = await queen.api('PATCH', `/api/projects/${created.body.id}`, { forgeToken: null });
    assert.equal(cleared.body.hasForgeToken, false);
    for (const bad of [{ forgeRepo: 'no-slash' }, { forgeApiUrl: 'ftp://x' }, { branchRules: { include: ['main'], typo: true } }, { provider: 'bitbucket' }, { webhookSecret: 'short' }]) {
      const res = await queen.api('PATCH', `/api/projects/${created.body.id}`, bad);
      assert.equal(res.status, 400, `${JSON.stringify(bad)} → ${res.text}`);
    }
  });
});

describe('GitHub webhook payloads', () => {
  it('gives every push, pull_request and ping example of @octokit/webhooks-examples the right outcome', async () => {
    const project = await createProject({ name: 'examples', forgeRepo: 'hive-test/examples', repoUrl: '/nonexistent/examples.git' });
    let n = 0;
    for (const name of ['ping', 'push', 'pull_request']) {
      for (const example of examples(name)) {
        const payload = retarget(example, 'hive-test/examples');
        const what = `${name} example ${++n} (${payload.action ?? payload.ref ?? ''})`;
        const res = await sendGithubHook(queen.url, name, payload, { secret: project.secret });

        if (name === 'ping') {
          if (payload.repository) assert.deepEqual([res.status, res.body], [200, { pong: true }], what);
          else assert.equal(res.status, 202, what); // an organisation's ping: no repository to verify against
          continue;
        }
        if (name === 'push') {
          const tag = payload.ref.startsWith('refs/tags/');
          if (payload.deleted) {
            assert.equal(res.status, 202, what);
            assert.match(res.body.ignored, /was deleted/, what);
          } else if (tag) {
            assert.match(res.body.ignored, /tag builds are off/, what);
          } else {
            assert.equal(res.status, 202, what);
            assert.equal(res.body.jobs.length, 1, what);
            const job = (await queen.api('GET', `/api/jobs/${res.body.jobs[0]}`)).body;
            assert.equal(job.ref.branch, payload.ref.replace('refs/heads/', ''));
            assert.equal(job.ref.sha, payload.after);
            assert.deepEqual(job.trigger.source, { type: 'webhook', provider: 'github' });
            assert.equal(job.trigger.author.username, payload.head_commit.author.username);
            assert.equal(job.trigger.author.email, payload.head_commit.author.email);
            assert.equal(job.trigger.author.avatarUrl, payload.sender.avatar_url);
            assert.equal(job.trigger.message, payload.head_commit.message);
            assert.equal(job.trigger.commitUrl, payload.head_commit.url);
            assert.equal(job.trigger.compareUrl, payload.compare);
          }
          continue;
        }
        const builds = ['opened', 'synchronize', 'reopened', 'ready_for_review'].includes(payload.action)
          && !payload.pull_request.draft && payload.pull_request.state === 'open';
        assert.equal(res.status, 202, what);
        if (!builds) {
          assert.match(res.body.ignored, /does not build|draft|closed/, `${what}: ${res.text}`);
          continue;
        }
        assert.equal(res.body.jobs?.length, 1, `${what}: ${res.text}`);
        const job = (await queen.api('GET', `/api/jobs/${res.body.jobs[0]}`)).body;
        assert.equal(job.ref.refspec, `+refs/pull/${payload.number}/merge`);
        assert.equal(job.ref.branch, undefined, 'pull request jobs name no branch');
        assert.deepEqual(job.ref.pullRequest, {
          number: payload.number,
          baseBranch: payload.pull_request.base.ref,
          headBranch: payload.pull_request.head.ref,
          headSha: payload.pull_request.head.sha,
          fork: false,
          title: payload.pull_request.title,
          url: payload.pull_request.html_url,
        });
        assert.equal(job.trigger.author.username, payload.sender.login);
      }
    }
    const jobs = await jobsOf(project.id);
    const deliveries = await deliveriesOf(project.id);
    assert.equal(deliveries.length, n - 1, 'every verified delivery is stored (not the repository-less ping)');
    assert.equal(deliveries.filter((d) => d.outcome === 'queued').length, jobs.length);
  });

  it('answers 401 to a tampered or unsigned body and stores nothing', async () => {
    const project = await createProject({ name: 'tamper', forgeRepo: 'hive-test/tamper', repoUrl: '/nonexistent/tamper.git' });
    const push = pushPayload('hive-test/tamper', 'main', 'a'.repeat(40));
    const signedOriginal = JSON.stringify(push);
    const tampered = { ...push, after: 'b'.repeat(40) };
    const res = await sendGithubHook(queen.url, 'push', tampered, { secret: project.secret, signedBody: signedOriginal });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthorized');
    assert.equal((await sendGithubHook(queen.url, 'push', push)).status, 401, 'unsigned');
    assert.equal((await sendGithubHook(queen.url, 'push', push, { secret: 'another-secret-entirely' })).status, 401, 'wrong secret');
    const pr = pullRequestPayload('hive-test/tamper', { number: 3, headSha: 'c'.repeat(40) });
    const prRes = await sendGithubHook(queen.url, 'pull_request', { ...pr, number: 4 }, { secret: project.secret, signedBody: JSON.stringify(pr) });
    assert.equal(prRes.status, 401);
    assert.equal((await jobsOf(project.id)).length, 0);
    assert.equal((await deliveriesOf(project.id)).length, 0);
  });

  it('answers a repository no project has exactly like a bad signature (401), and finds a project by clone URL', async () => {
    const known = await createProject({ name: 'known-for-probing', forgeRepo: 'hive-test/known', repoUrl: '/nonexistent/known.git' });
    const unknownPayload = pushPayload('someone/unknown', 'main', 'd'.repeat(40));
    const knownPayload = pushPayload('hive-test/known', 'main', 'd'.repeat(40));
    for (const options of [{}, { secret: 'whatever-secret' }]) {
      const unknown = await sendGithubHook(queen.url, 'push', unknownPayload, options);
      const mismatch = await sendGithubHook(queen.url, 'push', knownPayload, options);
      assert.deepEqual([unknown.status, unknown.body], [mismatch.status, mismatch.body], 'no probing which repositories exist');
      assert.equal(unknown.status, 401);
      assert.match(unknown.body.error.message, /forgeRepo or repoUrl must name the repository/);
    }
    assert.equal((await jobsOf(known.id)).length, 0);

    // No forgeRepo: the payload's clone URL names the project's repository.
    const byUrl = await queen.api('POST', '/api/projects', { name: 'by-url', repoUrl: 'git@github.com:Hive-Test/By-Url.git' });
    const payload = pushPayload('hive-test/by-url', 'main', 'e'.repeat(40));
    const matched = await sendGithubHook(queen.url, 'push', payload, { secret: byUrl.body.webhookSecret });
    assert.equal(matched.status, 202, matched.text);
    assert.equal(matched.body.jobs.length, 1);
  });

  it('answers other events 202 ignored, and malformed requests 400', async () => {
    const project = await createProject({ name: 'other-events', forgeRepo: 'hive-test/other', repoUrl: '/nonexistent/other.git' });
    const issue = retarget(webhookExamples.find((d) => d.name === 'issues')!.examples[0], 'hive-test/other');
    const res = await sendGithubHook(queen.url, 'issues', issue, { secret: project.secret });
    assert.deepEqual([res.status, res.body], [202, { ignored: 'event "issues" does not build' }]);
    // GitHub's other content type: the JSON in a `payload` form field, the signature over the form body.
    const form = new URLSearchParams({ payload: JSON.stringify(retarget(examples('ping')[0], 'hive-test/other')) }).toString();
    const formRes = await fetch(`${queen.url}/hooks/github`, {
      method: 'POST', body: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'ping', 'x-github-delivery': 'form-1',
        'x-hub-signature-256': await new Webhooks({ secret: project.secret }).sign(form),
      },
    });
    assert.equal(formRes.status, 200);
    const notJson = await fetch(`${queen.url}/hooks/github`, { method: 'POST', headers: { 'x-github-event': 'push' }, body: '{oops' });
    assert.equal(notJson.status, 400);
    const noEvent = await fetch(`${queen.url}/hooks/github`, { method: 'POST', body: '{}' });
    assert.equal(noEvent.status, 400);
    assert.match((await noEvent.json()).error.message, /X-GitHub-Event/i);
  });

  it('takes payloads beyond the API body limit, up to HIVE_WEBHOOK_MAX_BYTES, and answers 413 beyond', async () => {
    const project = await createProject({ name: 'big', forgeRepo: 'hive-test/big', repoUrl: '/nonexistent/big.git' });
    const payload = pushPayload('hive-test/big', 'main', 'f'.repeat(40));
    payload.commits = [{ ...payload.head_commit, message: 'x'.repeat(2 * 1024 * 1024) }]; // 2 MiB: over the API's 1 MiB
    const ok = await sendGithubHook(queen.url, 'push', payload, { secret: project.secret });
    assert.equal(ok.status, 202, ok.text.slice(0, 300));
    payload.commits[0].message = 'x'.repeat(4 * 1024 * 1024);
    const tooBig = await sendGithubHook(queen.url, 'push', payload, { secret: project.secret });
    assert.equal(tooBig.status, 413);
  });
});

describe('what builds', () => {
  it('creates no second job for a redelivery and answers with the original outcome', async () => {
    const project = await createProject({ name: 'redeliver', forgeRepo: 'hive-test/redeliver', repoUrl: '/nonexistent/r.git' });
    const payload = pushPayload('hive-test/redeliver', 'main', '1'.repeat(40));
    const first = await sendGithubHook(queen.url, 'push', payload, { secret: project.secret, deliveryId: 'delivery-1' });
    const again = await sendGithubHook(queen.url, 'push', payload, { secret: project.secret, deliveryId: 'delivery-1' });
    assert.equal(first.status, 202);
    assert.deepEqual(again.body, { jobs: first.body.jobs, duplicate: true });
    const ignored = pushPayload('hive-test/redeliver', 'main', '2'.repeat(40), 'docs [skip ci]');
    await sendGithubHook(queen.url, 'push', ignored, { secret: project.secret, deliveryId: 'delivery-2' });
    const ignoredAgain = await sendGithubHook(queen.url, 'push', ignored, { secret: project.secret, deliveryId: 'delivery-2' });
    assert.deepEqual(ignoredAgain.body, { ignored: '[skip ci] in the commit message', duplicate: true });
    assert.equal((await jobsOf(project.id)).length, 1);
    const deliveries = await deliveriesOf(project.id);
    assert.deepEqual(deliveries.map((d) => [d.deliveryId, d.event, d.outcome]).sort(), [
      ['delivery-1', 'push', 'queued'], ['delivery-2', 'push', 'skipped: [skip ci] in the commit message'],
    ]);

    // The settings page lists them with what they did, linking the build by its number.
    const session = await logIn(queen.url, 'admin', queen.generatedAdminPassword!);
    const settings = await (await webRequest(queen.url, `/projects/${project.id}/settings`, { session })).text();
    const rows = [...settings.matchAll(/<tr><td><time[^>]*>[^<]*<\/time><\/td><td><code>push<\/code>[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    assert.equal(rows.length, 2, settings.slice(settings.indexOf('Recent deliveries')));
    assert.ok(rows.some((r) => r.includes('queued') && r.includes(`<a href="/builds/${first.body.jobs[0]}">#1</a>`)));
    assert.ok(rows.some((r) => r.includes('skipped: [skip ci] in the commit message') && r.includes('—')));
  });

  it('skips [skip ci] and [ci skip] in the head commit message', async () => {
    const project = await createProject({ name: 'skip', forgeRepo: 'hive-test/skip', repoUrl: '/nonexistent/s.git' });
    for (const message of ['wip [skip ci]', 'Update docs\n\n[CI SKIP]']) {
      const res = await sendGithubHook(queen.url, 'push', pushPayload('hive-test/skip', 'main', '3'.repeat(40), message), { secret: project.secret });
      assert.deepEqual(res.body, { ignored: '[skip ci] in the commit message' });
    }
    assert.equal((await jobsOf(project.id)).length, 0);
  });

  it('follows the branch rules: include/exclude globs, tags, pull requests, forks, drafts', async () => {
    const project = await createProject({
      name: 'rules', forgeRepo: 'hive-test/rules', repoUrl: '/nonexistent/rules.git',
      branchRules: { include: ['main', 'release/**'], exclude: ['release/old*'] },
    });
    const push = (branch: string) => sendGithubHook(queen.url, 'push', pushPayload('hive-test/rules', branch, '4'.repeat(40)), { secret: project.secret });
    assert.equal((await push('main')).body.jobs?.length, 1);
    assert.equal((await push('release/1.0/hotfix')).body.jobs?.length, 1);
    assert.match((await push('feature/x')).body.ignored, /branch "feature\/x", which the project's branch rules exclude/);
    assert.match((await push('release/old-2019')).body.ignored, /exclude/);

    const tagPush = retarget(examples('push').find((p) => p.ref === 'refs/tags/simple-tag' && !p.deleted), 'hive-test/rules');
    assert.match((await sendGithubHook(queen.url, 'push', tagPush, { secret: project.secret })).body.ignored, /tag builds are off/);

    const pr = (o: Parameters<typeof pullRequestPayload>[1]) =>
      sendGithubHook(queen.url, 'pull_request', pullRequestPayload('hive-test/rules', o), { secret: project.secret });
    assert.equal((await pr({ number: 10, headSha: '5'.repeat(40) })).body.jobs?.length, 1, 'a PR into main builds');
    assert.match((await pr({ number: 11, headSha: '5'.repeat(40), base: 'develop' })).body.ignored, /targets branch "develop"/);
    assert.match((await pr({ number: 12, headSha: '5'.repeat(40), forkOf: 'mallory/rules' })).body.ignored, /from a fork/);
    assert.match((await pr({ number: 13, headSha: '5'.repeat(40), draft: true })).body.ignored, /is a draft/);
    assert.equal((await pr({ number: 13, headSha: '5'.repeat(40), action: 'ready_for_review' })).body.jobs?.length, 1);

    await queen.api('PATCH', `/api/projects/${project.id}`, { branchRules: { tags: true, forks: true, skipDrafts: false } });
    const tagRes = await sendGithubHook(queen.url, 'push', tagPush, { secret: project.secret });
    const tagJob = (await queen.api('GET', `/api/jobs/${tagRes.body.jobs[0]}`)).body;
    assert.deepEqual(tagJob.ref, { tag: 'simple-tag', sha: tagPush.head_commit.id, refspec: '+refs/tags/simple-tag' });
    const forkRes = await pr({ number: 12, headSha: '5'.repeat(40), forkOf: 'mallory/rules' });
    assert.equal((await queen.api('GET', `/api/jobs/${forkRes.body.jobs[0]}`)).body.ref.pullRequest.fork, true);
    assert.equal((await pr({ number: 14, headSha: '5'.repeat(40), draft: true })).body.jobs?.length, 1, 'drafts build when not skipped');
    assert.match((await pr({ number: 14, headSha: '5'.repeat(40), action: 'ready_for_review' })).body.ignored, /already built as a draft/);

    await queen.api('PATCH', `/api/projects/${project.id}`, { branchRules: { pullRequests: false } });
    assert.match((await pr({ number: 15, headSha: '5'.repeat(40) })).body.ignored, /pull\/merge request builds are off/);
  });

  it('cancels queued builds of the same branch when a newer commit arrives (cancelSuperseded)', async () => {
    const project = await createProject({
      name: 'supersede', forgeRepo: 'hive-test/supersede',
      branchRules: { cancelSuperseded: true },
      // No drone has this label: the jobs wait in the queue.
      config: { labels: ['nowhere'] },
    });
    const sha = await repo.head('main');
    // The branch must exist: a push of a branch the repository lacks ends errored once
    // resolved, and whether that happened before the check below was a race.
    await repo.branch('other', sha);
    const send = (branch: string) =>
      sendGithubHook(queen.url, 'push', pushPayload('hive-test/supersede', branch, sha), { secret: project.secret });
    const [older] = (await send('main')).body.jobs;
    const [other] = (await send('other')).body.jobs;
    const [newer] = (await send('main')).body.jobs;
    const cancelled = await queen.waitForJob(older, ['cancelled']);
    assert.equal(cancelled.message, 'Cancelled by a newer build (#3)');
    assert.equal((await queen.api('GET', `/api/jobs/${other}`)).body.status, 'queued', 'another branch is left alone');
    assert.equal((await queen.api('GET', `/api/jobs/${newer}`)).body.status, 'queued');
    await queen.api('POST', `/api/jobs/${other}/cancel`);
    await queen.api('POST', `/api/jobs/${newer}/cancel`);
  });
});

describe('pull request builds and commit statuses', () => {
  let project: CreatedProject;
  let headSha: string;
  let mergeSha: string;

  before(async () => {
    await repo.commit({ branch: 'main', files: { 'base.txt': 'base\n' }, message: 'base change' });
    headSha = await repo.commit({ branch: 'feature', from: repo.initialSha, files: { 'feature.txt': 'feature\n' }, message: 'add feature' });
    // What GitHub keeps at refs/pull/7/merge: the PR's head merged into its base.
    await repo.git('checkout', '--quiet', '--detach', 'main');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'Merge feature into main', headSha);
    mergeSha = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.git('checkout', '--quiet', 'main');
    await repo.setRef('refs/pull/7/merge', mergeSha);
    await repo.setRef('refs/pull/7/head', headSha);
    project = await createProject({
      name: 'app', forgeRepo: 'hive-test/app', forgeApiUrl: github.url, forgeToken: FORGE_TOKEN,
      config: { phases: { test: ['echo "built $(git rev-parse HEAD)"', 'cat feature.txt', 'if [ -f base.txt ]; then echo "with base"; fi'] } },
    });
  });

  it('builds exactly the commit of refs/pull/7/merge and reports statuses on the head commit', async () => {
    const res = await sendGithubHook(queen.url, 'pull_request', pullRequestPayload('hive-test/app', { number: 7, headSha }), { secret: project.secret });
    assert.equal(res.status, 202, res.text);
    const [jobId] = res.body.jobs;
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.ref.sha, mergeSha);
    assert.equal(job.spec?.checkout.sha, mergeSha);
    assert.equal(job.spec?.checkout.refspec, '+refs/pull/7/merge');
    const log = (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
    assert.match(log, new RegExp(`built ${mergeSha}`));
    assert.match(log, /\nfeature\n[\s\S]*\nwith base\n/, 'the merge has both sides');

    const success = await github.waitFor((r) => r.body?.state === 'success' && r.body.target_url.endsWith(jobId));
    assert.equal(success.method, 'POST');
    assert.equal(success.path, `/repos/hive-test/app/statuses/${headSha}`);
    assert.equal(success.headers.authorization, `Bearer ${FORGE_TOKEN}`);
    assert.equal(success.headers.accept, 'application/vnd.github+json');
    assert.equal(success.headers['x-github-api-version'], '2022-11-28');
    assert.match(success.headers['content-type'], /^application\/json/);
    assert.ok(success.headers['user-agent']);
    assert.deepEqual(Object.keys(success.body).sort(), ['context', 'description', 'state', 'target_url']);
    assert.equal(success.body.context, 'hive/test');
    assert.equal(success.body.target_url, `${PUBLIC_URL}/builds/${jobId}`);
    assert.match(success.body.description, /^Build #1 passed in \d+s$/);
    const states = github.requests.filter((r) => r.body?.target_url?.endsWith(jobId)).map((r) => r.body.state);
    assert.equal(states[0], 'pending', 'queued is reported first');
    assert.equal(states.at(-1), 'success');
    assert.ok(states.slice(0, -1).every((s) => s === 'pending'), `running is "pending" on GitHub: ${states}`);
  });

  it('falls back to refs/pull/N/head when there is no merge ref, or the merge ref is stale', async () => {
    await repo.setRef('refs/pull/8/head', headSha);
    const noMerge = await sendGithubHook(queen.url, 'pull_request', pullRequestPayload('hive-test/app', { number: 8, headSha }), { secret: project.secret });
    const job8 = await queen.waitForJob(noMerge.body.jobs[0]);
    assert.equal(job8.status, 'passed', job8.message ?? '');
    assert.equal(job8.ref.sha, headSha);
    assert.equal(job8.ref.refspec, '+refs/pull/8/head');
    assert.equal(job8.spec?.checkout.refspec, '+refs/pull/8/head');
    assert.doesNotMatch((await queen.api('GET', `/api/jobs/${job8.id}/log`)).text, /\nwith base/);

    // A push to the PR moved its head; GitHub has not recomputed the merge ref yet.
    const newHead = await repo.commit({ branch: 'feature', files: { 'feature.txt': 'feature v2\n' }, message: 'feature v2' });
    await repo.setRef('refs/pull/7/head', newHead);
    const sync = await sendGithubHook(queen.url, 'pull_request', pullRequestPayload('hive-test/app', { number: 7, headSha: newHead, action: 'synchronize' }), { secret: project.secret });
    const job7 = await queen.waitForJob(sync.body.jobs[0]);
    assert.equal(job7.ref.sha, newHead, 'the stale merge of the old head is not built');
    assert.match((await queen.api('GET', `/api/jobs/${job7.id}/log`)).text, /feature v2/);
  });

  it('retries a status the API answered with 502', async () => {
    const waiting = await createProject({
      name: 'status-retry', forgeRepo: 'hive-test/retry', forgeApiUrl: `${github.url}/`, forgeToken: FORGE_TOKEN,
      config: { labels: ['nowhere'] }, // stays queued: "pending" is the only status
    });
    github.failNext(502);
    const sha = await repo.head('main');
    const res = await sendGithubHook(queen.url, 'push', pushPayload('hive-test/retry', 'main', sha), { secret: waiting.secret });
    const [jobId] = res.body.jobs;
    const accepted = await github.waitFor((r) => r.path.startsWith('/repos/hive-test/retry/') && r.answered === 201);
    const tries = github.requests.filter((r) => r.path === `/repos/hive-test/retry/statuses/${sha}`);
    assert.deepEqual(tries.map((r) => r.answered), [502, 201]);
    assert.deepEqual(tries[0].body, tries[1].body);
    assert.deepEqual(accepted.body, { state: 'pending', target_url: `${PUBLIC_URL}/builds/${jobId}`, description: 'Build #1 is queued', context: 'hive/test' });
    const cancelled = await queen.api('POST', `/api/jobs/${jobId}/cancel`);
    assert.equal(cancelled.body.status, 'cancelled');
    const last = await github.waitFor((r) => r.path.startsWith('/repos/hive-test/retry/') && r.body?.state === 'error');
    assert.equal(last.body.description, 'Build #1 was cancelled');
  });

  it('reports a failed build as failure and never lets reporting change the outcome', async () => {
    const failing = await createProject({
      name: 'failing', forgeRepo: 'hive-test/failing', forgeApiUrl: github.url, forgeToken: FORGE_TOKEN,
      config: { phases: { test: ['exit 3'] } },
    });
    github.failNext(401); // as for a bad token: logged, not retried, and the build goes on
    const sha = await repo.head('main');
    const res = await sendGithubHook(queen.url, 'push', pushPayload('hive-test/failing', 'main', sha), { secret: failing.secret });
    const job = await queen.waitForJob(res.body.jobs[0]);
    assert.equal(job.status, 'failed');
    const failure = await github.waitFor((r) => r.path === `/repos/hive-test/failing/statuses/${sha}` && r.body.state === 'failure');
    assert.match(failure.body.description, /^Build #1 failed in \d+s$/);
    const sent = github.requests.filter((r) => r.path === `/repos/hive-test/failing/statuses/${sha}`);
    assert.equal(sent[0].answered, 401);
    assert.equal(sent.filter((r) => r.body.description === sent[0].body.description).length, 1, 'a 401 is not retried');
  });
});
