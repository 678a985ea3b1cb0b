/**
 * A container job against a bare `docker run --rm` of the same image on the same engine,
 * measured in the same run, alternating so both see the same machine:
 *   - Hive: trigger (POST /jobs) → the job's final status on the queen's bus, for a project
 *     with `image:` and one command `echo hi`, on a real drone process;
 *   - bare: `docker run --rm <image> echo hi` through the docker CLI, start → exit.
 * Then a breakdown of one Hive job: the queen's and the drone's own timestamps beside the
 * engine's (`docker events`, nanosecond times), all relative to the trigger, so what is
 * the engine's work and what is ours can be read off one timeline.
 * Used by bench/run.ts; alone: `node --import tsx bench/container.ts`.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { logOf, readJobEvents } from '../server/db/job-log.ts';
import { findJob } from '../server/db/jobs.ts';
import { BUSYBOX_IMAGE, dockerSkipReason, onEngineEvents, testDocker } from '../test/helpers/docker-engine.ts';
import { connectDrone } from '../test/helpers/drone-process.ts';
import type { GitRepo } from '../test/helpers/git-repo.ts';
import type { TestQueen } from '../test/helpers/queen.ts';

const exec = promisify(execFile);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

export interface ContainerBench {
  hive: number[];
  bare: number[];
  /** One Hive job's timeline: what happened, ms after the trigger. */
  breakdown: { atMs: number; what: string }[];
  /** One bare run's timeline: the engine's events, ms after the CLI started. */
  bareBreakdown: { atMs: number; what: string }[];
}

interface EngineEvent { Type: string; Action: string; timeNano: number; Actor?: { Attributes?: Record<string, string> } }

/**
 * Engine events from now on for containers (and their execs) carrying `label`, and for
 * Hive's networks (network events carry no container labels: matched by name).
 */
async function watchEngine(label: string) {
  const seen: EngineEvent[] = [];
  const labelled = await testDocker.getEvents({ filters: { label: [label] } }) as NodeJS.ReadableStream & { destroy(): void };
  const networks = await testDocker.getEvents({ filters: { type: ['network'] } }) as NodeJS.ReadableStream & { destroy(): void };
  const add = (e: EngineEvent) => {
    if (e.Type !== 'network' || e.Actor?.Attributes?.name?.startsWith('hive-')) seen.push(e);
  };
  onEngineEvents(labelled, add);
  onEngineEvents(networks, add);
  return { seen, close: () => { labelled.destroy(); networks.destroy(); } };
}

export async function skipContainerBench(): Promise<string | undefined> {
  return dockerSkipReason([BUSYBOX_IMAGE]);
}

export async function benchContainerJob(queen: TestQueen, repo: GitRepo, runs = 10): Promise<ContainerBench> {
  const droneName = `bench-docker-${process.pid}`;
  const drone = await connectDrone(queen, { name: droneName, capacity: 1 });
  const project = (await queen.api('POST', '/api/projects', {
    name: `bench-container-${process.pid}`, repoUrl: repo.url,
    config: { image: BUSYBOX_IMAGE, phases: { test: ['echo hi'] } },
  })).body;
  const hiveJob = async () => {
    const t0 = performance.now();
    const wall0 = Date.now();
    const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
    const job = await queen.waitForJob(id, undefined, 60_000);
    if (job.status !== 'passed') throw new Error(`bench container job ${job.status}: ${job.message}`);
    return { ms: performance.now() - t0, id, wall0 };
  };
  const bareLabel = `hive-bench.bare=${process.pid}`;
  const bareRun = async () => {
    const t0 = performance.now();
    await exec('docker', ['run', '--rm', '--label', bareLabel, BUSYBOX_IMAGE, 'echo', 'hi']);
    return performance.now() - t0;
  };
  const result: ContainerBench = { hive: [], bare: [], breakdown: [], bareBreakdown: [] };
  try {
    // Warm-up: the drone loads its Docker client on its first container job; git caches fill.
    await hiveJob();
    await bareRun();
    for (let i = 0; i < runs; i++) {
      result.hive.push((await hiveJob()).ms);
      result.bare.push(await bareRun());
    }
    result.breakdown = await timeline(queen, hiveJob, droneName);
    result.bareBreakdown = await bareTimeline(bareRun, bareLabel);
  } finally {
    await drone.stop();
  }
  return result;
}

