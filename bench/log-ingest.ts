/**
 * Large logs from a real drone process, trigger → passed with every byte stored, in MB/s
 * of output (10^6 bytes): issue #13's two shapes, which cost the most per byte, and one
 * that compresses as ordinary build output does —
 *   - 50 MB in 704,225 lines of 71 bytes (`yes <70 x> | head -c 50000000`);
 *   - 14.9 MB in 2,000,000 short lines (`seq 1 2000000`);
 *   - 17 MB of compiler warnings in 160,000 lines of varied numbers and paths (awk),
 *     which brotli takes to ~12 % as it does real logs (`yes` to nothing, `seq` oddly).
 * The stored log is checked afterwards (its output bytes and last line). Used by
 * bench/run.ts; alone: `node --import tsx bench/log-bench.ts [runs]`. To see where the
 * time goes: BENCH_CPU_PROF=<dir> writes a CPU profile of the drone (`--cpu-prof`)
 * and one of the queen in this process from each trigger to its result (the inspector's
 * profiler: neither the setup nor the check of the stored log is in it). BENCH_WINDOWS=<file>
 * appends each run's trigger → result as two CLOCK_MONOTONIC nanosecond readings, to keep
 * only those samples of a system-wide `perf record -k CLOCK_MONOTONIC -a` (every process
 * and thread: queen, drone, command, kernel) — the check of the stored log between runs
 * decompresses the whole log and is not part of a build. BENCH_PAUSE_MS=<ms> waits that
 * long after each run's check before the next trigger, as builds come with time between
 * them: from 2 s on, queen and drone make the collection that ends a burst
 * (common/burst-collector.ts) in between, which back-to-back runs never see.
 */
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { startCpuProfile } from './cpu-profile.ts';
import { performance } from 'node:perf_hooks';
import { iterateJobEvents, logOf } from '../server/db/job-log.ts';
import { findJob } from '../server/db/jobs.ts';
import { connectDrone } from '../test/helpers/drone-process.ts';
import type { GitRepo } from '../test/helpers/git-repo.ts';
import type { TestQueen } from '../test/helpers/queen.ts';

const windowsFile = process.env.BENCH_WINDOWS;
const pauseMs = Number(process.env.BENCH_PAUSE_MS ?? 0);

export const LOG_SHAPES = [
  { name: '50 MB log in 704k lines', command: `yes ${'x'.repeat(70)} | head -c 50000000`, bytes: 50_000_000, tail: `${'x'.repeat(70)}\n${'x'.repeat(25)}` },
  { name: '14.9 MB log in 2M short lines', command: 'seq 1 2000000', bytes: 14_888_896, tail: '1999999\n2000000\n' },
  {
    name: '17 MB of compiler warnings in 160k lines',
    command: `awk 'BEGIN { for (i = 1; i <= 160000; i++) printf "[%06d] src/mod%02d/file%03d.c:%d:%d: warning: variable v%d set but not used [-Wunused-but-set-variable]\\n", i, i % 37, (i * 7) % 311, (i * 13) % 2000, i % 80, (i * 31) % 9973 }'`,
    bytes: 16_993_369,
    tail: '[160000] src/mod12/file089.c:0:0: warning: variable v3419 set but not used [-Wunused-but-set-variable]\n',
  },
] as const;

export interface LogIngestResult {
  name: string;
  /** MB/s per run. */
  rates: number[];
  /** Per run: how long the command ran on the drone, and from its end to the job's result stored. */
  phases: { commandMs: number; tailMs: number }[];
  /**
   * Per run: CPU seconds the queen (this process) and the drone process used, trigger →
   * passed — steadier than MB/s on a machine shared with other work.
   */
  cpu: { queen: number; drone: number }[];
  /**
   * Minor page faults per run, the queen's and the drone's: first touches of memory, and
   * first writes to memory shared with a child since a fork (~12 µs each on these VMs).
   */
  faults: number[];
  droneFaults: number[];
}

