/**
 * `.hive.yml` of a pushed commit read through the forge's API, without git: the projects'
 * repository URLs lead nowhere, so a job can only resolve from what the stand-in API
 * answers — or, where the API cannot say, end errored by the git fetch it falls back to.
 * The requests are checked for the shapes GitHub and GitLab document.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import webhookExamples from '@octokit/webhooks-examples';
import { startFakeForgeApi, type FakeForgeApi } from '../helpers/fake-forge-api.ts';
import { pushHook } from '../helpers/gitlab-payloads.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { sendGithubHook, sendGitlabHook } from '../helpers/webhook-sender.ts';

const GH_TOKEN = 'ghp_contentsReader0123456789';
const GL_TOKEN = 'glpat-contentsReader0123';
const NOWHERE = '/nonexistent/hive-forge-config';

let queen: TestQueen;
let api: FakeForgeApi;

before(async () => {
  [queen, api] = await Promise.all([startTestQueen(), startFakeForgeApi()]);
});
after(async () => {
  await queen?.stop();
  await api?.close();
});

const base64 = (text: string) => Buffer.from(text).toString('base64');
const contents = (text: string) => ({ type: 'file', encoding: 'base64', size: Buffer.byteLength(text), name: '.hive.yml', path: '.hive.yml', content: base64(text) });

async function project(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await queen.api('POST', '/api/projects', { config: { phases: { test: ['echo from-settings'] } }, ...body });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, secret: res.body.webhookSecret };
}

/** The job a webhook made, once its resolution is over: its status, message and commands. */
async function resolved(jobId: string) {
  await queen.resolver.settled();
  const job = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
  return { status: job.status as string, message: job.message as string | null, test: (job.spec?.phases.test ?? []).map((c: { run: string }) => c.run) as string[], sha: job.ref.sha as string };
}

describe('GitHub', () => {
  const push = (repo: string, sha: string) => {
    const example = (webhookExamples.find((d) => d.name === 'push')!.examples as any[]).find((p) => p.ref === 'refs/heads/master' && !p.deleted);
    const payload = JSON.parse(JSON.stringify(example).replace(/(Codertocat|Octocoders)\/Hello-World/g, repo));
    payload.ref = 'refs/heads/main';
    payload.after = sha;
    payload.head_commit = { ...payload.head_commit, id: sha };
    return payload;
  };
  const trigger = async (repo: string, secret: string, sha: string) => {
    const res = await sendGithubHook(queen.url, 'push', push(repo, sha), { secret });
    assert.equal(res.status, 202, res.text);
    return res.body.jobs[0] as string;
  };

  it('reads .hive.yml at the pushed commit through the contents API, with no fetch, once per commit', async () => {
    const p = await project({ name: 'gh-file', repoUrl: NOWHERE, provider: 'github', forgeRepo: 'hive-test/file', forgeApiUrl: api.url, forgeToken: GH_TOKEN });
    const sha = 'a1'.repeat(20);
    const path = `/repos/hive-test/file/contents/.hive.yml?ref=${sha}`;
    api.answerGet(path, 200, contents('phases:\n  test: "echo from-the-forge"\n'));
    const first = await resolved(await trigger('hive-test/file', p.secret, sha));
    assert.equal(first.status, 'queued', first.message ?? '');
    assert.deepEqual(first.test, ['echo from-the-forge'], 'the repository\'s phases replace the settings\'');
    assert.equal(first.sha, sha);
    const [request] = api.requests.filter((r) => r.path === path);
    assert.equal(request.method, 'GET');
    assert.equal(request.headers.authorization, `Bearer ${GH_TOKEN}`);
    assert.equal(request.headers.accept, 'application/vnd.github.object+json');
    assert.equal(request.headers['x-github-api-version'], '2022-11-28');
    assert.ok(request.headers['user-agent']);
    // The same commit again (a re-delivery, a matrix): the answer is kept.
    const second = await resolved(await trigger('hive-test/file', p.secret, sha));
    assert.deepEqual(second.test, first.test);
    assert.equal(api.requests.filter((r) => r.path === path).length, 1);
  });

  it('takes a 404 for an absent file only once the commit itself reads 200', async () => {
    const p = await project({ name: 'gh-absent', repoUrl: NOWHERE, provider: 'github', forgeRepo: 'hive-test/absent', forgeApiUrl: api.url, forgeToken: GH_TOKEN });
    const sha = 'b2'.repeat(20);
    api.answerGet(`/repos/hive-test/absent/commits/${sha}`, 200, { sha });
    const job = await resolved(await trigger('hive-test/absent', p.secret, sha));
    assert.equal(job.status, 'queued', job.message ?? '');
    assert.deepEqual(job.test, ['echo from-settings'], 'the project\'s settings alone');

    // Both 404: a token that may not read contents. Git decides — and the repository is nowhere.
    const unreadable = 'c3'.repeat(20);
    const failed = await resolved(await trigger('hive-test/absent', p.secret, unreadable));
    assert.equal(failed.status, 'errored');
    assert.match(failed.message ?? '', /Could not fetch/);
  });

  it('falls back to git for what the API cannot answer: an error, a symlink, a file too large', async () => {
    const p = await project({ name: 'gh-odd', repoUrl: NOWHERE, provider: 'github', forgeRepo: 'hive-test/odd', forgeApiUrl: api.url, forgeToken: GH_TOKEN });
    const cases: [string, number, unknown][] = [
      ['d4'.repeat(20), 500, { message: 'boom' }],
      ['e5'.repeat(20), 200, { type: 'symlink', target: 'other.yml', size: 9 }],
      ['f6'.repeat(20), 200, { ...contents('x'), size: 300 * 1024 }],
    ];
    for (const [sha, status, body] of cases) {
      api.answerGet(`/repos/hive-test/odd/contents/.hive.yml?ref=${sha}`, status, body);
      const job = await resolved(await trigger('hive-test/odd', p.secret, sha));
      assert.equal(job.status, 'errored', `${status} ${JSON.stringify(body).slice(0, 60)}`);
      assert.match(job.message ?? '', /Could not fetch/);
    }
  });
});