/** One more Hive job, with every timestamp queen, drone and engine give of it. */
async function timeline(queen: TestQueen, hiveJob: () => Promise<{ ms: number; id: string; wall0: number }>, droneName: string) {
  const engine = await watchEngine(`hive.drone=${droneName}`);
  const statuses: { at: number; what: string }[] = [];
  const onStatus = (job: { status: string }) => statuses.push({ at: Date.now(), what: `queen: job ${job.status}` });
  queen.bus.on('job-status', onStatus);
  let run: Awaited<ReturnType<typeof hiveJob>>;
  try {
    run = await hiveJob();
    // Removal goes on after the result: give the engine's last events a moment to arrive.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !engine.seen.some((e) => e.Type === 'container' && e.Action === 'destroy')) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    queen.bus.off('job-status', onStatus);
    engine.close();
  }
  const entries: { atMs: number; what: string }[] = [];
  const rel = (wall: number) => wall - run.wall0;
  for (const s of statuses) entries.push({ atMs: rel(s.at), what: s.what });
  const job = (await findJob(queen.testDb.db, run.id))!;
  for (const e of await readJobEvents(queen.testDb.db, logOf(job), 0)) {
    const detail = e.type === 'job:log' ? `: ${e.data.trim().slice(0, 60)}` : e.type === 'job:phase:done' ? ` ${e.phase} ${e.status}` : '';
    entries.push({ atMs: rel(e.at), what: `drone: ${e.type}${detail}` });
  }
  for (const e of engine.seen) {
    const role = e.Actor?.Attributes?.['hive.role'] ?? '';
    entries.push({ atMs: e.timeNano / 1e6 - run.wall0, what: `engine: ${e.Type} ${e.Action.split(':')[0]}${role ? ` (${role})` : ''}` });
  }
  entries.sort((a, b) => a.atMs - b.atMs);
  entries.push({ atMs: run.ms, what: 'bench: the final status seen on the bus' });
  return entries;
}

/** One more bare run, with the engine's events of it. */
async function bareTimeline(bareRun: () => Promise<number>, label: string) {
  const engine = await watchEngine(label);
  const wall0 = Date.now();
  let ms: number;
  try {
    ms = await bareRun();
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !engine.seen.some((e) => e.Action === 'destroy')) await new Promise((r) => setTimeout(r, 50));
  } finally {
    engine.close();
  }
  const entries = engine.seen.map((e) => ({ atMs: e.timeNano / 1e6 - wall0, what: `engine: ${e.Type} ${e.Action.split(':')[0]}` }));
  entries.push({ atMs: ms, what: 'bench: the docker CLI exited' });
  return entries.sort((a, b) => a.atMs - b.atMs);
}

export function describeContainerBench(r: ContainerBench): string {
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  const ratio = pct(r.hive, 50) / pct(r.bare, 50);
  const lines = [
    `container job (image ${BUSYBOX_IMAGE}, \`echo hi\`), trigger → finished: p50 ${f(pct(r.hive, 50))}, p95 ${f(pct(r.hive, 95))}, n=${r.hive.length}`,
    `bare \`docker run --rm ${BUSYBOX_IMAGE} echo hi\`, same run: p50 ${f(pct(r.bare, 50))}, p95 ${f(pct(r.bare, 95))}, n=${r.bare.length}`,
    `container job / bare docker run (p50): ${ratio.toFixed(2)}× (target ≤ 1.2×)`,
    'breakdown of one container job (ms after the trigger):',
    ...r.breakdown.map((e) => `  ${e.atMs.toFixed(0).padStart(6)}  ${e.what}`),
    'breakdown of one bare docker run (ms after the CLI started):',
    ...r.bareBreakdown.map((e) => `  ${e.atMs.toFixed(0).padStart(6)}  ${e.what}`),
  ];
  return lines.join('\n');
}
