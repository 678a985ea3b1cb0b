/**
 * `GET /api/jobs/:id/log` gzip'd for clients that ask (server/jobs/log-gzip.ts): the
 * answer gunzips — with zlib and with the real `gzip -d` — to exactly the plain answer,
 * for logs that end inside the shared text and past it, for concurrent readers of a
 * growing log, and for a past attempt; clients that do not ask get plain text; both say
 * `Vary: Accept-Encoding`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipLog } from '../../server/jobs/log-gzip.ts';
import { LogTextCache } from '../../server/jobs/log-text-cache.ts';
import { jobLogText } from '../../server/jobs/log-text.ts';
import { startHandDrivenLogs, type HandDrivenLogs } from '../helpers/hand-driven-logs.ts';
import { ADMIN_TOKEN, type TestQueen } from '../helpers/queen.ts';
import { cleanupsAfterTests } from '../helpers/file-cleanups.ts';

const run = promisify(execFile);
let rig: HandDrivenLogs;
let queen: TestQueen;
const { tempDir } = cleanupsAfterTests();

before(async () => {
  rig = await startHandDrivenLogs('gzip-log');
  queen = rig.queen;
});
after(() => rig?.stop());

const runningJob = () => rig.runningJob();

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i} ${'.'.repeat(i % 50)} é🐝\n`);

async function uncached(id: string, attempt = 1): Promise<string> {
  let text = '';
  for await (const piece of jobLogText(queen.database.db, { jobId: id, attempt })) text += piece;
  return text;
}

/** The raw answer (not decompressed), as `curl --compressed` would receive it. */
function fetchLog(id: string, acceptEncoding?: string, query = ''): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
    if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
    get(`${queen.url}/api/jobs/${id}/log${query}`, { agent: false, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function gunzipBoth(gz: Buffer): Promise<string> {
  const viaZlib = gunzipSync(gz).toString();
  const file = join(await tempDir('gzip-log-'), 'log.gz');
  await writeFile(file, gz);
  const { stdout } = await run('gzip', ['-d', '-c', file], { maxBuffer: 64 << 20, encoding: 'buffer' });
  assert.equal(stdout.toString(), viaZlib, 'gzip -d and zlib agree');
  return viaZlib;
}

it('answers gzip to clients that ask, plain text to the others, each saying Vary: Accept-Encoding', async () => {
  const job = await runningJob();
  for (let i = 0; i < 10; i++) await job.append(lines(i * 200, 200));
  const expected = await uncached(job.id);
  const plain = await fetchLog(job.id);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.match(String(plain.headers.vary), /accept-encoding/i);
  assert.equal(plain.body.toString(), expected);
  for (const accept of ['gzip', 'gzip, deflate, br']) {
    const gz = await fetchLog(job.id, accept);
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(String(gz.headers.vary), /accept-encoding/i);
    assert.ok(gz.body.length < expected.length / 5, `sent ${gz.body.length} bytes for ${expected.length}`);
    assert.equal(await gunzipBoth(gz.body), expected);
  }
  const refused = await fetchLog(job.id, 'gzip;q=0, identity');
  assert.equal(refused.headers['content-encoding'], undefined);
  assert.equal(refused.body.toString(), expected);
  // Errors stay as they were, whatever the encoding asked for.
  assert.equal((await fetchLog('00000000-0000-4000-8000-000000000000', 'gzip')).status, 404);
  // The job row read before the credential check (api-job-log.ts) never answers a refused one.
  for (const authorization of ['Bearer not-a-token', 'Basic eDp5']) {
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${queen.url}/api/jobs/${job.id}/log`, { agent: false, headers: { authorization } }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      }).on('error', reject);
    });
    assert.equal(refused.status, 401, authorization);
    assert.ok(!refused.body.includes('line 0'), 'no log in a refused answer');
  }
});

it('gunzips to the whole log when it ends past the text one log may keep shared', async () => {
  const cache = new LogTextCache(queen.database.db, { totalBytes: 20_000, entryBytes: 8_000 });
  const job = await runningJob();
  for (let i = 0; i < 10; i++) await job.append(lines(i * 60, 60)); // ~35 KiB
  const expected = await uncached(job.id);
  for (let round = 0; round < 2; round++) {
    const parts: Buffer[] = [];
    for await (const b of gzipLog(cache.pieces({ jobId: job.id, attempt: 1 }, job.lease))) parts.push(b);
    assert.equal(await gunzipBoth(Buffer.concat(parts)), expected, `read ${round + 1}`);
    assert.ok(cache.bytes <= 20_000, `the cache holds ${cache.bytes} bytes, compressed pieces included`);
  }
});

it('gives concurrent gzip readers of a growing log each the whole log as stored when they asked', async () => {
  const job = await runningJob();
  for (let i = 0; i < 20; i++) await job.append(lines(i * 50, 50));
  const before = await uncached(job.id);
  const growing = job.keepGrowing(lines);
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fetchLog(job.id, i % 3 === 0 ? undefined : 'gzip')));
  const writes = await growing.stop();
  const final = await uncached(job.id);
  assert.ok(writes > 0, 'the log grew during the reads');
  for (const answer of answers) {
    const text = answer.headers['content-encoding'] === 'gzip' ? gunzipSync(answer.body).toString() : answer.body.toString();
    assert.ok(text.startsWith(before), 'each read holds everything stored before it began');
    assert.ok(final.startsWith(text), 'and is exactly a prefix of the log');
  }
  assert.equal(await gunzipBoth((await fetchLog(job.id, 'gzip')).body), final);
});

it('answers a log too long for one write in chunks, each answer with the headers every answer carries, and answers everyone whole after a reader hangs up mid-way', async () => {
  const job = await runningJob();
  const long = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i} ${'x'.repeat(40 + (i % 80))} é🐝\n`);
  // ~5 MiB: past the text a log keeps shared (4 MiB), so read in slices of the database and streamed.
  for (let i = 0; i < 50; i++) await job.append(long(i * 1000, 1000));
  const expected = await uncached(job.id);
  const plain = await fetchLog(job.id);
  assert.equal(plain.headers['transfer-encoding'], 'chunked', 'a long log is streamed');
  assert.equal(plain.body.toString(), expected);
  const small = await runningJob();
  await small.append(lines(0, 10));
  const whole = await fetchLog(small.id, 'gzip');
  assert.equal(whole.headers['content-length'], String(whole.body.length), 'a short log is one body with its length');
  for (const answer of [plain, whole]) {
    assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(answer.headers['x-frame-options'], 'DENY');
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
  }
  // A reader that takes the first bytes and hangs up: the queen stops writing to it and
  // goes on answering everyone else whole.
  const firstBytes = await new Promise<number>((resolve, reject) => {
    const req = get(`${queen.url}/api/jobs/${job.id}/log`, { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      res.once('data', (b: Buffer) => {
        req.destroy();
        resolve(b.length);
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
  assert.ok(firstBytes > 0);
  assert.equal((await fetchLog(job.id)).body.toString(), expected);
  assert.equal(await gunzipBoth((await fetchLog(job.id, 'gzip')).body), expected);
});
