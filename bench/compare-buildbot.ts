/**
 * Hive side by side with Buildbot on this machine: the same git repository, the same shell
 * commands, the same concurrency, both warmed up. Prints a table (it asserts nothing):
 *   1. trivial build (`true`): trigger → build finished, sequential, p50/p95;
 *   2. trigger → build started (Hive: the drone's job:started is stored; Buildbot: the build
 *      exists, i.e. a worker was picked and its first step, worker_preparation, runs);
 *   3. large logs: a 20 MB log (`head -c 20000000 /dev/zero | tr '\0' x | fold -w 99`) and
 *      issue #13's two (bench/log-ingest.ts's `LOG_SHAPES`: 50 MB in 704k lines, 14.9 MB in
 *      2M short lines), trigger → finished with the whole log stored (checked afterwards
 *      through each one's API: every payload character, against the command's own output);
 *   4. throughput: 20 trivial builds triggered at once, until all finished;
 * then what each large log cost the whole machine in CPU on each side (`MachineCpu`), and
 * under it, which of issue #13's absolute targets the run met (`verdicts`).
 *
 *   node --import tsx bench/compare-buildbot.ts
 *
 * Needs Debian's `buildbot` and `buildbot-worker` (3.7): `apt-get install -y buildbot buildbot-worker`.
 * Environment: BENCH_CONCURRENCY (default 2: Hive drone capacity = number of Buildbot
 * workers), BENCH_N (sequential samples, default 20), BENCH_BIG_RUNS (default 2),
 * BUILDBOT_GIT_MODE (`incremental` default, or `full/fresh`, `full/clean`, `full/clobber`),
 * BENCH_HIVE_WORKSPACE (`incremental`, Hive's default, or `fresh`: the Hive projects' workspace),
 * BUILDBOT_LOG_COMPRESSION (`gz` — Buildbot's default — `raw`, …), BENCH_HIVE_DB (`disk`, Hive's
 * default: PGlite in the queen's data dir; or `memory`, in-process only), BENCH_HIVE_QUEEN
 * (`in-process`, default, or `process`), BENCH_BUILDBOT_WATCH (`ws` or `poll`);
 * BENCH_KEEP_BUILDBOT=1 keeps Buildbot's dirs (twistd.log, state.sqlite) for a look afterwards;
 * BENCH_QUIET=0 starts each build right after the other system's (see `untilQuiet`);
 * BENCH_BIG_WARMUP=0 measures the large logs without a warm-up build of each (see BIG_WARMUP);
 * BENCH_LOGS: which large logs (`20mb,50mb,2m`, the default, a part of that list, or `none`).
 *
 * Buildbot: master and workers are started with `buildbot start` / `buildbot-worker start`
 * in a temp dir and stopped at the end, also on failure or Ctrl-C. Builds are triggered by
 * the REST API's JSON-RPC `force` on a ForceScheduler (through bench/json-post.ts, the
 * client Hive's trigger goes through too) and followed on the master's
 * WebSocket, or by polling the REST API with BENCH_BUILDBOT_WATCH=poll (see POLL_MS).
 * Hive: a queen in this process (test/helpers/queen.ts, PGlite) and one real drone process,
 * triggered by its REST API (bench/json-post.ts) and followed on the queen's bus, as bench/run.ts — the bench's
 * HTTP client and bookkeeping share the queen's thread. With BENCH_HIVE_QUEEN=process, a
 * queen process as `hive queen` runs it (test/helpers/queen-process.ts: the compiled
 * package when dist/ is current, PGlite on disk in its data dir), followed on its
 * `/api/events` WebSocket (`subscribe-projects`: every status change), as Buildbot is
 * followed on its own.
 * Every temp dir is under os.tmpdir(), on the same disk for both.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
// The queen in this process runs with the V8 settings of the installed queen (server/main.ts).
import '../server/v8-tuning.ts';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { EventEmitter } from 'node:events';
import { connectDrone, startDrone, type TestDrone } from '../test/helpers/drone-process.ts';
import { startQueenProcess } from '../test/helpers/queen-process.ts';
import { createGitRepo, type GitRepo } from '../test/helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../test/helpers/queen.ts';
import { JobResults } from './job-results.ts';
import { closeJsonPost, postJson, triggerHiveJob } from './json-post.ts';
import { LOG_SHAPES, processUsage } from './log-ingest.ts';
import { pgliteOnDisk } from './pglite-on-disk.ts';

const exec = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const N_SEQ = Number(process.env.BENCH_N ?? 20);
const WARMUP = 5;
const BATCH = 20;
const BIG_RUNS = Number(process.env.BENCH_BIG_RUNS ?? 2);
/**
 * One build of each large log on each side before the measured ones (BENCH_BIG_WARMUP=0: none).
 * Buildbot runs every command on its one builder, whose workspaces the trivial builds
 * warmed; Hive's big log is a project of its own, whose first build makes its workspace.
 * Without it, the first measured run compared a fresh Hive workspace (and both sides' first
 * pass through their large-log paths) with Buildbot's warm one — and, of two runs, the
 * slower one is the figure.
 */
