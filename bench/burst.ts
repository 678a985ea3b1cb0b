/**
 * Builds at once (issue #13's throughput figure): a project whose one command is `true`,
 * one real drone process of capacity 2 (process executor, incremental workspaces; `--fresh`: fresh ones),
 * `[builds]` triggers sent at once (bench/json-post.ts), all awaited; `[rounds]` rounds after one warm-up round.
 * Prints each round's trigger → all passed and the builds per second, and the queen's and
 * the drone's CPU per build. `node --import tsx bench/burst.ts [builds] [rounds]` (PGlite;
 * `DRONE_PROF=<dir>` writes the drone's CPU profile there, `QUEEN_PROF=<file>` the queen's
 * over the timed rounds;
 * `TEST_DATABASE_URL` for PostgreSQL). Prints figures, asserts nothing.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
// The queen in this process runs with the V8 settings of the installed queen (server/main.ts).
import '../server/v8-tuning.ts';
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { connectDrone } from '../test/helpers/drone-process.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { startTestQueen } from '../test/helpers/queen.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';
import { startCpuProfile } from './cpu-profile.ts';
import { JobResults } from './job-results.ts';
import { closeJsonPost, triggerHiveJob } from './json-post.ts';
import { pgliteOnDisk } from './pglite-on-disk.ts';

const [BUILDS = 20, ROUNDS = 5] = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const CAPACITY = 2;
const FRESH = process.argv.includes('--fresh');

// Hive's own default, PGlite on disk in the queen's data dir (the test helper's is in memory).
const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' }, process.env.TEST_DATABASE_URL ? undefined : await pgliteOnDisk('hive-bench-burst-'));
const repo = await createGitRepo({ files: { README: 'burst\n' } });
const project = (await queen.api('POST', '/api/projects', {
  name: 'burst', repoUrl: repo.url, ...(FRESH && { workspace: 'fresh' }), config: { phases: { test: ['true'] } },
})).body;
// Results from the queen's bus, read nowhere (job-results.ts says why).
const jobResults = new JobResults(queen.bus);
const drone = await connectDrone(queen, { name: 'burst-drone', capacity: CAPACITY, nodeArgs: process.env.DRONE_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.DRONE_PROF] : [] });

/**
 * CPU seconds (user + system) a process used so far, from /proc, with its children that
 * ended (the drone's git and build processes; the queen's git runs in a long-lived child
 * of its own, not counted).
 */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  // utime, stime, cutime, cstime, in clock ticks (USER_HZ, 100 a second)
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

const results: string[] = [];
let profile: Awaited<ReturnType<typeof startCpuProfile>> | undefined;
for (let round = 0; round <= ROUNDS; round++) {
  if (round === 1 && process.env.QUEEN_PROF) profile = await startCpuProfile();
  const cpu0 = [await cpuSeconds(process.pid), await cpuSeconds(drone.process.pid!)];
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: BUILDS }, () => triggerHiveJob(queen.url, project.id)));
  const jobs = await Promise.all(ids.map((id) => jobResults.wait(id)));
  const ms = performance.now() - t0;
  const cpu = [(await cpuSeconds(process.pid)) - cpu0[0], (await cpuSeconds(drone.process.pid!)) - cpu0[1]];
  const bad = jobs.filter((j) => j.status !== 'passed');
  if (bad.length) throw new Error(`${bad.length} builds not passed: ${bad[0].status} ${bad[0].message}`);
  if (round === 0) continue; // warm-up
  results.push(`round ${round}: ${ms.toFixed(0)} ms, ${((BUILDS * 1000) / ms).toFixed(1)} builds/s; CPU ms per build: queen ${((cpu[0] * 1000) / BUILDS).toFixed(1)}, drone ${((cpu[1] * 1000) / BUILDS).toFixed(1)}`);
}
await profile?.stop(process.env.QUEEN_PROF!);
console.log(`database: ${testDatabaseKind()}; ${BUILDS} trivial builds at once on one drone of capacity ${CAPACITY}, ${ROUNDS} rounds after a warm-up round`);
for (const r of results) console.log(`  ${r}`);
closeJsonPost();
await drone.stop();
await queen.stop();
await repo.cleanup();
