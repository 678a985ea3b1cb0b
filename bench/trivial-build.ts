/**
 * Where a trivial build's time goes (issue #13): a project whose one command is `true`,
 * on one real drone process (process executor, incremental workspace), triggered (through
 * bench/json-post.ts, whose comment says why not `fetch`) and
 * awaited one after another; for each build a timeline of the queen's status changes and
 * the drone's events (their own `at`), and then the median of each step over the builds.
 * `node --import tsx bench/trivial-build.ts [builds] [--new-commits] [--commands N] [--idle MS] [--fresh]` (PGlite;
 * `TEST_DATABASE_URL` for PostgreSQL). With `--new-commits` each build is of a commit made
 * just before its trigger (not timed) — as a push's build is: the queen's mirror and the
 * drone's cache both fetch it — instead of the same commit every time (a re-run's case,
 * and `bench/compare-buildbot.ts`'s). `DRONE_PROF=<dir>` writes the drone's CPU profile
 * there (`--cpu-prof`), `QUEEN_PROF=<file>` this process's (the queen's, sampled every 50 µs)
 * over the measured builds, which then print no timeline. Prints figures, asserts nothing.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
// The queen in this process runs with the V8 settings of the installed queen (server/main.ts).
import '../server/v8-tuning.ts';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { logOf, readJobEvents } from '../server/db/job-log.ts';
import { findJob } from '../server/db/jobs.ts';
import { connectDrone } from '../test/helpers/drone-process.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { startTestQueen } from '../test/helpers/queen.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';
import { JobResults } from './job-results.ts';
import { closeJsonPost, triggerHiveJob } from './json-post.ts';
import { pgliteOnDisk } from './pglite-on-disk.ts';
import { startCpuProfile } from './cpu-profile.ts';

const BUILDS = Number(process.argv[2] !== undefined && /^\d+$/.test(process.argv[2]) ? process.argv[2] : 20);
const NEW_COMMITS = process.argv.includes('--new-commits');
/** `--commands N`: the test phase runs `true` N times (what each further command costs). */
const commandsArg = process.argv.indexOf('--commands');
const COMMANDS = commandsArg >= 0 ? Number(process.argv[commandsArg + 1]) : 1;
/** `--idle MS`: the pause between a build's end and the next trigger (builds seldom come back to back). */
const idleArg = process.argv.indexOf('--idle');
const IDLE_MS = idleArg >= 0 ? Number(process.argv[idleArg + 1]) : 0;
/** `--fresh`: the project's workspace is `fresh` (a new work tree per build) instead of the default, incremental. */
const FRESH = process.argv.includes('--fresh');
const WARM_UP = 3;

// BENCH_HIVE_DB=disk: PGlite in a data dir, as `hive start` and compare-buildbot.ts run it (default: in memory).
const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' }, process.env.BENCH_HIVE_DB === 'disk' && !process.env.TEST_DATABASE_URL ? await pgliteOnDisk('hive-bench-trivial-') : undefined);
const repo = await createGitRepo({ files: { README: 'trivial\n' } });
const project = (await queen.api('POST', '/api/projects', {
  name: 'trivial', repoUrl: repo.url, ...(FRESH && { workspace: 'fresh' }), config: { phases: { test: Array.from({ length: COMMANDS }, () => 'true') } },
})).body;
const drone = await connectDrone(queen, { name: 'trivial-drone', capacity: 1, nodeArgs: process.env.DRONE_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.DRONE_PROF] : [] });

// Results from the queen's bus, read nowhere (job-results.ts says why).
const jobResults = new JobResults(queen.bus);

/** Step name → ms after the trigger, per build. */
const steps = new Map<string, number[]>();
const totals: number[] = [];
const note = (what: string, ms: number) => {
  const list = steps.get(what) ?? [];
  list.push(ms);
  steps.set(what, list);
};

