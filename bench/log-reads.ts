/**
 * Log reads (issue #12, "log reads that scale"), printing figures:
 *   1. one whole-log read of the same bytes stored in few large batches and in thousands
 *      of tiny ones (a chatty build) — reading costs in proportion to the bytes;
 *   2. 50 concurrent readers of a running job's log (`GET /api/jobs/:id/log`): latency
 *      p50/p99 of each whole read.
 * `npm run bench:log-reads`; on PostgreSQL: `TEST_DATABASE_URL=postgres://… npm run bench:log-reads`.
 */
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { JobAssign } from '../common/protocol/index.ts';
import { appendJobEvents, type StoredEvent } from '../server/db/job-log.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen } from '../test/helpers/queen.ts';
import { openRawDrone } from '../test/helpers/raw-drone.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

// A long lease: the hand-driven drone sends no heartbeats, and its jobs must stay running.
const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent', HIVE_LEASE_MS: String(3_600_000) });
const repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
const project = (await queen.api('POST', '/api/projects', { name: 'bench-log-reads', repoUrl: repo.url })).body;
const drone = await openRawDrone(queen.port);
await drone.hello({ name: 'bench-reader', capacity: 8 });
console.log(`database: ${testDatabaseKind()}`);

/** A running job whose log is `lines` output lines, stored `perBatch` events to a batch. */
async function runningJob(lines: number, perBatch: number): Promise<{ id: string; bytes: number }> {
  const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
  const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
  const at = Date.now();
  const events: StoredEvent[] = [
    { type: 'job:started', seq: 1, at },
    { type: 'job:cmd:start', seq: 2, at, cmd: 0, phase: 'test', command: 'chatty' },
  ] as StoredEvent[];
  for (let i = 0; i < lines; i++) {
    events.push({ type: 'job:cmd:stdout', seq: i + 3, at, cmd: 0, data: `line ${i} ${'.'.repeat(150)}\n` } as StoredEvent);
  }
  for (let i = 0; i < events.length; i += perBatch) {
    const stored = await appendJobEvents(queen.database.db, id, lease, events.slice(i, i + perBatch));
    if (!stored) throw new Error(`append refused at batch ${i} (job ${JSON.stringify(await queen.api('GET', `/api/jobs/${id}`).then((r) => [r.body.status, r.body.lastSeq]))})`);
  }
  const bytes = events.reduce((n, e) => n + ('data' in e ? (e as { data: string }).data.length : 0), 0);
  return { id, bytes };
}

/** One whole read on a connection of its own, as separate browsers make. */
function readLog(id: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    get(`${queen.url}/api/jobs/${id}/log`, { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      res.on('end', () => {
        if (res.statusCode !== 200 || bytes < 1024) reject(new Error(`the log read answered ${res.statusCode} with ${bytes} bytes`));
        else resolve(performance.now() - t0);
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

const LINES = 6_000; // ~1 MiB of output
const coarse = await runningJob(LINES, 1_000);
const chatty = await runningJob(LINES, 1);
const mib = (coarse.bytes / 1048576).toFixed(2);
for (const [name, job] of [['7 batches', coarse], [`${LINES + 2} batches`, chatty]] as const) {
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) samples.push(await readLog(job.id));
  console.log(`whole-log read, ${mib} MiB in ${name}: p50 ${fmt(pct(samples, 50))}, p95 ${fmt(pct(samples, 95))}`);
}

for (const readers of [10, 50]) {
  const samples: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: readers }, async () => {
    for (let i = 0; i < 4; i++) samples.push(await readLog(chatty.id));
  }));
  const secs = (performance.now() - t0) / 1000;
  console.log(`${readers} concurrent readers of a running job's ${mib} MiB log (${LINES + 2} batches), 4 reads each: p50 ${fmt(pct(samples, 50))}, p99 ${fmt(pct(samples, 99))}; ${((readers * 4 * coarse.bytes) / 1048576 / secs).toFixed(0)} MiB/s served`);
}

drone.close();
await queen.stop();
await repo.cleanup();