const BIG_WARMUP = process.env.BENCH_BIG_WARMUP !== '0';
/**
 * A large log: its command, and the lines that are its payload (not the lines a system
 * adds, such as Buildbot's header). Every payload character must be stored, as many as
 * the command prints here (`expectedPayload`).
 */
/** `targetMBs`: issue #13's floor for Hive on this log, in every run (none for the 20 MB one). */
interface LogShape { key: string; label: string; command: string; payloadLine: RegExp; megabytes: number; targetMBs?: number }
const [YES_50MB, SEQ_2M] = LOG_SHAPES;
const ALL_LOG_SHAPES: LogShape[] = [
  { key: '20mb', label: '20 MB log', command: `head -c 20000000 /dev/zero | tr '\\0' x | fold -w 99`, payloadLine: /^x+$/, megabytes: 20 },
  { key: '50mb', label: YES_50MB.name, command: YES_50MB.command, payloadLine: /^x+$/, megabytes: YES_50MB.bytes / 1e6, targetMBs: 150 },
  { key: '2m', label: SEQ_2M.name, command: SEQ_2M.command, payloadLine: /^\d+$/, megabytes: SEQ_2M.bytes / 1e6, targetMBs: 60 },
];
// `none`: no large log (the trivial builds, started and the burst only).
const wantedLogs = process.env.BENCH_LOGS === 'none' ? [] : (process.env.BENCH_LOGS ?? '20mb,50mb,2m').split(',');
const unknownLog = wantedLogs.find((k) => !ALL_LOG_SHAPES.some((s) => s.key === k));
if (unknownLog) throw new Error(`BENCH_LOGS: ${unknownLog} is not one of 20mb, 50mb, 2m`);
const LOG_SHAPES_RUN = ALL_LOG_SHAPES.filter((s) => wantedLogs.includes(s.key));
const GIT_MODE = process.env.BUILDBOT_GIT_MODE ?? 'incremental';
const LOG_COMPRESSION = process.env.BUILDBOT_LOG_COMPRESSION ?? 'gz';
const HIVE_DB = process.env.BENCH_HIVE_DB ?? 'disk';
const HIVE_WORKSPACE = process.env.BENCH_HIVE_WORKSPACE ?? 'incremental';
const HIVE_QUEEN = process.env.BENCH_HIVE_QUEEN ?? 'in-process';
if (HIVE_QUEEN !== 'process' && HIVE_QUEEN !== 'in-process') throw new Error(`BENCH_HIVE_QUEEN: process or in-process, not ${HIVE_QUEEN}`);
if (HIVE_QUEEN === 'process' && HIVE_DB !== 'disk') throw new Error('BENCH_HIVE_DB=memory needs BENCH_HIVE_QUEEN=in-process');
/**
 * With BENCH_BUILDBOT_WATCH=poll, Buildbot is followed by polling its REST API every POLL_MS: a Buildbot figure is late by
 * up to POLL_MS plus one request's round trip (a few ms), which bounds the resolution of
 * every Buildbot measurement. Hive's figures come from its `/api/events` socket (or, in process, its bus).
 */
const POLL_MS = 20;
const WATCH = process.env.BENCH_BUILDBOT_WATCH ?? 'ws';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Each measured build (or burst) starts on a machine at rest: until no CPU has been busy
 * for more than a tick over QUIET_WINDOW_MS (at most QUIET_MAX_MS). The two systems'
 * builds alternate, and each goes on working after it reports its build finished —
 * Buildbot's master writes the build's state and logs, Hive's queen its last batch — so
 * without this wait one system's figure carries the other's tail on a two-core machine.
 * BENCH_QUIET=0 measures without the wait (the way this bench measured until 2026-12-02).
 */
const QUIET = process.env.BENCH_QUIET !== '0';
const QUIET_WINDOW_MS = 30;
const QUIET_MAX_MS = 1_000;
let quietTimeouts = 0;

/** The machine's line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice, in USER_HZ ticks. */
async function cpuTimes(): Promise<number[]> {
  const [cpu] = (await readFile('/proc/stat', 'utf8')).split('\n');
  return cpu.trim().split(/\s+/).slice(1).map(Number);
}

/** CPU time all CPUs spent busy so far, in USER_HZ ticks (/proc/stat: everything but idle and iowait). */
async function busyTicks(): Promise<number> {
  const fields = await cpuTimes();
  return fields.reduce((a, b) => a + b, 0) - fields[3] - fields[4];
}

/**
 * CPU time this machine's own processes and kernel used so far (user, nice, system, irq,
 * softirq), in USER_HZ ticks: without steal — time the hypervisor gave another guest while
 * this one waited, which is the host's load, not work done here — and without guest time,
 * which user time already counts.
 */
async function workTicks(): Promise<number> {
  const [user, nice, system, , , irq, softirq] = await cpuTimes();
  return user + nice + system + irq + softirq;
}