describe('GitLab', () => {
  const PATH = 'group/sub/cfg';
  const trigger = async (secret: string, sha: string) => {
    const payload = pushHook({ project: { path: PATH }, ref: 'refs/heads/main', before: '1'.repeat(40), after: sha, commits: [{ id: sha, message: 'change' }] });
    const res = await sendGitlabHook(queen.url, 'Push Hook', payload, { token: secret });
    assert.equal(res.status, 202, res.text);
    return res.body.jobs[0] as string;
  };

  it('reads the file, takes "404 File Not Found" as absent, and leaves any other 404 to git', async () => {
    const p = await project({ name: 'gl-cfg', repoUrl: NOWHERE, provider: 'gitlab', forgeRepo: PATH, forgeApiUrl: `${api.url}/api/v4`, forgeToken: GL_TOKEN });
    const file = (sha: string) => `/api/v4/projects/${encodeURIComponent(PATH)}/repository/files/.hive.yml?ref=${sha}`;
    const withFile = '1a'.repeat(20);
    const yml = 'phases:\n  test: "echo from-gitlab"\n';
    api.answerGet(file(withFile), 200, { file_name: '.hive.yml', file_path: '.hive.yml', size: yml.length, encoding: 'base64', content: base64(yml), ref: withFile });
    const found = await resolved(await trigger(p.secret, withFile));
    assert.equal(found.status, 'queued', found.message ?? '');
    assert.deepEqual(found.test, ['echo from-gitlab'], 'the repository\'s phases replace the settings\'');
    const request = api.requests.find((r) => r.path === file(withFile))!;
    assert.equal(request.headers['private-token'], GL_TOKEN);

    const absent = '2b'.repeat(20);
    api.answerGet(file(absent), 404, { message: '404 File Not Found' });
    const none = await resolved(await trigger(p.secret, absent));
    assert.equal(none.status, 'queued', none.message ?? '');
    assert.deepEqual(none.test, ['echo from-settings']);

    const hidden = '3c'.repeat(20);
    api.answerGet(file(hidden), 404, { message: '404 Project Not Found' });
    const failed = await resolved(await trigger(p.secret, hidden));
    assert.equal(failed.status, 'errored');
    assert.match(failed.message ?? '', /Could not fetch/);
  });
});
