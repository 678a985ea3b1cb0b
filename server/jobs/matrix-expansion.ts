/**
 * What a `.hive.yml` matrix does to a job at resolution. A job whose `matrix` is null and
 * whose commit has a matrix becomes a run: it builds the first combination, and one new
 * job per other combination is queued beside it — same commit (pinned), type, ref,
 * trigger, priority, parameters and files, and the same run (the job's own if it was
 * triggered as one, else a run made now). A job whose `matrix` is set never expands again:
 * the siblings, and re-runs of a matrix job, keep their combination.
 *
 * The combination reaches the commands as environment variables, over the configuration's
 * `env` (parameters chosen for the build still win, build-spec.ts) — the matrix names were
 * checked not to touch HIVE_*, CI or PATH (matrix.ts).
 */
import type { Job } from '../db/jobs.ts';
import type { JobRef } from '../db/schema.ts';
import type { JobLifecycle } from './job-lifecycle.ts';
import { matrixCombinations, type Matrix, type MatrixCombination } from './matrix.ts';
import type { MergedConfig } from './merge-config.ts';

export interface MatrixPlan {
  /** The combination this job builds; null outside a matrix. */
  combination: MatrixCombination | null;
  /** The other combinations, to queue as new jobs once this one's spec compiled. */
  siblings: MatrixCombination[];
}

/** Which combination the job builds and which jobs it brings along. */
export function planMatrix(job: Pick<Job, 'matrix'>, matrix: Matrix | undefined): MatrixPlan {
  if (job.matrix) return { combination: job.matrix, siblings: [] };
  if (!matrix) return { combination: null, siblings: [] };
  const [first, ...rest] = matrixCombinations(matrix);
  return { combination: first, siblings: rest };
}

/** The merged configuration with the combination's variables in its env. */
export function withMatrixEnv<C extends Pick<MergedConfig, 'env'>>(config: C, combination: MatrixCombination | null): C {
  return combination ? { ...config, env: { ...config.env, ...combination } } : config;
}

/**
 * Turns the job into the first job of its matrix run and queues the siblings (at the
 * pinned commit). False when the job moved on meanwhile (cancelled): nothing changed, and
 * the caller stops resolving it.
 */
export async function expandMatrix(lifecycle: JobLifecycle, job: Job, plan: MatrixPlan, pinned: JobRef): Promise<boolean> {
  if (job.matrix || !plan.combination) return true;
  const sibling = (matrix: MatrixCombination) => ({
    projectId: job.projectId,
    type: job.type,
    ref: pinned,
    trigger: job.trigger,
    priority: job.priority,
    params: job.params,
    uploadId: job.uploadId ?? undefined,
    matrix,
  });
  const target = job.runId
    ? { runId: job.runId }
    : {
      newRun: {
        projectId: job.projectId, type: job.type, ref: pinned, trigger: job.trigger, times: 1,
        priority: job.priority, params: job.params, uploadId: job.uploadId,
      },
    };
  return !!(await lifecycle.expandMatrix(job.id, target, plan.combination, plan.siblings.map(sibling)));
}
