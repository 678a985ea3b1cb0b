/**
 * Benchmarks of the queen's hot paths, printing figures (no pass/fail):
 *   1. trigger → assignment at a free drone (POST /jobs until job:assign arrives);
 *   2. log ingest throughput and queen memory while a drone streams a large log;
 *   3. a whole build through a real drone process (trigger → passed);
 *   3b. trigger → `echo hello` finished with a fresh and with an incremental workspace,
 *      for a repository of one file and one of 3,000 (workspace-modes.ts);
 *   4. a 200 MiB log streamed by a real drone: throughput and the queen's memory;
 *      then large logs of many lines (50 MB in 704k lines, 14.9 MB in 2M), in MB/s
 *      (log-ingest.ts);
 *   4b. a container job against a bare `docker run --rm` of the same image, same run, with
 *      the ratio and a breakdown of where the time goes (container-job.ts; skipped, saying
 *      why, without a Docker engine and its test images);
 *   5. the resident memory of every process of `hive start` (start-memory.ts), on PGlite
 *      and, given a PostgreSQL URL, on PostgreSQL;
 *   6. live line latency: a line printed by a command → shown in chromium's build page,
 *      split at the drone and the queen (live-line-latency.ts; its own queen).
 * `npm run bench`; on PostgreSQL: `TEST_DATABASE_URL=postgres://… npm run bench` (1–5), or
 * `npm run bench -- --postgres postgres://…` (5 only; the URL's role must create databases).
 * `npm run bench -- --parts=1,3` runs only those parts (1, 2, 3, 3b, 4, 4b, 5, 6).
 * The queen of 1–4 runs in this process, with the queen's V8 settings.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
import '../server/v8-tuning.ts';
import { performance } from 'node:perf_hooks';
import type { JobAssign } from '../common/protocol/index.ts';
import { connectDrone } from '../test/helpers/drone-process.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { startTestQueen } from '../test/helpers/queen.ts';
import { openRawDrone } from '../test/helpers/raw-drone.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';
import { benchContainerJob, describeContainerBench, skipContainerBench } from './container-job.ts';
import { benchLiveLineLatency, describeLiveLineLatency } from './live-line-latency.ts';
import { benchLogIngest, describeLogIngest } from './log-ingest.ts';
import { measureStartMemory, memoryTable } from './start-memory.ts';
import { benchWorkspaceModes, describeWorkspaceModes } from './workspace-modes.ts';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const partsArg = process.argv.find((a) => a.startsWith('--parts='))?.slice('--parts='.length);
const chosen = partsArg ? new Set(partsArg.split(',')) : undefined;
/** Whether this run measures the part: all of them unless --parts names some. */
const part = (name: string) => !chosen || chosen.has(name);

const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' });
const repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
const project = (await queen.api('POST', '/api/projects', { name: 'bench', repoUrl: repo.url })).body;
console.log(`database: ${testDatabaseKind()}`);

// 1. Trigger → assignment.
if (part('1')) {
  const drone = await openRawDrone(queen.port);
  await drone.hello({ name: 'bench-raw', capacity: 1 });
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    const res = await queen.api('POST', `/api/projects/${project.id}/jobs`, { branch: 'main' });
    const assign = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === res.body.id);
    if (i >= 10) samples.push(performance.now() - t0); // the first runs warm the mirror and JIT
    drone.send({ type: 'job:done', jobId: assign.spec.jobId, lease: assign.lease, seq: 1, at: Date.now(), status: 'passed' });
    await queen.waitForJob(assign.spec.jobId);
  }
  console.log(`trigger → job:assign at a free drone (incl. git fetch + .hive.yml): p50 ${fmt(pct(samples, 50))}, p95 ${fmt(pct(samples, 95))}, n=${samples.length}`);
  drone.close();
}