async function untilQuiet(): Promise<void> {
  if (!QUIET) return;
  const deadline = performance.now() + QUIET_MAX_MS;
  let since = await busyTicks();
  let sinceAt = performance.now();
  while (performance.now() < deadline) {
    await sleep(10);
    const now = await busyTicks();
    if (now - since > 1) {
      since = now;
      sinceAt = performance.now();
    } else if (performance.now() - sinceAt >= QUIET_WINDOW_MS) {
      return;
    }
  }
  quietTimeouts++;
}
/** Seconds per /proc/stat tick (USER_HZ: 100 on every Linux this runs on; `getconf CLK_TCK` says). */
const TICK_S = 1 / Number((await exec('getconf', ['CLK_TCK'])).stdout.trim() || 100);
const CPUS = (await import('node:os')).cpus().length;

/**
 * The CPU a large log's build cost the whole machine — every process, from /proc/stat,
 * trigger → finished and stored — on each side. Each build starts on a machine at rest
 * (`untilQuiet`), so on a quiet machine it is the system's own: server, worker or drone,
 * the command and the kernel's work for them. It says how far the CPUs themselves bound a
 * figure: a build that costs C CPU-seconds takes at least C / CPUS seconds here, whatever
 * its parts wait on; and CPU per MB compares the two systems' work apart from the
 * machine's speed.
 */
interface MachineCpu { label: string; megabytes: number; hive: { cpuS: number; ms: number }[]; buildbot: { cpuS: number; ms: number }[] }
const machineCpu: MachineCpu[] = [];

/** Machine-wide CPU seconds while `build` runs, and what it returns. */
async function withMachineCpu<T>(build: () => Promise<T>): Promise<{ result: T; cpuS: number }> {
  const before = await workTicks();
  const result = await build();
  return { result, cpuS: (await workTicks() - before) * TICK_S };
}

function describeMachineCpu(m: MachineCpu): string {
  const each = (runs: MachineCpu['hive']) => runs.map((r) => r.cpuS.toFixed(2)).join(', ');
  const busy = m.hive.map((r) => `${Math.round((100 * r.cpuS) / (CPUS * (r.ms / 1000)))} %`).join(', ');
  const floor = m.hive.map((r) => `${(m.megabytes / (r.cpuS / CPUS)).toFixed(0)}`).join(', ');
  const perMb = (runs: MachineCpu['hive']) => (1000 * median(runs.map((r) => r.cpuS))) / m.megabytes;
  return `${m.label}: Hive ${each(m.hive)} CPU-s (the ${CPUS} CPUs ${busy} busy over the build; that CPU alone allows at most ${floor} MB/s here),`
    + ` Buildbot ${each(m.buildbot)} CPU-s; CPU per MB, median: Hive ${perMb(m.hive).toFixed(1)} ms, Buildbot ${perMb(m.buildbot).toFixed(0)} ms`
    + ` (${(perMb(m.buildbot) / perMb(m.hive)).toFixed(1)}×)`;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs: number[]) => pct(xs, 50);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Counts the characters of a log's payload: its lines that match `payloadLine`. */
function countPayload(text: string, payloadLine: RegExp): number {
  let n = 0;
  for (const line of text.split('\n')) if (payloadLine.test(line)) n += line.length;
  return n;
}

/** The payload characters the shape's command prints, run here. */
async function expectedPayload(shape: LogShape): Promise<number> {
  const { stdout } = await exec('sh', ['-c', shape.command], { maxBuffer: 256 * 1024 * 1024 });
  return countPayload(stdout, shape.payloadLine);
}

// ---------------------------------------------------------------------------------------
// Buildbot

interface Buildbot {
  url: string;
  get(path: string): Promise<any>;
  /** Forces one build; resolves with its build request id. */
  force(cmd: string): Promise<number>;
  stop(): Promise<void>;
}

