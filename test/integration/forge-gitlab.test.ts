/**
 * GitLab webhooks end to end against a real queen: payloads in GitLab's documented
 * formats (Push Hook, Tag Push Hook, Merge Request Hook), the secret token, redelivery,
 * merge request builds of `refs/merge-requests/N/head` on a real drone, and commit
 * statuses reaching a stand-in for GitLab's API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { startFakeForgeApi, type FakeForgeApi } from '../helpers/fake-forge-api.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { mergeRequestHook, NULL_SHA, pushHook } from '../helpers/gitlab-payloads.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { sendGitlabHook } from '../helpers/webhook-sender.ts';

const PUBLIC_URL = 'https://hive.example.org/ci';
const GITLAB_TOKEN = 'glpat-statusToken0123456789';
const PATH = 'hive-group/sub/gl-app';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let gitlab: FakeForgeApi;
let projectId: string;
let secret: string;

before(async () => {
  [queen, repo, gitlab] = await Promise.all([
    startTestQueen({ HIVE_PUBLIC_URL: PUBLIC_URL }),
    createGitRepo({ files: { 'README.md': '# gl app\n' } }),
    startFakeForgeApi(),
  ]);
  drone = await connectDrone(queen, { name: 'gl-builder', capacity: 2 });
  const created = await queen.api('POST', '/api/projects', {
    name: 'gl-app', repoUrl: repo.url, provider: 'gitlab', forgeRepo: PATH,
    forgeApiUrl: `${gitlab.url}/api/v4`, forgeToken: GITLAB_TOKEN,
    config: { phases: { test: ['echo "built $(git rev-parse HEAD)"', 'test ! -f broken'] } },
  });
  assert.equal(created.status, 201, created.text);
  projectId = created.body.id;
  secret = created.body.webhookSecret;
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await Promise.all([repo?.cleanup(), gitlab?.close()]);
});

const project = { path: PATH, webUrl: `https://gitlab.example.com/${PATH}` };
const job = async (id: string) => (await queen.api('GET', `/api/jobs/${id}`)).body;
const jobCount = async (id = projectId) => (await queen.api('GET', `/api/projects/${id}/jobs?limit=200`)).body.jobs.length;
const send = (event: string, payload: unknown, options: { token?: string; eventUuid?: string } = {}) =>
  sendGitlabHook(queen.url, event, payload, { token: secret, ...options });
const statusPath = (sha: string) => `/api/v4/projects/${encodeURIComponent(PATH)}/statuses/${sha}`;

describe('GitLab webhook payloads', () => {
  it('builds a Push Hook with the author, message and links of the pushed commit', async () => {
    const sha = await repo.head('main');
    const payload = pushHook({
      project, ref: 'refs/heads/main', before: '1'.repeat(40), after: sha,
      commits: [{ id: '1'.repeat(40), message: 'older' }, { id: sha, message: 'Fix the thing\n\nLonger text', authorName: 'Ann Author', authorEmail: 'ann@example.com' }],
    });
    const res = await send('Push Hook', payload);
    assert.equal(res.status, 202, res.text);
    const built = await job(res.body.jobs[0]);
    assert.deepEqual(built.ref, { branch: 'main', sha });
    assert.deepEqual(built.trigger.source, { type: 'webhook', provider: 'gitlab' });
    assert.deepEqual(built.trigger.author, { name: 'Ann Author', email: 'ann@example.com', username: 'jdoe', avatarUrl: payload.user_avatar });
    assert.equal(built.trigger.message, 'Fix the thing\n\nLonger text');
    assert.equal(built.trigger.commitUrl, `${project.webUrl}/-/commit/${sha}`);
    assert.equal(built.trigger.compareUrl, `${project.webUrl}/-/compare/${'1'.repeat(40)}...${sha}`);
    assert.equal((await queen.waitForJob(built.id)).status, 'passed');
  });

  it('answers 401 to a missing or wrong X-Gitlab-Token and stores nothing', async () => {
    const before = await jobCount();
    const payload = pushHook({ project, ref: 'refs/heads/main', after: '2'.repeat(40) });
    const wrong = await send('Push Hook', payload, { token: `${secret}x` });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.error.message, /X-Gitlab-Token/);
    assert.equal((await sendGitlabHook(queen.url, 'Push Hook', payload)).status, 401);
    assert.equal(await jobCount(), before);
    const deliveries = (await queen.api('GET', `/api/projects/${projectId}/webhook-deliveries`)).body.deliveries;
    assert.ok(deliveries.every((d: { outcome: string }) => d.outcome !== 'processing'));
    assert.equal(deliveries.length, 1, 'only the accepted push of the first test');
  });

  it('answers an unknown project exactly like a wrong token (401), and finds a project by its clone URL', async () => {
    const unknown = await send('Push Hook', pushHook({ project: { path: 'nobody/nothing' }, ref: 'refs/heads/main', after: '3'.repeat(40) }));
    const wrong = await sendGitlabHook(queen.url, 'Push Hook', pushHook({ project: { path: 'nobody/nothing' }, ref: 'refs/heads/main', after: '3'.repeat(40) }), { token: 'not-the-secret' });
    assert.equal(unknown.status, 401);
    assert.deepEqual([wrong.status, wrong.body], [unknown.status, unknown.body]);
    assert.match(unknown.body.error.message, /X-Gitlab-Token does not match/);

    const byUrl = await queen.api('POST', '/api/projects', { name: 'gl-by-url', repoUrl: 'https://gitlab.example.com/Some/Where.git' });
    const res = await sendGitlabHook(queen.url, 'Push Hook',
      pushHook({ project: { path: 'some/where-renamed', httpUrl: 'https://gitlab.example.com/some/where.git' }, ref: 'refs/heads/main', after: '3'.repeat(40) }),
      { token: byUrl.body.webhookSecret });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.jobs.length, 1);
  });

  it('ignores deleted branches, tags unless enabled, other events, and [skip ci]', async () => {
    const deleted = await send('Push Hook', pushHook({ project, ref: 'refs/heads/gone', before: '4'.repeat(40), after: NULL_SHA }));
    assert.deepEqual(deleted.body, { ignored: 'branch "gone" was deleted' });
    const sha = await repo.head('main');
    const tag = pushHook({ project, ref: 'refs/tags/v1.0.0', after: sha });
    assert.match((await send('Tag Push Hook', tag)).body.ignored, /tag builds are off/);
    const note = await send('Note Hook', { object_kind: 'note', project: pushHook({ project, ref: 'refs/heads/main', after: sha }).project });
    assert.deepEqual(note.body, { ignored: 'event "Note Hook" does not build' });
    const skip = await send('Push Hook', pushHook({ project, ref: 'refs/heads/main', after: sha, commits: [{ id: sha, message: 'typo [ci skip]' }] }));
    assert.deepEqual(skip.body, { ignored: '[skip ci] in the commit message' });

    await queen.api('PATCH', `/api/projects/${projectId}`, { branchRules: { tags: true } });
    await repo.tag('v1.0.0', sha);
    const tagged = await send('Tag Push Hook', tag);
    assert.deepEqual((await job(tagged.body.jobs[0])).ref, { tag: 'v1.0.0', sha, refspec: '+refs/tags/v1.0.0' });
    const built = await queen.waitForJob(tagged.body.jobs[0]);
    assert.equal(built.status, 'passed', built.message ?? '');
    await queen.api('PATCH', `/api/projects/${projectId}`, { branchRules: {} });
  });

  it('creates no second job when the same delivery arrives again', async () => {
    const before = await jobCount();
    const payload = pushHook({ project, ref: 'refs/heads/main', after: await repo.head('main') });
    const first = await send('Push Hook', payload, { eventUuid: 'b1d6e4a0-0000-4000-8000-000000000001' });
    const again = await send('Push Hook', payload, { eventUuid: 'b1d6e4a0-0000-4000-8000-000000000001' });
    assert.deepEqual(again.body, { jobs: first.body.jobs, duplicate: true });
    assert.equal(await jobCount(), before + 1);
    await queen.waitForJob(first.body.jobs[0]);
  });
});

describe('merge requests', () => {
  let headSha: string;

  before(async () => {
    headSha = await repo.commit({ branch: 'feature', files: { 'feature.txt': 'mr\n' }, message: 'feature for the MR' });
    await repo.setRef('refs/merge-requests/3/head', headSha);
    await repo.git('checkout', '--quiet', 'main');
  });

  const mr = (o: Partial<Parameters<typeof mergeRequestHook>[0]> = {}) =>
    mergeRequestHook({ project, iid: 3, action: 'open', sourceBranch: 'feature', lastCommit: { id: headSha, message: 'feature for the MR' }, ...o });

  it('builds exactly refs/merge-requests/3/head and reports pending, running and success to GitLab', async () => {
    const res = await send('Merge Request Hook', mr());
    assert.equal(res.status, 202, res.text);
    const [jobId] = res.body.jobs;
    const ended = await queen.waitForJob(jobId);
    assert.equal(ended.status, 'passed', ended.message ?? '');
    assert.equal(ended.ref.sha, headSha);
    assert.equal(ended.ref.refspec, 'refs/merge-requests/3/head');
    assert.deepEqual(ended.ref.pullRequest, {
      number: 3, baseBranch: 'main', headBranch: 'feature', headSha, fork: false, title: 'Add a feature', url: `${project.webUrl}/-/merge_requests/3`,
    });
    assert.match((await queen.api('GET', `/api/jobs/${jobId}/log`)).text, new RegExp(`built ${headSha}`));

    const success = await gitlab.waitFor((r) => r.path === statusPath(headSha) && r.body.state === 'success');
    assert.equal(success.method, 'POST');
    assert.equal(success.headers['private-token'], GITLAB_TOKEN);
    assert.equal(success.headers.authorization, undefined);
    assert.match(success.headers['content-type'], /^application\/json/);
    assert.deepEqual(Object.keys(success.body).sort(), ['description', 'name', 'ref', 'state', 'target_url']);
    assert.equal(success.body.name, 'hive/test');
    assert.equal(success.body.ref, 'feature');
    assert.equal(success.body.target_url, `${PUBLIC_URL}/builds/${jobId}`);
    const states = gitlab.requests.filter((r) => r.body?.target_url?.endsWith(jobId)).map((r) => r.body.state);
    assert.equal(states[0], 'pending');
    assert.ok(states.includes('running'), `GitLab hears "running": ${states}`);
    assert.equal(states.at(-1), 'success');
  });

  it('builds an update with new commits, and a draft marked ready; ignores other updates, closes and drafts', async () => {
    const update = await send('Merge Request Hook', mr({ action: 'update', oldrev: '5'.repeat(40) }));
    assert.equal(update.body.jobs?.length, 1, update.text);
    assert.deepEqual((await send('Merge Request Hook', mr({ action: 'update' }))).body, { ignored: 'merge request update without new commits' });
    assert.match((await send('Merge Request Hook', mr({ action: 'close', state: 'closed' }))).body.ignored, /action "close" does not build/);
    assert.match((await send('Merge Request Hook', mr({ action: 'merge', state: 'merged' }))).body.ignored, /action "merge"/);
    assert.match((await send('Merge Request Hook', mr({ action: 'open', draft: true }))).body.ignored, /is a draft/);
    const ready = await send('Merge Request Hook', mr({ action: 'update', changes: { draft: { previous: true, current: false } } }));
    assert.equal(ready.body.jobs?.length, 1, ready.text);
    const fork = await send('Merge Request Hook', mr({ iid: 4, sourceProjectId: 999 }));
    assert.match(fork.body.ignored, /from a fork/);
    await Promise.all([queen.waitForJob(update.body.jobs[0]), queen.waitForJob(ready.body.jobs[0])]);
  });

  it('reports a failed build as "failed"', async () => {
    const broken = await repo.commit({ branch: 'broken', files: { broken: 'yes' }, message: 'break it' });
    const res = await send('Push Hook', pushHook({ project, ref: 'refs/heads/broken', after: broken }));
    const ended = await queen.waitForJob(res.body.jobs[0]);
    assert.equal(ended.status, 'failed');
    const failed = await gitlab.waitFor((r) => r.path === statusPath(broken) && r.body.state === 'failed');
    assert.equal(failed.body.ref, 'broken');
    assert.match(failed.body.description, /^Build #\d+ failed in \d+s$/);
  });
});