// 2. Log ingest: one drone streams N output events of ~1 KiB as fast as the socket takes them.
if (part('2')) {
  const drone = await openRawDrone(queen.port);
  await drone.hello({ name: 'bench-log', capacity: 1 });
  const jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  const assign = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId);
  const line = `${'x'.repeat(1000)}\n`;
  const N = 100_000;
  const base = { jobId, lease: assign.lease };
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const t0 = performance.now();
  drone.send({ type: 'job:started', ...base, seq: 1, at: Date.now() });
  drone.send({ type: 'job:cmd:start', ...base, seq: 2, at: Date.now(), cmd: 0, phase: 'test', command: 'yes' });
  let seq = 2;
  // Send in windows, as a real drone does (it waits for acks before running far ahead).
  const WINDOW = 2000;
  while (seq < N + 2) {
    const until = Math.min(seq + WINDOW, N + 2);
    while (seq < until) drone.send({ type: 'job:cmd:stdout', ...base, seq: ++seq, at: Date.now(), cmd: 0, data: line });
    const target = seq - WINDOW / 2;
    await drone.waitFor((m) => m.type === 'job:ack' && m.seq >= Math.max(target, 1), 60_000);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  drone.send({ type: 'job:cmd:done', ...base, seq: ++seq, at: Date.now(), cmd: 0, exitCode: 0, durationMs: 1 });
  drone.send({ type: 'job:done', ...base, seq: ++seq, at: Date.now(), status: 'passed' });
  await queen.waitForJob(jobId, ['passed'], 120_000);
  const secs = (performance.now() - t0) / 1000;
  console.log(`log ingest: ${N} events (${(N * line.length / 1048576).toFixed(0)} MiB) stored in ${secs.toFixed(2)} s → ${Math.round(N / secs)} events/s, ${(N * line.length / 1048576 / secs).toFixed(1)} MiB/s; queen RSS +${((rssPeak - rssBefore) / 1048576).toFixed(0)} MiB at peak`);
  const t1 = performance.now();
  const res = await fetch(`${queen.url}/api/jobs/${jobId}/log`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
  let bytes = 0;
  for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
  const s2 = (performance.now() - t1) / 1000;
  console.log(`log download: ${(bytes / 1048576).toFixed(0)} MiB streamed in ${s2.toFixed(2)} s (${(bytes / 1048576 / s2).toFixed(0)} MiB/s)`);
  drone.close();
}

// 3. A whole build through a real drone process.
if (part('3')) {
  const drone = await connectDrone(queen, { name: 'bench-drone', capacity: 1 });
  const samples: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
    const job = await queen.waitForJob(id);
    if (job.status !== 'passed') throw new Error(`bench build ${job.status}: ${job.message}`);
    if (i >= 2) samples.push(performance.now() - t0);
  }
  console.log(`whole build (trigger → checkout → \`true\` → passed) on a real drone: p50 ${fmt(pct(samples, 50))}, p95 ${fmt(pct(samples, 95))}, n=${samples.length}`);
  await drone.stop();
}

// 3b. Fresh against incremental workspaces.
if (part('3b')) console.log(describeWorkspaceModes(await benchWorkspaceModes(queen)));

// 4. A 200 MiB log from a real drone: throughput and the queen's memory while it streams.
if (part('4')) {
  const drone = await connectDrone(queen, { name: 'bench-big', capacity: 1 });
  const big = (await queen.api('POST', '/api/projects', {
    name: 'bench-big-log', repoUrl: repo.url,
    config: { phases: { prepare: ["head -c 209715200 /dev/zero | tr '\\0' x | fold -w 99"] } },
  })).body;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const id = (await queen.api('POST', `/api/projects/${big.id}/jobs`, {})).body.id;
  const job = await queen.waitForJob(id, undefined, 600_000);
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  console.log(`200 MiB log from a real drone: ${job.status} in ${secs.toFixed(1)} s (${(200 / secs).toFixed(1)} MiB/s), ${job.lastSeq} events; queen RSS ${(rssBefore / 1048576).toFixed(0)} → peak ${(rssPeak / 1048576).toFixed(0)} MiB`);
  await drone.stop();
}

// A repository without .hive.yml, so the projects' own commands run.
const plainRepo = await createGitRepo({ files: { README: 'bench\n' } });

// 4. (continued) Large logs of many lines: the shapes that cost the most per byte.
if (part('4')) console.log(describeLogIngest(await benchLogIngest(queen, plainRepo)));

// 4b. A container job against a bare `docker run --rm` of the same image.
if (part('4b')) {
  const skip = await skipContainerBench();
  if (skip) console.log(`container job: skipped (${skip})`);
  else console.log(describeContainerBench(await benchContainerJob(queen, plainRepo)));
}
await plainRepo.cleanup();

await queen.stop();
await repo.cleanup();

// 5. The memory of `hive start`, as users run it: its own processes, after the others stopped.
if (part('5')) {
  const flag = process.argv.indexOf('--postgres');
  const postgresUrl = flag === -1 ? process.env.TEST_DATABASE_URL : process.argv[flag + 1];
  const samples = [...(await measureStartMemory()), ...(postgresUrl ? await measureStartMemory(postgresUrl) : [])];
  console.log('resident memory (RSS) of `hive start`, MiB, per process and summed; and the sum of their PSS (a page shared by several counted once):');
  console.log(memoryTable(samples));
}

// 6. Live line latency, with its own queen (one with a password to log chromium in).
if (part('6')) console.log(describeLiveLineLatency(await benchLiveLineLatency()));
