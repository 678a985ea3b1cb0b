/**
 * Status badges on a real queen with a real drone and git repository: the badge follows
 * the branch's latest finished build (passing → failing), answers 304 while unchanged,
 * needs no credentials for public projects and hides private ones from strangers exactly
 * as unknown ones, decodes project names with spaces and escapes branch names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';

const PASSWORD = 'badges-admin-password';
let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
  repo = await createGitRepo({ files: { ok: '', '.hive.yml': 'phases:\n  test: test -f ok\n' } });
  drone = await connectDrone(queen, { name: 'badger', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

async function createProject(name: string, extra: object = {}) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string };
}

async function build(projectId: string, branch = 'main') {
  const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, { branch });
  assert.equal(res.status, 201, res.text);
  return queen.waitForJob(res.body.id);
}

/** The badge as a browser or GitHub's camo would fetch it (no credentials unless given). */
async function badge(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${queen.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, svg: await res.text() };
}

/** The badge's message and colour, read from the SVG. */
function said(svg: string) {
  const texts = [...svg.matchAll(/<text x="\d+" y="140"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  const color = /<rect x="\d+" width="\d+" height="20" fill="(#[0-9a-f]+)"\/>/.exec(svg)?.[1];
  return { label: texts[0], message: texts[1], color };
}

describe('status badges', () => {
  it('says unknown before any build, then follows the latest finished build: passing → failing', async () => {
    await createProject('badged');
    const none = await badge('/badge/badged.svg');
    assert.equal(none.status, 200);
    assert.deepEqual(said(none.svg), { label: 'build', message: 'unknown', color: '#9f9f9f' });

    const passed = await build((await queen.api('GET', '/api/projects')).body.projects.find((p: { name: string }) => p.name === 'badged').id);
    assert.equal(passed.status, 'passed');
    const green = await badge('/badge/badged.svg?branch=main');
    assert.deepEqual(said(green.svg), { label: 'build', message: 'passing', color: '#4c1' });
    assert.match(green.svg, new RegExp(`<title>build: passing \\(build #${passed.number} of main\\)</title>`));

    await repo.commit({ files: { ok: null }, message: 'break the build' });
    const failed = await build(passed.projectId);
    assert.equal(failed.status, 'failed');
    const red = await badge('/badge/badged.svg');
    assert.deepEqual(said(red.svg), { label: 'build', message: 'failing', color: '#e05d44' });
    assert.notEqual(red.headers.get('etag'), green.headers.get('etag'));
    await repo.commit({ files: { ok: '' }, message: 'fix it again' });
  });

  it('is an SVG image that revalidates: no-cache, ETag, Last-Modified, 304 while unchanged', async () => {
    const { status, headers, svg } = await badge('/badge/badged.svg');
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.match(headers.get('cache-control')!, /^public, .*no-cache/);
    assert.ok(headers.get('last-modified'));
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="20" role="img"/);
    // Nothing the queen's CSP (no inline styles, no scripts) would block when opened directly.
    assert.doesNotMatch(svg, /style=|<style|<script|href=/);
    assert.match(headers.get('content-security-policy')!, /default-src 'none'/);

    const etag = headers.get('etag')!;
    const revalidated = await badge('/badge/badged.svg', { 'if-none-match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.svg, '');
    assert.equal(revalidated.headers.get('etag'), etag);
    assert.equal((await badge('/badge/badged.svg', { 'if-none-match': '"stale"' })).status, 200);
    assert.equal((await badge('/badge/badged.svg', { 'if-modified-since': headers.get('last-modified')! })).status, 304);
  });

  it('shows a branch\'s own builds, defaults to the default branch, and escapes branch names', async () => {
    const project = await createProject('branches', { defaultBranch: 'main' });
    await repo.commit({ branch: 'broken', from: 'main', files: { ok: null }, message: 'broken branch' });
    assert.equal((await build(project.id, 'broken')).status, 'failed');
    assert.equal(said((await badge('/badge/branches.svg?branch=broken')).svg).message, 'failing');
    assert.equal(said((await badge('/badge/branches.svg')).svg).message, 'unknown', 'main was never built');

    const odd = await badge(`/badge/branches.svg?branch=${encodeURIComponent('fix/<b>&"q"')}`);
    assert.equal(odd.status, 200);
    assert.match(odd.svg, /no finished build of fix\/&lt;b&gt;&amp;&quot;q&quot;/);
    assert.doesNotMatch(odd.svg, /<b>/);
    const bad = await badge(`/badge/branches.svg?branch=${encodeURIComponent('a..b')}`);
    assert.equal(bad.status, 400);
  });

  it('finds projects whose names have spaces and dots', async () => {
    await createProject('my app.v2');
    const res = await badge(`/badge/${encodeURIComponent('my app.v2')}.svg`);
    assert.equal(res.status, 200);
    assert.equal(said(res.svg).message, 'unknown');
    assert.equal((await badge('/badge/my%20app.v2')).status, 404, 'the .svg is part of the URL');
  });

  it('hides a private project from strangers exactly as an unknown one, and shows it to users', async () => {
    const project = await createProject('secret project', { private: true });
    assert.equal((await build(project.id)).status, 'passed');
    const path = `/badge/${encodeURIComponent('secret project')}.svg`;
    const stranger = await badge(path);
    const unknown = await badge(`/badge/${encodeURIComponent('no such project')}.svg`);
    assert.equal(stranger.status, 404);
    assert.equal(unknown.status, 404);
    assert.equal(stranger.svg, unknown.svg);
    for (const h of ['content-type', 'cache-control', 'etag', 'vary']) assert.equal(stranger.headers.get(h), unknown.headers.get(h), h);
    assert.equal(said(stranger.svg).message, 'not found');

    const withToken = await badge(path, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.equal(withToken.status, 200);
    assert.equal(said(withToken.svg).message, 'passing');
    assert.match(withToken.headers.get('cache-control')!, /^private, /);

    const session = await logIn(queen.url, 'admin', PASSWORD);
    const withSession = await webRequest(queen.url, path, { session });
    assert.equal(withSession.status, 200);
    await withSession.body?.cancel();

    const badToken = await badge(path, { authorization: 'Bearer hive_not_a_token_at_all' });
    assert.equal(badToken.status, 401);
    assert.equal((await badge(`/badge/${encodeURIComponent('no such project')}.svg`, { authorization: 'Bearer nope-nope-nope' })).status, 401);

    // Public again: anyone sees it.
    await queen.api('PATCH', `/api/projects/${project.id}`, { private: false });
    assert.equal((await badge(path)).status, 200);
  });
});