async function startBuildbot(repo: GitRepo, workers: number): Promise<Buildbot> {
  const root = await mkdtemp(join(tmpdir(), 'hive-bench-buildbot-'));
  const masterDir = join(root, 'master');
  // The master needs a "base" www plugin to serve the REST API; Debian has no buildbot-www.
  const env = { ...process.env, PYTHONPATH: [join(here, 'buildbot', 'www-stub'), process.env.PYTHONPATH].filter(Boolean).join(':') };
  const [pbPort, wwwPort] = [await freePort(), await freePort()];
  const names = Array.from({ length: workers }, (_, i) => `worker-${i}`);
  const [mode, method] = GIT_MODE.split('/');
  const py = (v: unknown) => (v === undefined ? 'None' : JSON.stringify(v));
  const started: string[] = [];
  const stop = async () => {
    for (const dir of started.reverse()) {
      const cmd = dir === masterDir ? 'buildbot' : 'buildbot-worker';
      await exec(cmd, ['stop', dir], { env }).catch((err) => console.error(`${cmd} stop ${dir}: ${err.message}`));
    }
    if (process.env.BENCH_KEEP_BUILDBOT) console.error(`Buildbot dirs kept in ${root}`);
    else await rm(root, { recursive: true, force: true });
  };
  try {
    await exec('buildbot', ['create-master', '-r', masterDir], { env });
    const template = await readFile(join(here, 'buildbot', 'master.cfg.template'), 'utf8');
    const cfg = template
      .replaceAll('@REPO_URL@', py(repo.url))
      .replaceAll('@WORKERS@', py(names))
      .replaceAll('@PB_PORT@', String(pbPort))
      .replaceAll('@WWW_PORT@', String(wwwPort))
      .replaceAll('@GIT_MODE@', py(mode))
      .replaceAll('@GIT_METHOD@', py(method))
      .replaceAll('@LOG_COMPRESSION@', py(LOG_COMPRESSION));
    await writeFile(join(masterDir, 'master.cfg'), cfg);
    started.push(masterDir);
    await exec('buildbot', ['start', masterDir], { env }).catch(async (err) => {
      const log = await readFile(join(masterDir, 'twistd.log'), 'utf8').catch(() => '');
      throw new Error(`buildbot start failed: ${err.message}\n${log.slice(-4000)}`);
    });
    for (const name of names) {
      const dir = join(root, name);
      await exec('buildbot-worker', ['create-worker', '-r', dir, `127.0.0.1:${pbPort}`, name, 'bench-pass'], { env });
      started.push(dir);
      await exec('buildbot-worker', ['start', dir], { env });
    }
    const url = `http://127.0.0.1:${wwwPort}/api/v2`;
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    let rpcId = 0;
    const force = async (cmd: string) => {
      // The same client as Hive's trigger (json-post.ts).
      const { body, text } = await postJson(`${url}/forceschedulers/force`,
        { jsonrpc: '2.0', method: 'force', id: ++rpcId, params: { builderNames: ['bench'], cmd } });
      if (!body) throw new Error(`force: ${text}`);
      if (body.error) throw new Error(`force: ${JSON.stringify(body.error)}`);
      // result: [buildsetid, {builderid: buildrequestid}]
      return Object.values(body.result[1] as Record<string, number>)[0];
    };
    for (const deadline = Date.now() + 30_000; ;) {
      const { workers: ws } = await get('/workers');
      if (ws.filter((w: any) => w.connected_to.length > 0).length === workers) break;
      if (Date.now() > deadline) throw new Error(`Buildbot workers did not connect: ${JSON.stringify(ws)}`);
      await sleep(100);
    }
    return { url, get, force, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * When Buildbot's build requests finished and their builds started, seen either on the
 * master's WebSocket (`/ws`, the same message queue its UI listens to: pushed, no load on
 * the master) or by polling the REST API every POLL_MS (BENCH_BUILDBOT_WATCH=poll).
 */
interface BuildbotWatch {
  finished(brid: number): Promise<{ at: number; results: number }>;
  started(brid: number): Promise<number>;
  close(): void;
}

async function watchBuildbot(bb: Buildbot): Promise<BuildbotWatch> {
  if (WATCH === 'poll') {
    return {
      async finished(brid) {
        for (;;) {
          const [br] = (await bb.get(`/buildrequests/${brid}`)).buildrequests;
          if (br.complete) return { at: performance.now(), results: br.results };
          await sleep(POLL_MS);
        }
      },
      async started(brid) {
        for (;;) {
          const { builds } = await bb.get(`/builds?buildrequestid=${brid}`);
          if (builds.length > 0) return performance.now();
          await sleep(POLL_MS);
        }
      },
      close() {},
    };
  }
  const done = new Map<number, { at: number; results: number }>();
  const begun = new Map<number, number>();
  const waiters = new Set<() => void>();
  const ws = new WebSocket(bb.url.replace(/^http/, 'ws').replace(/\/api\/v2$/, '/ws'));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let acks = 0;
  const subscribed = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg._id !== undefined) {
        if (msg.code !== 200) reject(new Error(`Buildbot ws: ${JSON.stringify(msg)}`));
        if (++acks === 2) resolve();
        return;
      }
      const at = performance.now();
      const key: string = msg.k;
      if (key.startsWith('buildrequests/') && key.endsWith('/complete')) done.set(msg.m.buildrequestid, { at, results: msg.m.results });
      else if (key.startsWith('builds/') && key.endsWith('/new') && !begun.has(msg.m.buildrequestid)) begun.set(msg.m.buildrequestid, at);
      else return;
      for (const w of waiters) w();
    });
  });
  ws.send(JSON.stringify({ cmd: 'startConsuming', path: 'buildrequests/*/*', _id: 1 }));
  ws.send(JSON.stringify({ cmd: 'startConsuming', path: 'builds/*/*', _id: 2 }));
  await subscribed;
  const until = <T>(get: () => T | undefined) => new Promise<T>((resolve) => {
    const check = () => {
      const v = get();
      if (v === undefined) return;
      waiters.delete(check);
      resolve(v);
    };
    waiters.add(check);
    check();
  });
  return {
    finished: (brid) => until(() => done.get(brid)),
    started: (brid) => until(() => begun.get(brid)),
    close: () => ws.close(),
  };
}

