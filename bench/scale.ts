/**
 * Scale (issue #14), printing figures — it never asserts timings:
 *   1. N simulated drones (capacity 2, heartbeats at the queen's default period), idle:
 *      the queen's CPU use and resident memory;
 *   2. W simulated watchers of one running job on `/api/events`: the live lag of a burst's
 *      last line (p50/p99 over the watchers, three bursts) and the queen's memory;
 *   3. a backlog of ready jobs scheduled over as many drones (jobs per second, from the
 *      moment the drones offer their slots to the last `job:assign`);
 *   4. database transactions per trivial job (PostgreSQL: pg_stat_database's xact_commit,
 *      less the idle queen's own rate).
 * The queen runs as its own process (`hive queen`) so its CPU and memory are its own; the
 * drones live in this process, the watchers in two worker threads.
 *
 * `node --import tsx bench/scale.ts [--quick] [--parts=drones,watchers,backlog,xacts]
 * [--watchers=200,1000]` on PGlite; with `TEST_DATABASE_URL=postgres://…` on PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import postgres from 'postgres';
import { WebSocket } from 'ws';
import type { JobAssign } from '../common/protocol/index.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { createGitRepo, type GitRepo } from '../test/helpers/git-repo.ts';
import { ADMIN_TOKEN } from '../test/helpers/queen.ts';
import { startQueenProcess, type QueenProcess } from '../test/helpers/queen-process.ts';
import { createTestDatabase, testDatabaseKind } from '../test/helpers/test-db.ts';
import { cpuPercent, cpuSeconds, rssMiB } from './scale/proc-stats.ts';
import { connectSimDrones, type SimDrone } from './scale/sim-drones.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const listArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1].split(',');
const parts = new Set(listArg('parts') ?? ['drones', 'watchers', 'backlog', 'xacts']);
const DRONE_COUNTS = (listArg('drones') ?? (quick ? ['50', '200'] : ['50', '500', '1000', '3000'])).map(Number);
const WATCHER_COUNTS = (listArg('watchers') ?? (quick ? ['200', '1000'] : ['200', '1000', '3000', '10000'])).map(Number);
const BACKLOG = quick ? 200 : 1000;
const TRIVIAL_JOBS = Number(process.env.BENCH_TRIVIAL_JOBS ?? (quick ? 20 : 50));
/** How long the idle queen's CPU is sampled: two heartbeat periods at the default 10 s. */
const CPU_SAMPLE_MS = quick ? 10_000 : 20_000;