/** Minor page faults so far of the drone process (and of its children it has waited for). */
const droneFaults = () => {
  const stat = readFileSync(`/proc/${drone.process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { own: Number(fields[7]), children: Number(fields[9]) };
};
let faults0 = { queen: 0, drone: droneFaults() };
/** The drone process's own CPU so far (ms; its children's not: the build's commands). */
const droneCpuMs = () => {
  const stat = readFileSync(`/proc/${drone.process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** CPU from each trigger until its build passed: this process (the queen, and the bench's trigger) and the drone. */
const cpu = { queen: 0, drone: 0 };

let profile: Awaited<ReturnType<typeof startCpuProfile>> | undefined;
for (let i = 0; i < WARM_UP + BUILDS; i++) {
  if (i === WARM_UP) faults0 = { queen: process.resourceUsage().minorPageFault, drone: droneFaults() };
  if (i === WARM_UP && process.env.QUEEN_PROF) profile = await startCpuProfile(50);
  const seen: { at: number; what: string }[] = [];
  const onStatus = (job: { status: string }) => seen.push({ at: Date.now(), what: `queen: ${job.status}` });
  queen.bus.on('job-status', onStatus);
  if (NEW_COMMITS) await repo.commit({ files: { 'build.txt': `${i}\n` } });
  if (IDLE_MS > 0) await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const wall0 = Date.now();
  const t0 = performance.now();
  const queenCpu0 = process.cpuUsage();
  const droneCpu0 = droneCpuMs();
  const id = await triggerHiveJob(queen.url, project.id);
  const job = await jobResults.wait(id);
  const ms = performance.now() - t0;
  const queenCpu = process.cpuUsage(queenCpu0);
  if (i >= WARM_UP) {
    cpu.queen += (queenCpu.user + queenCpu.system) / 1000;
    cpu.drone += droneCpuMs() - droneCpu0;
  }
  queen.bus.off('job-status', onStatus);
  if (job.status !== 'passed') throw new Error(`build ${job.status}: ${job.message}`);
  if (i < WARM_UP) continue;
  totals.push(ms);
  // The timeline's reads would be in the queen's profile: with one, no timeline.
  if (profile) continue;
  const stored = (await findJob(queen.testDb.db, id))!;
  note('queen: resolved (spec stored)', stored.resolvedAt!.getTime() - wall0);
  // Each kind once per build: the first of a repeated one (status changes, log lines) in order.
  const counts = new Map<string, number>();
  const once = (what: string) => {
    const n = (counts.get(what) ?? 0) + 1;
    counts.set(what, n);
    return n === 1 ? what : `${what} #${n}`;
  };
  for (const s of seen) note(once(s.what), s.at - wall0);
  for (const e of await readJobEvents(queen.testDb.db, logOf(stored), 0)) {
    const detail = e.type === 'job:phase:done' ? ` ${e.phase}` : e.type === 'job:log' ? `: ${e.data.trim().replace(/\b[0-9a-f]{7,40}\b/g, '<sha>').slice(0, 44)}` : '';
    note(once(`drone: ${e.type}${detail}`), e.at - wall0);
  }
}

await profile?.stop(process.env.QUEEN_PROF!);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`database: ${testDatabaseKind()}${process.env.BENCH_HIVE_DB === 'disk' && !process.env.TEST_DATABASE_URL ? ' (on disk)' : ''}; ${BUILDS} trivial builds after ${WARM_UP} warm-up ones, ${NEW_COMMITS ? 'each of a new commit' : 'all of one commit'}${FRESH ? ', fresh workspaces' : ''}; trigger → passed p50 ${median(totals).toFixed(1)} ms`);
const faults1 = { queen: process.resourceUsage().minorPageFault, drone: droneFaults() };
// A first touch of a page costs ~10 µs on the VMs measured (docs/PERFORMANCE.md, Storing large logs: "2026-12-03, night").
console.log(`minor page faults per build: queen (and this bench) ${((faults1.queen - faults0.queen) / BUILDS).toFixed(0)}, drone ${((faults1.drone.own - faults0.drone.own) / BUILDS).toFixed(0)}, the drone's children ${((faults1.drone.children - faults0.drone.children) / BUILDS).toFixed(0)}`);
// The drone's figure counts in 10 ms ticks of its clock: a mean over many builds.
console.log(`CPU per build, trigger → passed (mean): queen (and this bench's trigger) ${(cpu.queen / BUILDS).toFixed(1)} ms, drone ${(cpu.drone / BUILDS).toFixed(1)} ms`);
console.log('median ms after the trigger (clocks: Date.now(), 1 ms):');
for (const [what, at] of [...steps.entries()].filter(([, xs]) => xs.length >= BUILDS / 2).sort((a, b) => median(a[1]) - median(b[1]))) {
  console.log(`  ${median(at).toFixed(0).padStart(5)}  ${what}${at.length < BUILDS ? ` (${at.length} builds)` : ''}`);
}
closeJsonPost();
await drone.stop();
await queen.stop();
await repo.cleanup();
