/**
 * Log reads (issue #12, "log reads that scale"), printing figures:
 *   1. one whole-log read of the same bytes stored in few large batches and in thousands
 *      of tiny ones (a chatty build) — reading costs in proportion to the bytes;
 *   2. 10 and 50 concurrent readers (in another process) of a running job's log
 *      (`GET /api/jobs/:id/log`) that nobody has read yet and that grows while they read,
 *      stored through the queen's lifecycle as a drone's events are:
 *      latency p50/p99 of each whole read — as plain text; gzip'd as browsers, `curl
 *      --compressed` and fetch ask for it, each reader gunzipping what it gets; and gzip'd
 *      until the last compressed byte arrives (the queen's part, without the readers'
 *      decompression);
 *   3. the floor: the same readers against a bare node:http server in this process that
 *      answers every request with the same bytes from memory (no routing, credential, job
 *      row or log) — what this machine and these readers allow at best.
 * `npm run bench:log-reads`; on PostgreSQL: `TEST_DATABASE_URL=postgres://… npm run bench:log-reads`;
 * `BENCH_READS=gzip-bytes` (a comma-separated list) runs only those readers.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
// The queen in this process runs with the V8 settings of the installed queen (server/main.ts).
import '../server/v8-tuning.ts';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JobAssign } from '../common/protocol/index.ts';
import { appendJobEvents, type StoredEvent } from '../server/db/job-log.ts';
import { jobs } from '../server/db/schema.ts';
import { eq } from 'drizzle-orm';
import { jobLogText } from '../server/jobs/log-text.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen } from '../test/helpers/queen.ts';
import { openRawDrone } from '../test/helpers/raw-drone.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';

const run = promisify(execFile);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

// A long lease: the hand-driven drone sends no heartbeats, and its jobs must stay running.
const queen = await startTestQueen({ HIVE_LOG_LEVEL: process.env.BENCH_LOG ?? 'silent', HIVE_LEASE_MS: String(3_600_000) });
const repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
const project = (await queen.api('POST', '/api/projects', { name: 'bench-log-reads', repoUrl: repo.url })).body;
const drone = await openRawDrone(queen.port);
await drone.hello({ name: 'bench-reader', capacity: 8 });
console.log(`database: ${testDatabaseKind()}`);

/** A job assigned to the hand-driven drone, running once its first events are stored. */
async function assignedJob(): Promise<{ id: string; lease: string }> {
  const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
  const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
  return { id, lease };
}

/**
 * Stores a log of `lines` output lines for the job, `perBatch` events to a batch: straight
 * into the database, or through the queen's lifecycle as a drone's events arrive (which
 * also keeps the log's text for readers as it is stored).
 */
async function writeLog(
  { id, lease }: { id: string; lease: string },
  lines: number,
  perBatch: number,
  through: 'database' | 'ingest' = 'database',
): Promise<{ id: string; bytes: number }> {
  const at = Date.now();
  const events: StoredEvent[] = [
    { type: 'job:started', seq: 1, at },
    { type: 'job:cmd:start', seq: 2, at, cmd: 0, phase: 'test', command: 'chatty' },
  ] as StoredEvent[];
  for (let i = 0; i < lines; i++) {
    events.push({ type: 'job:cmd:stdout', seq: i + 3, at, cmd: 0, data: `line ${i} ${'.'.repeat(150)}\n` } as StoredEvent);
  }
  for (let i = 0; i < events.length; i += perBatch) {
    const batch = events.slice(i, i + perBatch);
    const stored = through === 'ingest' ? await queen.lifecycle.recordEvents(id, lease, batch) : await appendJobEvents(queen.database.db, id, lease, batch);
    if (!stored) throw new Error(`append refused at batch ${i}`);
  }
  const bytes = events.reduce((n, e) => n + ('data' in e ? (e as { data: string }).data.length : 0), 0);
  return { id, bytes };
}

/** The job's current lease and last stored seq, to append more as its drone would. */
async function leaseOf(id: string): Promise<{ lease: string; lastSeq: number }> {
  const [row] = await queen.database.db.select({ lease: jobs.lease, lastSeq: jobs.lastSeq }).from(jobs).where(eq(jobs.id, id));
  return { lease: row.lease!, lastSeq: row.lastSeq };
}

