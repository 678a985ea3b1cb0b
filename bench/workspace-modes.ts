/**
 * Fresh against incremental workspaces: trigger (POST /jobs) → the job finished, for a
 * project whose one command is `echo hello`, on one real drone process, in the same run
 * and alternating so both modes see the same machine. Twice: a repository of one file
 * (what the clone costs at its least) and one of 3,000 files in 150 folders (~6 MB, where
 * checking out everything again is most of the build).
 * Used by bench/run.ts; alone: `node --import tsx bench/workspaces.ts [runs]`.
 */
import { performance } from 'node:perf_hooks';
import type { WorkspaceMode } from '../common/protocol/index.ts';
import { connectDrone } from '../test/helpers/drone-process.ts';
import { createGitRepo, type FileMap, type GitRepo } from '../test/helpers/git-repo.ts';
import type { TestQueen } from '../test/helpers/queen.ts';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const WARMUP = 2;

export interface WorkspaceModesResult {
  repository: string;
  samples: Record<WorkspaceMode, number[]>;
}

function manyFiles(count: number, perFolder: number, bytes: number): FileMap {
  const files: FileMap = {};
  const line = `${'x'.repeat(63)}\n`;
  for (let i = 0; i < count; i++) files[`dir-${Math.floor(i / perFolder)}/file-${i}.txt`] = `${i}\n${line.repeat(Math.ceil(bytes / line.length))}`;
  return files;
}

export async function benchWorkspaceModes(queen: TestQueen, runs = 10): Promise<WorkspaceModesResult[]> {
  const repos: [string, GitRepo][] = [
    ['1 file', await createGitRepo({ files: { README: 'bench\n' } })],
    ['3,000 files (6 MB)', await createGitRepo({ files: manyFiles(3_000, 20, 2_000) })],
  ];
  const drone = await connectDrone(queen, { name: 'bench-workspaces', capacity: 1 });
  const results: WorkspaceModesResult[] = [];
  try {
    for (const [repository, repo] of repos) {
      const projects = {} as Record<WorkspaceMode, string>;
      for (const mode of ['fresh', 'incremental'] as const) {
        const created = await queen.api('POST', '/api/projects', {
          name: `bench-workspace-${mode}-${results.length}`, repoUrl: repo.url, workspace: mode, config: { phases: { test: ['echo hello'] } },
        });
        if (created.status !== 201) throw new Error(`could not create the bench project: ${created.text}`);
        projects[mode] = created.body.id;
      }
      const samples: Record<WorkspaceMode, number[]> = { fresh: [], incremental: [] };
      for (let i = 0; i < WARMUP + runs; i++) {
        for (const mode of ['fresh', 'incremental'] as const) {
          const t0 = performance.now();
          const id = (await queen.api('POST', `/api/projects/${projects[mode]}/jobs`, {})).body.id;
          const job = await queen.waitForJob(id, undefined, 120_000);
          if (job.status !== 'passed') throw new Error(`bench build (${mode}) ${job.status}: ${job.message}`);
          if (i >= WARMUP) samples[mode].push(performance.now() - t0);
        }
      }
      results.push({ repository, samples });
    }
  } finally {
    await drone.stop();
    for (const [, repo] of repos) await repo.cleanup();
  }
  return results;
}

export function describeWorkspaceModes(results: WorkspaceModesResult[]): string {
  const lines = ['trigger → `echo hello` finished on a real drone, fresh vs incremental workspace (p50 / p95):'];
  for (const { repository, samples } of results) {
    const show = (xs: number[]) => `${pct(xs, 50).toFixed(0)} / ${pct(xs, 95).toFixed(0)} ms`;
    const ratio = pct(samples.incremental, 50) / pct(samples.fresh, 50);
    lines.push(`  ${repository.padEnd(20)} fresh ${show(samples.fresh)}, incremental ${show(samples.incremental)} (incremental/fresh p50 ${ratio.toFixed(2)}), n=${samples.fresh.length} each`);
  }
  return lines.join('\n');
}
