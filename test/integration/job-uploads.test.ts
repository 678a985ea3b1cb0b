/**
 * Files sent with a trigger, end to end: a multipart `POST …/jobs` stores them, the drone
 * fetches them over HTTP under the job's lease and writes them into the workspace before
 * the first phase, and commands read them — as plain processes and in Docker. Too large
 * uploads (413) and bad names (400) change nothing; only the drone running the job can
 * read its files; a symlink in the commit cannot redirect an upload out of the workspace.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { count } from 'drizzle-orm';
import { findJob } from '../../server/db/jobs.ts';
import { uploadFiles } from '../../server/db/schema.ts';
import { deleteUpload } from '../../server/db/uploads.ts';
import { runRetentionPass } from '../../server/jobs/retention-pass.ts';
import { BUSYBOX_IMAGE, dockerSkipReason, removeLabelled } from '../helpers/docker-engine.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { ADMIN_TOKEN, DRONE_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';

/** Big enough for a file of several 1 MiB slices (how the queen streams files out). */
const MAX_UPLOAD = 3 * 1024 * 1024;
const DRONE = `uploads-drone-${process.pid}`;
const dockerSkip = await dockerSkipReason([BUSYBOX_IMAGE]);

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let outside: string;

before(async () => {
  queen = await startTestQueen({ HIVE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  outside = await mkdtemp(join(tmpdir(), 'hive-outside-'));
  await writeFile(join(outside, 'target.txt'), 'original\n');
  await mkdir(join(outside, 'dir'));
  repo = await createGitRepo({ files: { 'README.md': '# uploads\n', 'data/keep.txt': 'repository data\n' } });
  // A commit whose files are symlinks named like the uploads, pointing out of the workspace.
  await repo.git('checkout', '-q', '-b', 'evil', 'main');
  await symlink(join(outside, 'target.txt'), join(repo.dir, 'upload.txt'));
  await symlink(join(outside, 'dir'), join(repo.dir, 'linked-dir'));
  await repo.git('add', 'upload.txt', 'linked-dir');
  await repo.git('commit', '-q', '-m', 'symlinks named like uploads');
  await repo.git('checkout', '-q', repo.defaultBranch);
  drone = await connectDrone(queen, { name: DRONE, capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await rm(outside, { recursive: true, force: true });
  if (!dockerSkip) await removeLabelled(DRONE);
});

async function project(name: string, config: object, extra: object = {}) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, config, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

type FileSpec = [name: string, content: string | Buffer];

/** A multipart trigger as `fetch` sends one: the `job` field first (unless told), then the files. */
async function upload(projectId: string, job: object | undefined, files: FileSpec[], options: { jobLast?: boolean } = {}) {
  const form = new FormData();
  if (job && !options.jobLast) form.append('job', JSON.stringify(job));
  for (const [name, content] of files) form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), name);
  if (job && options.jobLast) form.append('job', JSON.stringify(job));
  const res = await fetch(`${queen.url}/api/projects/${projectId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

const storedFiles = async () => (await queen.testDb.db.select({ n: count() }).from(uploadFiles))[0].n;
const jobCount = async (projectId: string) => (await queen.api('GET', `/api/projects/${projectId}/jobs`)).body.jobs.length;
const log = async (jobId: string) => (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;

/**
 * The job once its resolution is over (resolved: it then waits for a drone, or was given
 * one in the same write). The trigger put it in the resolver's pool before answering.
 */
async function resolvedJob(jobId: string) {
  await queen.resolver.settled();
  const job = (await findJob(queen.testDb.db, jobId))!;
  assert.ok(job.spec || job.status !== 'queued', `job ${jobId} is still unresolved once the resolver settled`);
  return job;
}

async function passed(jobId: string) {
  const job = await queen.waitForJob(jobId);
  assert.equal(job.status, 'passed', `${job.message}\n${await log(jobId)}`);
  return log(jobId);
}

describe('uploaded files', () => {
  it('are written into the workspace before the first phase, where commands read them', async () => {
    const id = await project('read-upload', { phases: { environment: ['cat upload.txt', 'wc -c < data.bin', 'sha256sum data.bin', 'ls -a'] } });
    const binary = randomBytes(2_500_000);
    const res = await upload(id, { message: 'with files' }, [['upload.txt', 'hello from the upload\n'], ['data.bin', binary]]);
    assert.equal(res.status, 201, res.text);
    const text = await passed(res.body.id);
    assert.match(text, /\$ cat upload\.txt\nhello from the upload\n/);
    assert.match(text, /\$ wc -c < data\.bin\n\s*2500000\n/);
    assert.match(text, new RegExp(`${createHash('sha256').update(binary).digest('hex')}  data\\.bin`), 'the same bytes');
    assert.match(text, /Fetching 2 uploaded files \(2\.4 MiB\) into the workspace/);
    assert.doesNotMatch(text, /\.hive-upload-/, 'no temporary file left behind');
    const detail = (await queen.api('GET', `/api/jobs/${res.body.id}`)).body;
    assert.deepEqual(detail.files, [{ name: 'data.bin', size: 2_500_000 }, { name: 'upload.txt', size: 22 }]);
    assert.deepEqual(detail.spec.files, detail.files);
    assert.equal(detail.trigger.message, 'with files');
  });

  it('are shared by a re-run', async () => {
    const id = await project('rerun-upload', { phases: { test: ['cat notes.txt'] } });
    const res = await upload(id, {}, [['notes.txt', 'same file again\n']]);
    assert.equal(res.status, 201, res.text);
    await passed(res.body.id);
    const rerun = await queen.api('POST', `/api/jobs/${res.body.id}/rerun`);
    assert.equal(rerun.status, 201, rerun.text);
    assert.match(await passed(rerun.body.id), /same file again/);
    const [a, b] = await Promise.all([findJob(queen.testDb.db, res.body.id), findJob(queen.testDb.db, rerun.body.id)]);
    assert.ok(a?.uploadId && a.uploadId === b?.uploadId, 'one upload for both');
  });

  it('are shared by every job of a run', async () => {
    const id = await project('run-upload', { phases: { test: ['cat shared.txt'] } });
    const form = new FormData();
    form.append('job', JSON.stringify({ times: 2 }));
    form.append('file', new Blob(['one file, two jobs\n']), 'shared.txt');
    const res = await fetch(`${queen.url}/api/projects/${id}/runs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
    const run = await res.json();
    assert.equal(res.status, 201, JSON.stringify(run));
    assert.equal(run.jobs.length, 2);
    const uploads = new Set<string | null>();
    for (const job of run.jobs) {
      assert.match(await passed(job.id), /one file, two jobs/);
      uploads.add((await findJob(queen.testDb.db, job.id))!.uploadId);
    }
    assert.equal(uploads.size, 1, 'one upload for the run');
  });

  it('come with parameters in the job field, checked before any file is stored', async () => {
    const id = await project('upload-params', { phases: { test: ['echo "$TARGET: $(cat plan.txt)"'] } }, { parameters: [{ name: 'TARGET', choices: ['staging', 'production'] }] });
    const ok = await upload(id, { params: { TARGET: 'production' } }, [['plan.txt', 'the plan']]);
    assert.equal(ok.status, 201, ok.text);
    assert.match(await passed(ok.body.id), /production: the plan/);
    const before = await storedFiles();
    for (const jobLast of [false, true]) {
      const bad = await upload(id, { params: { TARGET: 'moon' } }, [['plan.txt', 'x']], { jobLast });
      assert.equal(bad.status, 400, bad.text);
      assert.match(bad.body.error.message, /^params\.TARGET: "moon" is not one of the choices/);
    }
    assert.equal(await storedFiles(), before, 'nothing stored');
    assert.equal(await jobCount(id), 1);
  });

  it('past HIVE_MAX_UPLOAD_BYTES are refused with 413, and nothing is created', async () => {
    const id = await project('too-large', { phases: { test: ['true'] } });
    const before = await storedFiles();
    // Two files, each under the limit, over it together.
    const tooMuch = await upload(id, {}, [['a.bin', Buffer.alloc(MAX_UPLOAD / 2 + 1)], ['b.bin', Buffer.alloc(MAX_UPLOAD / 2)]]);
    assert.equal(tooMuch.status, 413, tooMuch.text);
    assert.equal(tooMuch.body.error.code, 'payload_too_large');
    assert.match(tooMuch.body.error.message, /larger than the 3 MiB a build may be sent in all \(HIVE_MAX_UPLOAD_BYTES/);
    // Streamed (no Content-Length): refused as the limit is crossed, not after the whole body.
    const form = new FormData();
    form.append('job', '{}');
    form.append('file', new Blob([new Uint8Array(MAX_UPLOAD * 4)]), 'big.bin');
    const encoded = new Request('http://x/', { method: 'POST', body: form });
    const streamed = await fetch(`${queen.url}/api/projects/${id}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': encoded.headers.get('content-type')! },
      body: encoded.body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413, await streamed.clone().text());
    await streamed.body?.cancel();
    assert.equal(await jobCount(id), 0);
    assert.equal(await storedFiles(), before);
    // Exactly the limit is fine.
    const exact = await upload(id, {}, [['exact.bin', Buffer.alloc(MAX_UPLOAD)]]);
    assert.equal(exact.status, 201, exact.text);
  });

  it('with bad or repeated names are refused with 400 naming them, and nothing is created', async () => {
    const id = await project('bad-names', { phases: { test: ['true'] } });
    const before = await storedFiles();
    const cases: [FileSpec[], RegExp][] = [
      [[['ok.txt', 'x'], ['../escape.txt', 'x']], /files: the file name "\.\.\/escape\.txt" contains a path separator/],
      [[['sub\\dir.txt', 'x']], /files: the file name "sub\\\\dir\.txt" contains a path separator/],
      [[['..', 'x']], /contains "\.\."/],
      [[['.git', 'x']], /is "\.git", the checkout's own repository/],
      [[['twice.txt', 'a'], ['twice.txt', 'b']], /files: "twice\.txt" is sent twice/],
    ];
    for (const [files, expected] of cases) {
      const res = await upload(id, {}, files);
      assert.equal(res.status, 400, `${JSON.stringify(files.map((f) => f[0]))}: ${res.text}`);
      assert.match(res.body.error.message, expected);
    }
    // A file part whose name is empty but which has content (a browser's empty file input sends none).
    const boundary = 'hive-test-boundary';
    const raw = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename=""', '', 'content without a name', `--${boundary}--`, ''].join('\r\n');
    const nameless = await fetch(`${queen.url}/api/projects/${id}/jobs`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: raw,
    });
    assert.equal(nameless.status, 400);
    assert.match((await nameless.json()).error.message, /files: the file name "" is empty/);
    const emptyInput = raw.replace('content without a name', '');
    const skipped = await fetch(`${queen.url}/api/projects/${id}/jobs`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: emptyInput,
    });
    assert.equal(skipped.status, 201, 'an empty file input is no file');
    const skippedJob = (await findJob(queen.testDb.db, (await skipped.json()).id))!;
    assert.equal(skippedJob.uploadId, null);
    const unknownField = new FormData();
    unknownField.append('branch', 'main');
    const res = await fetch(`${queen.url}/api/projects/${id}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: unknownField });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /Unknown field "branch": a multipart trigger has a "job" field/);
    assert.equal(await jobCount(id), 1, 'only the build without files');
    assert.equal(await storedFiles(), before);
  });

  it('cannot follow a symlink the commit has under their name: the link is replaced, its target untouched', async () => {
    const id = await project('symlinks', { phases: { test: ['cat upload.txt', 'test ! -L upload.txt', 'test ! -L linked-dir', 'cat linked-dir'] } });
    const res = await upload(id, { branch: 'evil' }, [['upload.txt', 'uploaded content\n'], ['linked-dir', 'a file now\n']]);
    assert.equal(res.status, 201, res.text);
    assert.match(await passed(res.body.id), /uploaded content\n[\s\S]*a file now/);
    assert.equal(await readFile(join(outside, 'target.txt'), 'utf8'), 'original\n');
    assert.deepEqual(await readdir(join(outside, 'dir')), []);
  });

  it('do not replace a directory of the checkout: the job ends errored saying so', async () => {
    const id = await project('dir-clash', { phases: { test: ['echo should not run'] } });
    const res = await upload(id, {}, [['data', 'a file named like a directory']]);
    assert.equal(res.status, 201, res.text);
    const job = await queen.waitForJob(res.body.id);
    assert.equal(job.status, 'errored');
    assert.equal(job.message, 'Could not get the uploaded files: the checkout has a directory named "data"; an uploaded file cannot replace it');
    assert.doesNotMatch(await log(res.body.id), /should not run/);
  });

  it('can be read only by the drone running the job, with its current lease', async () => {
    const gate = await mkdtemp(join(tmpdir(), 'hive-gate-'));
    try {
      const id = await project('lease-check', { env: { GATE: join(gate, 'go') }, phases: { test: ['touch "$GATE.running"; while [ ! -e "$GATE" ]; do sleep 0.05; done; cat secret.txt'] } });
      const res = await upload(id, {}, [['secret.txt', 'for the drone only\n']]);
      assert.equal(res.status, 201, res.text);
      const jobId = res.body.id as string;
      await queen.waitForJob(jobId, ['running']);
      const { lease } = (await findJob(queen.testDb.db, jobId))!;
      const get = (token: string, withLease: string | undefined, name = 'secret.txt') => fetch(`${queen.url}/drone/jobs/${jobId}/files/${encodeURIComponent(name)}`, {
        headers: { authorization: `Bearer ${token}`, ...(withLease !== undefined && { 'x-hive-lease': withLease }) },
      });
      const ok = await get(DRONE_TOKEN, lease!);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'for the drone only\n');
      assert.equal(ok.headers.get('content-length'), '19');
      const wrongLease = await get(DRONE_TOKEN, 'not-the-lease');
      assert.equal(wrongLease.status, 403);
      assert.match((await wrongLease.json()).error.message, /not job .* current one/);
      assert.equal((await get(DRONE_TOKEN, undefined)).status, 403);
      const apiToken = await get(ADMIN_TOKEN, lease!);
      assert.equal(apiToken.status, 401, 'an API token is no drone token');
      await apiToken.body?.cancel();
      assert.equal((await get(DRONE_TOKEN, lease!, 'other.txt')).status, 404);
      await writeFile(join(gate, 'go'), '');
      assert.match(await passed(jobId), /for the drone only/);
      const afterwards = await get(DRONE_TOKEN, lease!);
      assert.equal(afterwards.status, 403, 'the job has ended: its lease holds nothing');
      await afterwards.body?.cancel();
      assert.doesNotMatch(drone.output(), /for the drone only/, 'no file content in the drone log');
    } finally {
      await rm(gate, { recursive: true, force: true });
    }
  });

  it('that cannot be fetched end the job errored with the reason', async () => {
    // Only a drone with this label takes the job: it connects once the files are gone.
    const id = await project('fetch-fails', { labels: ['late'], phases: { test: ['echo should not run'] } });
    const res = await upload(id, {}, [['gone.txt', 'soon gone']]);
    assert.equal(res.status, 201, res.text);
    const job = await resolvedJob(res.body.id);
    assert.deepEqual(job.spec?.files, [{ name: 'gone.txt', size: 9 }]);
    await deleteUpload(queen.testDb.db, job.uploadId!);
    const late = await connectDrone(queen, { name: `late-${process.pid}`, labels: ['late'] });
    try {
      const ended = await queen.waitForJob(res.body.id);
      assert.equal(ended.status, 'errored');
      assert.match(ended.message ?? '', /^Could not get the uploaded files: the queen answered 410 for "gone\.txt": The files uploaded with job .* were removed by retention$/);
    } finally {
      await late.stop();
    }
  });

  it('are read in a Docker container too (the workspace is mounted)', { skip: dockerSkip }, async () => {
    const id = await project('docker-upload', { image: BUSYBOX_IMAGE, phases: { test: ['test -f /.dockerenv && cat /workspace/upload.txt'] } });
    const res = await upload(id, {}, [['upload.txt', 'read inside the container\n']]);
    assert.equal(res.status, 201, res.text);
    assert.match(await passed(res.body.id), /read inside the container/);
  });

  it('are removed by retention with the logs of the last build that used them; a re-run then says so', async () => {
    const id = await project('retention', { phases: { test: ['cat kept.txt'] } });
    const res = await upload(id, {}, [['kept.txt', 'for a while']]);
    assert.equal(res.status, 201, res.text);
    await passed(res.body.id);
    const { uploadId } = (await findJob(queen.testDb.db, res.body.id))!;
    const later = new Date(Date.now() + 3 * 24 * 3600_000);
    const result = await runRetentionPass(queen.testDb.db, { logRetentionDays: 1, keepBuilds: 0, webhookDeliveryRetentionDays: 0 }, { now: later });
    assert.ok(result.uploads >= 1, `removed ${result.uploads} uploaded files`);
    const left = await queen.testDb.db.select({ n: count() }).from(uploadFiles);
    assert.equal(left[0].n, 0, `no upload left (${uploadId})`);
    const rerun = await queen.api('POST', `/api/jobs/${res.body.id}/rerun`);
    assert.equal(rerun.status, 201, rerun.text);
    const job = await queen.waitForJob(rerun.body.id);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /files uploaded with this build were removed by retention/);
  });
});
