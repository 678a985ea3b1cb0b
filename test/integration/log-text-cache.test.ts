/**
 * Readers of one log share its rendered text (server/jobs/log-text-cache.ts): many
 * concurrent readers of a running job each get the whole log as stored when they asked,
 * exactly the text an uncached read renders; the log growing between and during reads
 * is never missed; the cache stays within its limits and a log longer than one entry may
 * keep still reads whole; an attempt stored anew under the same number (a drone refused
 * it before it started) is not served from the old text. The text of a job this queen
 * ingests is kept as it is stored, and its readers read nothing from the database.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { after, before, it } from 'node:test';
import type { JobAssign } from '../../common/protocol/index.ts';
import { appendJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { jobLogChunks } from '../../server/db/schema.ts';
import { isSharedPiece } from '../../server/jobs/log-gzip.ts';
import { LogTextCache } from '../../server/jobs/log-text-cache.ts';
import { jobLogText } from '../../server/jobs/log-text.ts';
import { startHandDrivenLogs, type HandDrivenLogs } from '../helpers/hand-driven-logs.ts';
import { ADMIN_TOKEN, type TestQueen } from '../helpers/queen.ts';
import type { RawDrone } from '../helpers/raw-drone.ts';

let rig: HandDrivenLogs;
let queen: TestQueen;
let drone: RawDrone;
let projectId: string;

before(async () => {
  rig = await startHandDrivenLogs('shared-log');
  ({ queen, drone, projectId } = rig);
});
after(() => rig?.stop());

const runningJob = (options?: { throughIngest?: boolean }) => rig.runningJob(options);

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i} ${'.'.repeat(i % 50)}\n`);

async function uncached(id: string): Promise<string> {
  let text = '';
  for await (const piece of jobLogText(queen.database.db, { jobId: id, attempt: 1 })) text += piece;
  return text;
}

function readOverHttp(id: string): Promise<string>;
function readOverHttp(id: string, options: { gzip: true }): Promise<Buffer>;
function readOverHttp(id: string, options: { gzip?: boolean } = {}): Promise<string | Buffer> {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, ...(options.gzip && { 'accept-encoding': 'gzip' }) };
  return new Promise((resolve, reject) => {
    get(`${queen.url}/api/jobs/${id}/log`, { agent: false, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        const body = Buffer.concat(parts);
        resolve(options.gzip ? body : body.toString());
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

for (const throughIngest of [false, true]) {
  // Stored straight into the database (readers read it from there), or through the ingest
  // (the queen keeps the text as it stores it); half the readers take gzip.
  const how = throughIngest ? 'stored through the ingest' : 'stored directly';
  it(`gives 40 concurrent readers of a growing log (${how}) each the whole log as stored, never less than was there when they asked`, async () => {
    const job = await runningJob({ throughIngest });
    for (let i = 0; i < 20; i++) await job.append(lines(i * 50, 50)); // 20 batches
    const before = await uncached(job.id);
    const growing = job.keepGrowing(lines);
    const read = (i: number) => (i % 2 ? readOverHttp(job.id) : readOverHttp(job.id, { gzip: true }).then((b) => gunzipSync(b).toString()));
    const texts = await Promise.all(Array.from({ length: 40 }, (_, i) => read(i)));
    const writes = await growing.stop();
    const final = await uncached(job.id);
    assert.ok(writes > 0, 'the log grew during the reads');
    for (const text of texts) {
      assert.ok(text.startsWith(before), 'each read holds everything stored before it began');
      assert.ok(final.startsWith(text), 'and is exactly a prefix of the log as rendered uncached');
    }
    // A read after the writes: the whole log, the kept part and the newly stored part.
    assert.equal(await readOverHttp(job.id), final);
  });
}

it('keeps the text of a job this queen ingests as it is stored: its readers read no log from the database', async () => {
  const job = await runningJob({ throughIngest: true });
  for (let i = 0; i < 40; i++) await job.append(lines(i * 50, 50)); // ~150 KiB: sealed pieces and open text
  const text = await uncached(job.id);
  // Taken from under the queen: a read that went to the database would now come back short.
  await queen.database.db.delete(jobLogChunks).where(eq(jobLogChunks.jobId, job.id));
  assert.equal(await uncached(job.id), '');
  assert.equal(await readOverHttp(job.id), text);
  assert.equal(gunzipSync(await readOverHttp(job.id, { gzip: true })).toString(), text);
});

it('keeps an ingested job\'s text byte for byte: characters of two, three and four bytes, a command\'s line before them', async () => {
  const job = await runningJob({ throughIngest: true });
  const odd = (i: number) => `${i}: héllo 🐝 ${'ü'.repeat(i % 7)} \ufffd end\n`;
  for (let i = 0; i < 30; i++) await job.append(Array.from({ length: 40 }, (_, k) => odd(i * 40 + k)));
  const text = await uncached(job.id);
  assert.ok(text.startsWith('$ print\n0: héllo 🐝  \ufffd end\n1: héllo 🐝 ü \ufffd end\n'), text.slice(0, 80));
  await queen.database.db.delete(jobLogChunks).where(eq(jobLogChunks.jobId, job.id));
  assert.equal(await readOverHttp(job.id), text, 'served from the kept text, exactly as stored');
  assert.equal(gunzipSync(await readOverHttp(job.id, { gzip: true })).toString(), text);
});

it('ends a read only with what was stored after it began, even when it joins a read already under way', async () => {
  const job = await runningJob();
  await job.append(lines(0, 10));
  const cache = new LogTextCache(queen.database.db);
  const of = { jobId: job.id, attempt: 1 };
  const read = async () => {
    let text = '';
    for await (const piece of cache.read(of, job.lease)) text += piece;
    return text;
  };
  const first = read(); // starts a page read
  await job.append(lines(10, 5)); // stored while that read may be under way
  const second = await read(); // arrives after the append: must see it
  assert.equal(second, await uncached(job.id));
  assert.ok((await uncached(job.id)).startsWith(await first));
});

it('keeps within its limits and reads a log longer than an entry may hold whole', async () => {
  const cache = new LogTextCache(queen.database.db, { totalBytes: 6_000, entryBytes: 4_000 });
  const jobs = [await runningJob(), await runningJob(), await runningJob()];
  for (const job of jobs) for (let i = 0; i < 10; i++) await job.append(lines(i * 40, 40)); // ~30 KiB each
  for (const job of jobs) {
    for (let round = 0; round < 2; round++) {
      let text = '';
      for await (const piece of cache.read({ jobId: job.id, attempt: 1 }, job.lease)) text += piece;
      assert.equal(text, await uncached(job.id), 'the whole log, cached part and the rest');
      assert.ok(cache.bytes <= 6_000, `the cache holds ${cache.bytes} bytes`);
    }
  }
});

it('does not serve an attempt stored anew under the same number from the old text', async () => {
  // A drone refuses a job before it started: the attempt is abandoned, what it stored
  // dropped, and the job assigned again under the same attempt number.
  const id = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;
  const first = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
  const note = (lease: string, data: string) =>
    appendJobEvents(queen.database.db, id, lease, [{ type: 'job:log', seq: 1, at: Date.now(), data } as StoredEvent]);
  assert.ok(await note(first.lease, 'pulling the image on the first drone\n'));
  assert.match(await readOverHttp(id), /first drone/);
  drone.send({ type: 'job:rejected', jobId: id, lease: first.lease, reason: 'no room after all' });
  const second = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id && m.lease !== first.lease);
  assert.ok(await note(second.lease, 'pulling the image again\n'));
  const text = await readOverHttp(id);
  assert.match(text, /again/);
  assert.doesNotMatch(text, /first drone/);
});

for (const throughIngest of [false, true]) {
  const how = throughIngest ? 'stored through the ingest' : 'stored directly';
  it(`keeps a log read after every small write in pieces that follow its bytes, not its reads (${how})`, async () => {
    // A running job watched by readers who each arrive after a line or two more: were every
    // arrival to make what was new into a piece of its own, a log read for an hour would be
    // thousands of pieces that every later reader walks through.
    const job = await runningJob({ throughIngest });
    const cache = new LogTextCache(queen.database.db);
    // Fed as the queen feeds its own: events announced on its bus once stored.
    const feed = (jobId: string, events: StoredEvent[], attempt: number, lease?: string) => lease && cache.stored({ jobId, attempt }, lease, events);
    if (throughIngest) queen.bus.on('job-events', feed);
    try {
    const of = { jobId: job.id, attempt: 1 };
    let pieces = 0;
    let text = '';
    for (let i = 0; i < 300; i++) {
      await job.append([`line ${i * 2} ${'.'.repeat(200)}\n`, `line ${i * 2 + 1} ${'.'.repeat(200)}\n`]);
      const untilSeq = i * 2 + 4; // the job's start, its command's start, then two lines a write
      pieces = 0;
      text = '';
      for await (const piece of cache.pieces(of, job.lease, untilSeq)) {
        if (isSharedPiece(piece)) pieces++;
        text += isSharedPiece(piece) ? piece.text.toString() : piece;
      }
    }
    assert.equal(text, await uncached(job.id), 'the last read is the whole log');
    const bytes = Buffer.byteLength(text);
    assert.ok(bytes > 16 * 1024 * 3, `the log is ${bytes} bytes`);
    assert.ok(pieces <= Math.ceil(bytes / (16 * 1024)) + 1, `${pieces} pieces for ${bytes} bytes after 300 reads`);
    } finally {
      queen.bus.off('job-events', feed);
    }
  });
}

it('gives gzip readers who need no more than the last member made the same bytes, and makes a new one when they do', async () => {
  const job = await runningJob({ throughIngest: true });
  const cache = new LogTextCache(queen.database.db);
  const of = { jobId: job.id, attempt: 1 };
  const gzipped = async (untilSeq: number) => {
    const parts: Buffer[] = [];
    for await (const b of cache.gzipped(of, job.lease, untilSeq)) parts.push(b);
    return parts;
  };
  await job.append(lines(0, 100));
  const first = await gzipped(102);
  const again = await gzipped(102);
  assert.equal(again.length, 1, 'one body');
  assert.equal(gunzipSync(again[0]).toString(), await uncached(job.id));
  assert.ok(again[0] === (await gzipped(50))[0], 'a reader who asked for less is given the same member');
  assert.ok(Buffer.concat(first).equals(again[0]));
  await job.append(lines(100, 5));
  const grown = await gzipped(107);
  assert.equal(gunzipSync(Buffer.concat(grown)).toString(), await uncached(job.id), 'a reader who needs more gets it all');
  assert.ok((await gzipped(107))[0] !== again[0]);
});