async function bbBuild(bb: Buildbot, watch: BuildbotWatch, cmd: string) {
  const t0 = performance.now();
  const brid = await bb.force(cmd);
  const { at, results } = await watch.finished(brid);
  if (results !== 0) throw new Error(`Buildbot build request ${brid} ended with results=${results}`);
  return { ms: at - t0, brid };
}

// ---------------------------------------------------------------------------------------
// Hive

/** What the bench uses of a queen, in this process or its own. */
interface BenchQueen {
  url: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
  stop(): Promise<void>;
}

interface Hive {
  queen: BenchQueen;
  /** The queen's process: this one, or the `hive queen` child (its CPU and page faults per large log). */
  queenPid: number;
  drone: TestDrone;
  trivial: string;
  /** A project per large log (LogShape.key). */
  logs: Map<string, string>;
  /** When the queen stored each job's job:started event. */
  startedAt: Map<string, number>;
  /** The jobs' results, as the queen's bus announces them. */
  results: JobResults;
}

async function startHive(repo: GitRepo, capacity: number): Promise<Hive> {
  return HIVE_QUEEN === 'process' ? startHiveProcess(repo, capacity) : startHiveInProcess(repo, capacity);
}

const hiveProject = (queen: BenchQueen, repo: GitRepo) => async (name: string, command: string) =>
  (await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, workspace: HIVE_WORKSPACE, config: { phases: { test: [command] } } })).body.id as string;

/** A queen process (`hive queen`), followed on its `/api/events` WebSocket as a browser would. */
async function startHiveProcess(repo: GitRepo, capacity: number): Promise<Hive> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hive-bench-queen-'));
  const port = await freePort();
  const child = await startQueenProcess({ dataDir, port, env: { HIVE_LOG_LEVEL: 'silent' } });
  const queen: BenchQueen = {
    url: child.url,
    api: child.api,
    async stop() {
      events?.close();
      await child.kill('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  let events: WebSocket | undefined;
  try {
    const project = hiveProject(queen, repo);
    const trivial = await project('bench-trivial', 'true');
    const logs = await logProjects(project);
    const startedAt = new Map<string, number>();
    // Every status change of every job, as the queen tells its watchers; the drone's
    // arrival too (subscribed after the projects, so both hold once it is heard).
    const bus = new EventEmitter();
    const dronesChanged = new EventEmitter();
    events = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    events.on('message', (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === 'project-job') {
        if (message.job.status === 'running') startedAt.set(message.job.id, performance.now());
        bus.emit('job-status', message.job);
      } else if (message.type === 'drones-changed') dronesChanged.emit('changed');
    });
    await new Promise<void>((resolve, reject) => {
      events!.once('open', () => resolve());
      events!.once('error', reject);
    });
    events.send(JSON.stringify({ type: 'subscribe-projects' }));
    events.send(JSON.stringify({ type: 'subscribe-drones' }));
    const results = new JobResults(bus as never);
    const droneIsIn = async () => ((await queen.api('GET', '/api/drones')).body.drones as { name: string; connected: boolean }[])
      .some((d) => d.name === 'bench-drone' && d.connected);
    const connected = new Promise<void>((resolve) => {
      const check = () => void droneIsIn().then((yes) => yes && (dronesChanged.off('changed', check), resolve()));
      dronesChanged.on('changed', check);
    });
    const drone = await startDrone(undefined, { name: 'bench-drone', capacity, port });
    await connected;
    return { queen, queenPid: child.process.pid!, drone, trivial, logs, startedAt, results };
  } catch (err) {
    await queen.stop();
    throw err;
  }
}

async function logProjects(project: (name: string, command: string) => Promise<string>): Promise<Map<string, string>> {
  const logs = new Map<string, string>();
  for (const shape of LOG_SHAPES_RUN) logs.set(shape.key, await project(`bench-log-${shape.key}`, shape.command));
  return logs;
}

async function startHiveInProcess(repo: GitRepo, capacity: number): Promise<Hive> {
  // Hive's own default is PGlite on disk under its data dir (Buildbot's sqlite is on disk
  // too); the test helper's default, in memory, is there with BENCH_HIVE_DB=memory.
  const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' }, HIVE_DB === 'disk' ? await pgliteOnDisk('hive-bench-queen-') : undefined);
  try {
    const project = hiveProject(queen, repo);
    const trivial = await project('bench-trivial', 'true');
    const logs = await logProjects(project);
    const startedAt = new Map<string, number>();
    queen.bus.on('job-events', (jobId: string, events: { type: string }[]) => {
      if (events.some((e) => e.type === 'job:started')) startedAt.set(jobId, performance.now());
    });
    // Results from the queen's bus, read nowhere (job-results.ts says why).
    const results = new JobResults(queen.bus);
    const drone = await connectDrone(queen, { name: 'bench-drone', capacity });
    return { queen, queenPid: process.pid, drone, trivial, logs, startedAt, results };
  } catch (err) {
    await queen.stop();
    throw err;
  }
}

/** The queen's and the drone's CPU and page faults so far: what a large log costs each (README: Performance). */
async function hiveUsage(hive: Hive) {
  return { queen: await processUsage(hive.queenPid), drone: await processUsage(hive.drone.process.pid!) };
}

function describeUsage(before: Awaited<ReturnType<typeof hiveUsage>>, after: Awaited<ReturnType<typeof hiveUsage>>): string {
  const cpu = (p: 'queen' | 'drone') => (after[p].cpuSeconds - before[p].cpuSeconds).toFixed(2);
  const faults = (p: 'queen' | 'drone') => ((after[p].minorFaults - before[p].minorFaults) / 1000).toFixed(1);
  return `queen ${cpu('queen')} s CPU, ${faults('queen')}k page faults; drone ${cpu('drone')} s, ${faults('drone')}k`;
}

async function hiveTrigger(hive: Hive, project: string): Promise<string> {
  // Not queen.api (fetch): json-post.ts says why.
  return triggerHiveJob(hive.queen.url, project);
}

async function hiveBuild(hive: Hive, project: string, timeoutMs = 60_000) {
  const t0 = performance.now();
  const id = await hiveTrigger(hive, project);
  const job = await hive.results.wait(id, timeoutMs);
  const ms = performance.now() - t0;
  if (job.status !== 'passed') throw new Error(`Hive job ${id} ${job.status}: ${job.message}`);
  return { ms, id, t0 };
}

// ---------------------------------------------------------------------------------------
// The workloads

/** `times`: Buildbot's median over Hive's. */
interface Row { name: string; hive: string; buildbot: string; times: number }
const rows: Row[] = [];
/**
 * Issue #13's absolute targets, judged on this run's figures (the issue is done when they
 * hold, and every ratio is at least RATIO_TARGET, in three runs in a row; its container
 * target is bench/container.ts's). Printed under the table; the bench asserts nothing.
 */
interface Verdict { name: string; held: boolean; detail: string }
const verdicts: Verdict[] = [];
const RATIO_TARGET = 10;
const TRIVIAL_TARGET_MS = 30;
const STARTED_TARGET_MS = 10;
const BURST_TARGET_BUILDS_PER_S = 40;
/** A target every run (or round) must meet: `rates`, at least `floor` each. */
function eachAtLeast(name: string, rates: number[], floor: number, unit: string): void {
  const held = rates.filter((r) => r >= floor).length;
  verdicts.push({ name, held: held === rates.length, detail: `${rates.map((r) => r.toFixed(1)).join(', ')} ${unit} (≥ ${floor}; ${held} of ${rates.length})` });
}
const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);
const ratio = (times: number) => `${times.toFixed(1)}×`;
function row(name: string, hive: number[], buildbot: number[]) {
  const both = (xs: number[]) => (xs.length > 2 ? `${ms(median(xs))} / ${ms(pct(xs, 95))}` : xs.map(ms).join(', '));
  rows.push({ name, hive: both(hive), buildbot: both(buildbot), times: median(buildbot) / median(hive) });
  console.error(`  ${name}: Hive ${both(hive)}, Buildbot ${both(buildbot)}`);
}