const now = () => performance.timeOrigin + performance.now();
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mib = (x: number) => `${x.toFixed(0)} MiB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const kind = testDatabaseKind();
const dataDir = await mkdtemp(join(tmpdir(), 'hive-scale-'));
const testDb = kind === 'postgres' ? await createTestDatabase() : undefined;
const queen: QueenProcess = await startQueenProcess({
  dataDir, port: await freePort(), databaseUrl: testDb?.url,
  env: { HIVE_LOG_LEVEL: 'warn', HIVE_LEASE_MS: String(3_600_000) },
  // E.g. BENCH_QUEEN_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" for a profile of the queen.
  nodeArgs: process.env.BENCH_QUEEN_NODE_ARGS?.split(' ').filter(Boolean),
});
const pid = queen.process.pid!;
// A bench that fails half-way must not leave its queen running.
process.on('exit', () => queen.process.kill('SIGKILL'));
const repos: GitRepo[] = [];
console.log(`Scale bench on ${kind}${quick ? ' (quick sizes)' : ''}; queen pid ${pid}, ${mib(rssMiB(pid))} at start`);

async function project(name: string): Promise<{ id: string }> {
  const repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
  repos.push(repo);
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url });
  if (res.status !== 201) throw new Error(`creating a project: ${res.status} ${res.text}`);
  return res.body;
}

async function trigger(projectId: string, times?: number): Promise<any> {
  const res = times === undefined
    ? await queen.api('POST', `/api/projects/${projectId}/jobs`, {})
    : await queen.api('POST', `/api/projects/${projectId}/runs`, { times });
  if (res.status !== 201) throw new Error(`triggering: ${res.status} ${res.text}`);
  return res.body;
}

// ---- 1. idle drones ----
if (parts.has('drones')) {
  console.log(`\nIdle drones (capacity 2, heartbeats every 10 s), queen CPU over ${CPU_SAMPLE_MS / 1000} s:`);
  console.log('| drones | queen CPU (% of a core) | idle (% of a core free) | queen RSS |');
  console.log('| ---: | ---: | ---: | ---: |');
  const drones: SimDrone[] = [];
  for (const n of DRONE_COUNTS) {
    const more = await connectSimDrones(`idle${drones.length}`, n - drones.length, { port: queen.port, capacity: 2 });
    drones.push(...more);
    await sleep(2_000); // the greetings' writes settle before the sample
    const cpu = await cpuPercent(pid, CPU_SAMPLE_MS);
    console.log(`| ${n} | ${cpu.toFixed(1)} % | ${(100 - cpu).toFixed(1)} % | ${mib(rssMiB(pid))} |`);
  }
  for (const d of drones) d.close();
}

// ---- 2. watchers of one job ----
if (parts.has('watchers')) {
  const p = await project('scale-watchers');
  let assigned!: (a: JobAssign) => void;
  const assignment = new Promise<JobAssign>((r) => (assigned = r));
  const [streamer] = await connectSimDrones('streamer', 1, { port: queen.port, capacity: 2, onAssign: (_d, a) => assigned(a) });
  const job = await trigger(p.id);
  const a = await assignment;
  let seq = 0;
  const event = (type: string, extra: Record<string, unknown> = {}) =>
    streamer.send({ type, jobId: job.id, lease: a.lease, seq: ++seq, at: Date.now(), ...extra });
  event('job:started');
  event('job:cmd:start', { cmd: 0, phase: 'test', command: 'watched' });
  for (let i = 0; i < 20; i++) event('job:cmd:stdout', { cmd: 0, data: `history ${i}\n` });

  const workers = [0, 1].map(() => new Worker(new URL('./scale/watchers-thread.mjs', import.meta.url), { workerData: { url: queen.url, token: ADMIN_TOKEN, jobId: job.id } }));
  const failed = new Promise<Error>((resolve) => workers.forEach((w) => w.once('error', resolve)));
  const ask = (w: Worker, message: unknown, answer: string) => new Promise<any>((resolve, reject) => {
    const on = (m: any) => {
      if (m.type !== answer) return;
      w.off('message', on);
      resolve(m);
    };
    w.on('message', on);
    failed.then(reject);
    w.postMessage(message);
  });
  const reachedBy = async (s: number) => (await Promise.all(workers.map((w) => ask(w, { type: 'await', seq: s }, 'reached')))).flatMap((m) => m.at as number[]);

  console.log('\nWatchers of one running job: lag of the last line of a 50-line burst (3 bursts), the queen\'s CPU time per burst, queen RSS after:');
  console.log('| watchers | p50 | p99 | max | queen CPU per burst | queen RSS |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  let open = 0;
  for (const w of WATCHER_COUNTS) {
    const t0 = now();
    await Promise.all(workers.map((worker, i) => ask(worker, { type: 'open', count: Math.floor((w - open) / 2) + (i === 0 ? (w - open) % 2 : 0) }, 'opened')));
    open = w;
    await reachedBy(seq); // every watcher caught up with the history
    const opening = now() - t0;
    const lags: number[] = [];
    // CPU time, unlike the lags, does not depend on what else the machine runs meanwhile.
    const cpu0 = cpuSeconds(pid);
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 49; i++) event('job:cmd:stdout', { cmd: 0, data: `burst ${burst} line ${i}\n` });
      const sent = now();
      event('job:cmd:stdout', { cmd: 0, data: `burst ${burst} last line\n` });
      lags.push(...(await reachedBy(seq)).map((t) => t - sent));
    }
    const cpuPerBurst = ((cpuSeconds(pid) - cpu0) / 3) * 1000;
    console.log(`| ${w} | ${ms(pct(lags, 50))} | ${ms(pct(lags, 99))} | ${ms(Math.max(...lags))} | ${ms(cpuPerBurst)} | ${mib(rssMiB(pid))} |   (opened and caught up in ${ms(opening)})`);
  }
  await Promise.all(workers.map((w) => { w.postMessage({ type: 'close' }); return new Promise((r) => w.once('exit', r)); }));
  event('job:cmd:done', { cmd: 0, exitCode: 0, durationMs: 1 });
  event('job:done', { status: 'passed' });
  streamer.close();
}

// ---- 3. a backlog of ready jobs over as many drones ----
if (parts.has('backlog')) {
  // Four repositories: the resolver reads at most one commit per repository at a time.
  const projects = await Promise.all([0, 1, 2, 3].map((i) => project(`scale-backlog-${i}`)));
  for (let i = 0; i < BACKLOG / 100; i++) await trigger(projects[i % 4].id, 100);
  const tResolve = now();
  for (;;) {
    const queue = (await queen.api('GET', '/api/queue?limit=1000')).body.jobs as { waitingFor: string }[];
    if (queue.length >= BACKLOG && !queue.some((j) => j.waitingFor.startsWith('resolving'))) break;
    await sleep(250); // a separate process: nothing to listen to here
  }
  const resolving = now() - tResolve;
  let assigns = 0;
  let allAssigned!: () => void;
  const done = new Promise<void>((r) => (allAssigned = r));
  let last = 0;
  const drones = await connectSimDrones('backlog', BACKLOG, {
    port: queen.port, capacity: 0,
    onAssign: () => {
      last = now();
      if (++assigns === BACKLOG) allAssigned();
    },
  });
  const t0 = now();
  for (const d of drones) d.send({ type: 'drone:info', capacity: 2 });
  await done;
  console.log(`\nBacklog: ${BACKLOG} ready jobs (resolved in ${ms(resolving)}) over ${BACKLOG} drones offering 2 slots each:`);
  console.log(`  all assigned in ${ms(last - t0)}: ${(BACKLOG / ((last - t0) / 1000)).toFixed(0)} jobs/s; queen RSS ${mib(rssMiB(pid))}`);
  for (const d of drones) d.close();
}

// ---- 4. database transactions per trivial job ----
if (parts.has('xacts')) {
  if (!testDb?.url) {
    console.log('\nTransactions per trivial job: not counted on PGlite (no pg_stat_database to read from outside the queen).');
  } else {
    const sql = postgres(testDb.url, { max: 1, onnotice: () => {} });
    const commits = async () => Number((await sql`select xact_commit from pg_stat_database where datname = current_database()`)[0].xact_commit);
    // Backends report their counts when idle, up to 10 s late (PostgreSQL 15's PGSTAT_IDLE_INTERVAL): wait that out.
    const SETTLE_MS = 11_000;
    const p = await project('scale-xacts');
    const [runner] = await connectSimDrones('trivial', 1, { port: queen.port, capacity: 2, onAssign: (d, a) => d.runTrivial(a) });
    await sleep(SETTLE_MS);
    const x0 = await commits();
    const idleMs = 10_000;
    await sleep(idleMs);
    const x1 = await commits();
    const idlePerMs = (x1 - x0 - 1) / idleMs; // less our own read
    const watcher = new WebSocket(`${queen.url.replace(/^http/, 'ws')}/api/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await new Promise((r) => watcher.once('open', r));
    watcher.send(JSON.stringify({ type: 'subscribe-projects', projectId: p.id }));
    let passed = 0;
    const allPassed = new Promise<void>((resolve) => watcher.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === 'project-job' && m.job.status === 'passed' && ++passed === TRIVIAL_JOBS) resolve();
    }));
    const t0 = now();
    for (let i = 0; i < TRIVIAL_JOBS; i++) await trigger(p.id);
    await allPassed;
    const took = now() - t0;
    await sleep(SETTLE_MS);
    const x2 = await commits();
    const net = x2 - x1 - 1 - idlePerMs * (took + SETTLE_MS);
    console.log(`\nTransactions per trivial job (${TRIVIAL_JOBS} jobs, trigger → passed, one drone): ${(net / TRIVIAL_JOBS).toFixed(1)}`);
    console.log(`  (${x2 - x1 - 1} commits in ${ms(took + SETTLE_MS)}, less the idle queen's ${(idlePerMs * 1000).toFixed(1)}/s)`);
    watcher.close();
    runner.close();
    await sql.end();
  }
}

await queen.kill('SIGTERM');
await testDb?.close();
for (const r of repos) await r.cleanup();
await rm(dataDir, { recursive: true, force: true });