/** `readers` concurrent readers, `each` whole reads each, from a process of their own. */
async function readLogs(id: string, readers: number, each: number, encoding: Encoding, baseUrl = queen.url): Promise<number[]> {
  const client = fileURLToPath(new URL('./log-readers-client.ts', import.meta.url));
  const args = ['--import', 'tsx', client, baseUrl, ADMIN_TOKEN, id, String(readers), String(each), encoding];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as number[];
}

const LINES = 6_000; // ~1 MiB of output
// Every job assigned first: storing a log holds the event loop for long stretches (the
// embedded database answers through microtasks), and the hand-driven drone may not be
// around after that.
const assigned: { id: string; lease: string }[] = [];
for (let i = 0; i < 8; i++) assigned.push(await assignedJob());
const coarse = await writeLog(assigned[0], LINES, 1_000);
const chatty = await writeLog(assigned[1], LINES, 1);
// BENCH_READS=gzip-bytes,plain: only those kinds of readers (default all three).
const ENCODINGS = ['plain', 'gzip', 'gzip-bytes'] as const;
type Encoding = (typeof ENCODINGS)[number];
const wanted = (process.env.BENCH_READS ?? ENCODINGS.join(',')).split(',');
const rounds = ENCODINGS.filter((e) => wanted.includes(e)).flatMap((e) => [[e, 10], [e, 50]] as const);
// Jobs nobody has read yet, for the concurrent readers — written as a drone's events are:
// the queen keeps the text as it stores it (unless it had to make room), so readers of a
// job it ingests read nothing from the database.
const unread = new Map<string, { id: string; bytes: number }>();
for (const [i, [encoding, readers]] of rounds.entries()) unread.set(`${encoding}/${readers}`, await writeLog(assigned[2 + i], LINES, 1, 'ingest'));
const mib = (coarse.bytes / 1048576).toFixed(2);
for (const [name, job] of [['7 batches', coarse], [`${LINES + 2} batches`, chatty]] as const) {
  // The storage's part: the whole text rendered from the database, nothing cached.
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    for await (const text of jobLogText(queen.database.db, { jobId: job.id, attempt: 1 })) void text;
    samples.push(performance.now() - t0);
  }
  console.log(`whole-log read from the database, ${mib} MiB in ${name}: p50 ${fmt(pct(samples, 50))}, p95 ${fmt(pct(samples, 95))}`);
}

for (const [encoding, readers] of rounds) {
  // A job nobody has read yet, still growing: 10 more lines every 20 ms while it is read.
  const job = unread.get(`${encoding}/${readers}`)!;
  const { lease, lastSeq } = await leaseOf(job.id);
  let seq = lastSeq;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const at = Date.now();
      const batch = Array.from({ length: 10 }, () => ({ type: 'job:cmd:stdout', seq: ++seq, at, cmd: 0, data: `more ${seq}\n` }) as StoredEvent);
      await queen.lifecycle.recordEvents(job.id, lease, batch);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const t0 = performance.now();
  const samples = await readLogs(job.id, readers, 4, encoding);
  const secs = (performance.now() - t0) / 1000;
  writing = false;
  await writer;
  console.log(`${readers} concurrent ${encoding} readers of a running job's ${mib} MiB log (${LINES + 2} batches, growing), 4 reads each from another process: p50 ${fmt(pct(samples, 50))}, p99 ${fmt(pct(samples, 99))}; ${((readers * 4 * coarse.bytes) / 1048576 / secs).toFixed(0)} MiB/s served`);
}

// The floor: the coarse job's whole text (and its gzip) answered from memory, no questions asked.
const text = Buffer.from(await (await fetch(`${queen.url}/api/jobs/${coarse.id}/log`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text());
const gzipped = gzipSync(text);
const bare = createServer((req, res) => {
  const gzip = /gzip/.test(req.headers['accept-encoding'] ?? '');
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...(gzip && { 'content-encoding': 'gzip' }) });
  res.end(gzip ? gzipped : text);
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
for (const [encoding, readers] of rounds) {
  const samples = await readLogs(coarse.id, readers, 4, encoding, bareUrl);
  console.log(`floor: ${readers} concurrent ${encoding} readers of the same ${mib} MiB from a bare node:http server's memory: p50 ${fmt(pct(samples, 50))}, p99 ${fmt(pct(samples, 99))}`);
}
await new Promise((resolve) => bare.close(resolve));

drone.close();
await queen.stop();
await repo.cleanup();