const repo = await createGitRepo({ files: { 'README.md': '# bench\n', 'src/main.c': 'int main(void) { return 0; }\n' } });
let hive: Hive | undefined;
let bb: Buildbot | undefined;
let watch: BuildbotWatch;
const cleanup = async () => {
  watch?.close();
  closeJsonPost();
  await bb?.stop().catch((err) => console.error(err));
  await hive?.drone.stop().catch((err) => console.error(err));
  await hive?.queen.stop().catch((err) => console.error(err));
  await repo.cleanup();
};
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${sig}: stopping Buildbot and Hive…`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  const version = (await exec('buildbot', ['--version'])).stdout.match(/Buildbot version: (\S+)/)?.[1];
  console.error(`starting Buildbot ${version} (${CONCURRENCY} workers, git mode ${GIT_MODE}, log compression ${LOG_COMPRESSION}) and Hive (drone capacity ${CONCURRENCY})…`);
  bb = await startBuildbot(repo, CONCURRENCY);
  watch = await watchBuildbot(bb);
  hive = await startHive(repo, CONCURRENCY);

  // Warm-up: sequential builds, then a concurrent burst so that every Buildbot worker has
  // its clone (incremental mode) and the Hive drone both slots.
  console.error('warming up…');
  for (let i = 0; i < WARMUP; i++) {
    await bbBuild(bb, watch, 'true');
    await hiveBuild(hive, hive.trivial);
  }
  await Promise.all(Array.from({ length: CONCURRENCY * 2 }, () => bbBuild(bb!, watch, 'true')));
  await Promise.all(Array.from({ length: CONCURRENCY * 2 }, () => hiveBuild(hive!, hive!.trivial)));
  if (BIG_WARMUP) {
    for (const shape of LOG_SHAPES_RUN) {
      await bbBuild(bb, watch, shape.command);
      await hiveBuild(hive, hive.logs.get(shape.key)!, 600_000);
    }
  }

  // 1 + 2. Sequential trivial builds, alternating between the two so that any change in
  // the machine's load hits both alike. Buildbot's "started" is measured on separate
  // builds: polling two endpoints at once would slow the other measurement.
  console.error(`1, 2. ${N_SEQ} sequential trivial builds each…`);
  const hiveDone: number[] = [];
  const hiveStarted: number[] = [];
  const bbDone: number[] = [];
  const bbStarted: number[] = [];
  for (let i = 0; i < N_SEQ; i++) {
    await untilQuiet();
    const h = await hiveBuild(hive, hive.trivial);
    hiveDone.push(h.ms);
    hiveStarted.push(hive.startedAt.get(h.id)! - h.t0);
    await untilQuiet();
    bbDone.push((await bbBuild(bb, watch, 'true')).ms);
    await untilQuiet();
    const t0 = performance.now();
    const brid = await bb.force('true');
    bbStarted.push((await watch.started(brid)) - t0);
    const { results } = await watch.finished(brid);
    if (results !== 0) throw new Error(`Buildbot build request ${brid}: results=${results}`);
  }
  row(`trivial build: trigger → finished (p50 / p95, n=${N_SEQ})`, hiveDone, bbDone);
  row(`trigger → build started (p50 / p95, n=${N_SEQ})`, hiveStarted, bbStarted);
  verdicts.push(
    // A tenth of a millisecond shown: a median of 10.3 ms misses ≤ 10, and "10 ms" would not say why.
    { name: 'trivial build, p50', held: median(hiveDone) <= TRIVIAL_TARGET_MS, detail: `${median(hiveDone).toFixed(1)} ms (≤ ${TRIVIAL_TARGET_MS} ms)` },
    { name: 'trigger → started, p50', held: median(hiveStarted) <= STARTED_TARGET_MS, detail: `${median(hiveStarted).toFixed(1)} ms (≤ ${STARTED_TARGET_MS} ms)` },
  );

  // 3. The large logs.
  for (const shape of LOG_SHAPES_RUN) {
    const expected = await expectedPayload(shape);
    console.error(`3. ${shape.label}, ${BIG_RUNS} run(s) each…`);
    const hiveBig: number[] = [];
    const bbBig: number[] = [];
    const mbPerS = (buildMs: number) => shape.megabytes / (buildMs / 1000);
    const cpu: MachineCpu = { label: shape.label, megabytes: shape.megabytes, hive: [], buildbot: [] };
    machineCpu.push(cpu);
    for (let i = 0; i < BIG_RUNS; i++) {
      await untilQuiet();
      const usage0 = await hiveUsage(hive);
      const { result: h, cpuS: hiveCpuS } = await withMachineCpu(() => hiveBuild(hive!, hive!.logs.get(shape.key)!, 600_000));
      const usage = describeUsage(usage0, await hiveUsage(hive));
      hiveBig.push(h.ms);
      cpu.hive.push({ cpuS: hiveCpuS, ms: h.ms });
      const res = await fetch(`${hive.queen.url}/api/jobs/${h.id}/log`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const hiveChars = countPayload(await res.text(), shape.payloadLine);
      if (hiveChars !== expected) throw new Error(`Hive stored ${hiveChars} of ${expected} payload characters of the ${shape.label}`);

      await untilQuiet();
      const { result: b, cpuS: bbCpuS } = await withMachineCpu(() => bbBuild(bb!, watch, shape.command));
      bbBig.push(b.ms);
      cpu.buildbot.push({ cpuS: bbCpuS, ms: b.ms });
      const [build] = (await bb.get(`/builds?buildrequestid=${b.brid}`)).builds;
      const [log] = (await bb.get(`/builds/${build.buildid}/steps/shell/logs/stdio`)).logs;
      const raw = await (await fetch(`${bb.url}/logs/${log.logid}/raw`)).text();
      const bbChars = countPayload(raw, shape.payloadLine);
      if (bbChars !== expected) throw new Error(`Buildbot stored ${bbChars} of ${expected} payload characters of the ${shape.label} (num_lines ${log.num_lines})`);
      console.error(`  run ${i + 1}: Hive ${ms(h.ms)} (${mbPerS(h.ms).toFixed(1)} MB/s; ${usage}; machine ${hiveCpuS.toFixed(2)} CPU-s), Buildbot ${ms(b.ms)} (${mbPerS(b.ms).toFixed(2)} MB/s; machine ${bbCpuS.toFixed(2)} CPU-s; its stdio log: ${log.num_lines} lines)`);
    }
    const rates = (xs: number[]) => xs.map((x) => mbPerS(x).toFixed(1)).join(', ');
    row(`${shape.label}: trigger → finished, log complete (each run; Hive ${rates(hiveBig)} MB/s, Buildbot ${rates(bbBig)} MB/s)`, hiveBig, bbBig);
    if (shape.targetMBs !== undefined) {
      eachAtLeast(`${shape.label}, each run`, hiveBig.map(mbPerS), shape.targetMBs, 'MB/s');
    }
  }

  // 4. Throughput: a burst of builds on CONCURRENCY slots.
  console.error(`4. ${BATCH} builds at once, ${CONCURRENCY} at a time…`);
  const hiveBurst: number[] = [];
  const bbBurst: number[] = [];
  for (let round = 0; round < 2; round++) {
    {
      await untilQuiet();
      const t0 = performance.now();
      const ids = await Promise.all(Array.from({ length: BATCH }, () => hiveTrigger(hive!, hive!.trivial)));
      const jobs = await Promise.all(ids.map((id) => hive!.results.wait(id)));
      hiveBurst.push(performance.now() - t0);
      const bad = jobs.filter((j) => j.status !== 'passed');
      if (bad.length) throw new Error(`Hive burst: ${bad.length} jobs not passed: ${bad[0].status} ${bad[0].message}`);
    }
    {
      await untilQuiet();
      const t0 = performance.now();
      const brids = await Promise.all(Array.from({ length: BATCH }, () => bb!.force('true')));
      // In request order, so that polling costs one request at a time, as for one build.
      const done: { at: number; results: number }[] = [];
      for (const brid of brids) done.push(await watch.finished(brid));
      bbBurst.push(Math.max(...done.map((d) => d.at)) - t0);
      const bad = done.filter((r) => r.results !== 0);
      if (bad.length) throw new Error(`Buildbot burst: ${bad.length} requests failed: ${JSON.stringify(bad[0])}`);
    }
  }
  row(`${BATCH} trivial builds at once, ${CONCURRENCY} slots: all finished (each run)`, hiveBurst, bbBurst);
  eachAtLeast(`${BATCH} at once, each round`, hiveBurst.map((x) => BATCH / (x / 1000)), BURST_TARGET_BUILDS_PER_S, 'builds/s');

  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(`\nHive vs Buildbot ${version} — ${new Date().toISOString().slice(0, 10)}, ${CPUS} CPUs, load ${load}`);
  console.log(QUIET
    ? `Each measured build started on a machine at rest (no CPU busy for more than a tick over ${QUIET_WINDOW_MS} ms; ${quietTimeouts} waits ran out after ${QUIET_MAX_MS} ms).`
    : 'Builds started right after the other system\'s (BENCH_QUIET=0).');
  console.log(BIG_WARMUP ? 'Each large log measured after one warm-up build of it on each side.' : 'The large logs measured without a warm-up build of each (BENCH_BIG_WARMUP=0).');
  console.log(`Buildbot: ${CONCURRENCY} workers (max_builds=1), Git mode ${GIT_MODE}, sqlite, log compression ${LOG_COMPRESSION}, followed by ${WATCH === 'ws' ? 'its WebSocket' : `polling every ${POLL_MS} ms`}; Hive: drone capacity ${CONCURRENCY}, ${HIVE_WORKSPACE} workspaces, PGlite (${HIVE_DB}).`);
  const w = [Math.max(...rows.map((r) => r.name.length)), Math.max(4, ...rows.map((r) => r.hive.length)), Math.max(8, ...rows.map((r) => r.buildbot.length))];
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0])} | ${b.padStart(w[1])} | ${c.padStart(w[2])} | ${d}`;
  console.log(line('', 'Hive', 'Buildbot', 'Buildbot / Hive'));
  console.log(`${'-'.repeat(w[0])}-|-${'-'.repeat(w[1])}-|-${'-'.repeat(w[2])}-|----------------`);
  for (const r of rows) console.log(line(r.name, r.hive, r.buildbot, ratio(r.times)));
  if (machineCpu.length > 0) {
    console.log(`\nWhat each large log's build cost the machine in CPU (every process, trigger → finished and stored; each run):`);
    for (const m of machineCpu) console.log(`  ${describeMachineCpu(m)}`);
  }
  const under = rows.filter((r) => r.times < RATIO_TARGET);
  verdicts.push({ name: `every ratio ≥ ${RATIO_TARGET}×`, held: under.length === 0, detail: under.length === 0 ? `${rows.length} of ${rows.length}` : `under: ${under.map((r) => `${ratio(r.times)} (${r.name.split(/[:(]/)[0].trim()})`).join('; ')}` });
  console.log(`\nIssue #13's targets in this run (its container target: bench/container.ts):`);
  const wv = Math.max(...verdicts.map((v) => v.name.length));
  for (const v of verdicts) console.log(`  ${v.held ? 'held  ' : 'missed'}  ${v.name.padEnd(wv)}  ${v.detail}`);
  console.log(verdicts.every((v) => v.held) ? 'All held.' : `${verdicts.filter((v) => !v.held).length} of ${verdicts.length} missed.`);
} finally {
  if (!stopping) await cleanup();
}
