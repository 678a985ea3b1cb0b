/**
 * The project page's run form as the queen reads it, without a browser: multipart with
 * parameters and files, checked for its CSRF token before any file is kept; refused runs
 * (bad values, too many bytes, no or a wrong token, files before the token) show why and
 * leave nothing behind; a plain urlencoded post still runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { count } from 'drizzle-orm';
import { uploadFiles } from '../../server/db/schema.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest, type WebSession } from '../helpers/web-session.ts';

const PASSWORD = 'run-form-password';
const MAX_UPLOAD = 32 * 1024;
let queen: TestQueen;
let repo: GitRepo;
let session: WebSession;
let projectId: string;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD, HIVE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  repo = await createGitRepo({ files: { 'README.md': '# x\n' } });
  session = await logIn(queen.url, 'admin', PASSWORD);
  const res = await queen.api('POST', '/api/projects', {
    name: 'form', repoUrl: repo.url, parameters: [{ name: 'TARGET', choices: ['staging', 'production'], default: 'staging' }, { name: 'NOTE', default: 'none' }],
  });
  projectId = res.body.id;
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

type Part = [name: string, value: string] | [name: string, content: string | Uint8Array, filename: string];

/** Posts the run form as a browser does: multipart, fields in the order given. */
function postForm(parts: Part[], as: WebSession | null = session) {
  const form = new FormData();
  for (const [name, value, filename] of parts) {
    if (filename === undefined) form.append(name, value as string);
    else form.append(name, new Blob([typeof value === 'string' ? value : new Uint8Array(value)]), filename);
  }
  return webRequest(queen.url, `/projects/${projectId}/run`, {
    method: 'POST', session: as ?? undefined, body: form, headers: { origin: queen.url },
  });
}

const jobs = async () => (await queen.api('GET', `/api/projects/${projectId}/jobs`)).body.jobs.map((j: { id: string }) => j.id) as string[];
const stored = async () => (await queen.testDb.db.select({ n: count() }).from(uploadFiles))[0].n;

describe('the run form', () => {
  it('runs a build with the chosen parameters and the files, an empty field taking the default', async () => {
    const res = await postForm([
      ['_csrf', session.csrf], ['branch', 'main'], ['param.TARGET', 'production'], ['param.NOTE', ''],
      ['file', 'first file\n', 'a.txt'], ['file', new Uint8Array([0, 1, 2]), 'b.bin'], ['type', 'TEST_AND_DEPLOY'],
    ]);
    assert.equal(res.status, 303, await res.text());
    const jobId = res.headers.get('location')!.split('/').pop()!;
    const job = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    assert.deepEqual(job.params, { TARGET: 'production', NOTE: 'none' });
    assert.deepEqual(job.files, [{ name: 'a.txt', size: 11 }, { name: 'b.bin', size: 3 }]);
    assert.equal(job.type, 'TEST_AND_DEPLOY', 'the button after the files still counts');
    const page = await (await webRequest(queen.url, `/builds/${jobId}`, { session })).text();
    assert.match(page, /<code>TARGET<\/code> = <code class="pre-line">production<\/code>/);
    assert.match(page, /<code>b\.bin<\/code> <span class="muted small">3 B<\/span>/);
  });

  it('refuses a value outside the choices on the page, before storing any file', async () => {
    const before = [await jobs(), await stored()];
    const res = await postForm([['_csrf', session.csrf], ['branch', 'main'], ['param.TARGET', 'moon'], ['file', 'x', 'a.txt']]);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /params\.TARGET: &quot;moon&quot; is not one of the choices/);
    assert.deepEqual([await jobs(), await stored()], before);
  });

  it('refuses too many bytes with 413 on the page, and a bad branch after the files, keeping nothing', async () => {
    const before = [(await jobs()).length, await stored()];
    const big = await postForm([['_csrf', session.csrf], ['branch', 'main'], ['file', new Uint8Array(MAX_UPLOAD + 1), 'big.bin']]);
    assert.equal(big.status, 413);
    assert.match(await big.text(), /larger than the 32 KiB a build may be sent in all/);
    const badBranch = await postForm([['_csrf', session.csrf], ['file', 'x', 'a.txt'], ['branch', 'no..dots']]);
    assert.equal(badBranch.status, 400);
    assert.match(await badBranch.text(), /Cannot run: branch: is not a valid branch name/);
    assert.deepEqual([(await jobs()).length, await stored()], before);
  });

  it('needs the CSRF token before any file, from our own pages', async () => {
    const before = [(await jobs()).length, await stored()];
    const missing = await postForm([['branch', 'main'], ['file', 'x', 'a.txt']]);
    assert.equal(missing.status, 403);
    const none = await postForm([['branch', 'main']]);
    assert.equal(none.status, 403);
    const wrong = await postForm([['_csrf', 'not-the-token'], ['branch', 'main']]);
    assert.equal(wrong.status, 403);
    const late = await postForm([['file', 'x', 'a.txt'], ['_csrf', session.csrf], ['branch', 'main']]);
    assert.equal(late.status, 403);
    const form = new FormData();
    form.append('_csrf', session.csrf);
    form.append('branch', 'main');
    const elsewhere = await webRequest(queen.url, `/projects/${projectId}/run`, { method: 'POST', session, body: form, headers: { origin: 'https://evil.example' } });
    assert.equal(elsewhere.status, 403);
    const anonymous = await postForm([['_csrf', session.csrf], ['branch', 'main']], null);
    assert.equal(anonymous.status, 303);
    assert.match(anonymous.headers.get('location') ?? '', /^\/login/);
    assert.deepEqual([(await jobs()).length, await stored()], before);
  });

  it('still takes a plain urlencoded post, with parameters', async () => {
    const res = await webRequest(queen.url, `/projects/${projectId}/run`, {
      method: 'POST', session, headers: { origin: queen.url },
      body: new URLSearchParams({ _csrf: session.csrf, branch: 'main', type: 'TEST', 'param.TARGET': 'production' }),
    });
    assert.equal(res.status, 303, await res.text());
    const job = (await queen.api('GET', `/api/jobs/${res.headers.get('location')!.split('/').pop()}`)).body;
    assert.deepEqual(job.params, { TARGET: 'production', NOTE: 'none' });
    assert.equal(job.priority, 0, "an empty priority field leaves the project's default");
  });

  it('takes a priority from the form, and refuses one out of range', async () => {
    const res = await postForm([['_csrf', session.csrf], ['branch', 'main'], ['priority', '42'], ['type', 'TEST']]);
    assert.equal(res.status, 303, await res.text());
    const job = (await queen.api('GET', `/api/jobs/${res.headers.get('location')!.split('/').pop()}`)).body;
    assert.equal(job.priority, 42);
    const before = await jobs();
    const bad = await postForm([['_csrf', session.csrf], ['branch', 'main'], ['priority', '101'], ['type', 'TEST']]);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /priority/);
    assert.deepEqual(await jobs(), before, 'nothing was queued');
  });
});