export async function benchLogIngest(queen: TestQueen, repo: GitRepo, runs = 2, profileDir?: string, only?: string): Promise<LogIngestResult[]> {
  const drone = await connectDrone(queen, {
    name: `bench-log-${process.pid}`,
    capacity: 1,
    ...(profileDir && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] }),
  });
  const results: LogIngestResult[] = [];
  try {
    for (const shape of LOG_SHAPES.filter((s) => !only || s.name.includes(only))) {
      const project = (await queen.api('POST', '/api/projects', {
        name: `bench-log-${results.length}-${process.pid}`, repoUrl: repo.url, config: { phases: { test: [shape.command] } },
      })).body;
      const rates: number[] = [];
      const phases: LogIngestResult['phases'] = [];
      const cpu: LogIngestResult['cpu'] = [];
      const faults: number[] = [];
      const droneFaults: number[] = [];
      for (let i = 0; i < runs; i++) {
        const profiler = profileDir ? await startCpuProfile() : undefined;
        const t0 = performance.now();
        const window0 = process.hrtime.bigint();
        const queenCpu0 = process.cpuUsage();
        const faults0 = process.resourceUsage().minorPageFault;
        const drone0 = await processUsage(drone.process.pid!);
        const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
        const job = await queen.waitForJob(id, undefined, 600_000);
        const finishedAt = Date.now();
        if (windowsFile) appendFileSync(windowsFile, `${window0} ${process.hrtime.bigint()}\n`);
        const secs = (performance.now() - t0) / 1000;
        const queenCpu = process.cpuUsage(queenCpu0);
        faults.push(process.resourceUsage().minorPageFault - faults0);
        if (profiler) await profiler.stop(`${profileDir}/queen-${results.length}-${i}.cpuprofile`);
        const drone1 = await processUsage(drone.process.pid!);
        cpu.push({ queen: (queenCpu.user + queenCpu.system) / 1e6, drone: drone1.cpuSeconds - drone0.cpuSeconds });
        droneFaults.push(drone1.minorFaults - drone0.minorFaults);
        if (job.status !== 'passed') throw new Error(`log bench job ${job.status}: ${job.message}`);
        const done = await checkStored(queen, id, shape.bytes, shape.tail);
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        rates.push(shape.bytes / 1e6 / secs);
        phases.push({ commandMs: done.durationMs, tailMs: finishedAt - done.at });
      }
      results.push({ name: shape.name, rates, phases, cpu, faults, droneFaults });
    }
  } finally {
    await drone.stop();
  }
  return results;
}

/** CPU seconds (user + system) a process has used and its minor page faults, from /proc (0 where there is none). */
export async function processUsage(pid: number): Promise<{ cpuSeconds: number; minorFaults: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields.length <= 13) return { cpuSeconds: 0, minorFaults: 0 };
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, minorFaults: Number(fields[7]) };
}

/** Every output byte is in the stored log, and it ends as the output did; returns the command's end. */
async function checkStored(queen: TestQueen, jobId: string, bytes: number, end: string): Promise<{ at: number; durationMs: number }> {
  const job = (await findJob(queen.testDb.db, jobId))!;
  let stored = 0;
  let tail = '';
  let done: { at: number; durationMs: number } | undefined;
  for await (const page of iterateJobEvents(queen.testDb.db, logOf(job))) {
    for (const e of page) {
      if (e.type === 'job:cmd:done') done = { at: e.at, durationMs: e.durationMs };
      if (e.type !== 'job:cmd:stdout') continue;
      stored += Buffer.byteLength(e.data);
      tail = (tail + e.data).slice(-200);
    }
  }
  if (stored !== bytes) throw new Error(`stored ${stored} output bytes, expected ${bytes}`);
  if (!tail.endsWith(end)) throw new Error(`the stored log ends with ${JSON.stringify(tail.slice(-40))}`);
  if (!done) throw new Error('no job:cmd:done stored');
  return done;
}

/**
 * A queen's first build of a large log costs about twice the CPU of its fifth (memory
 * touched for the first time, code not yet optimized; docs/PERFORMANCE.md: Storing large logs): with
 * three runs or more, the median of the runs after the first is printed apart.
 */
function laterRuns(rates: number[]): string {
  if (rates.length < 3) return '';
  const later = rates.slice(1).sort((a, b) => a - b);
  return `; after the first, median ${later[Math.floor((later.length - 1) / 2)].toFixed(1)} MB/s`;
}

export function describeLogIngest(results: LogIngestResult[]): string {
  return results.map((r) => `${r.name}, trigger → passed and stored: ${r.rates.map((x) => `${x.toFixed(1)} MB/s`).join(', ')}${laterRuns(r.rates)}`
    + ` (the command ran ${r.phases.map((p) => `${p.commandMs.toFixed(0)}`).join(', ')} ms on the drone; its end → the result stored ${r.phases.map((p) => `${p.tailMs}`).join(', ')} ms;`
    + ` CPU s queen/drone ${r.cpu.map((c) => `${c.queen.toFixed(2)}/${c.drone.toFixed(2)}`).join(', ')};`
    + ` page faults queen/drone ${r.faults.map((n, i) => `${(n / 1000).toFixed(1)}k/${(r.droneFaults[i] / 1000).toFixed(1)}k`).join(', ')})`).join('\n');
}
