/**
 * The HIVE_* variables a build's commands see, decided in one place. Two parts, because
 * they are known at different times:
 *
 * - `refEnv`: what was triggered (tag, pull request). The queen puts it into the spec's
 *   `env` first, so plugins and the configuration's own `env` can still override it.
 * - `jobEnv`: the whole environment on the drone, known only at run time (the commit
 *   actually checked out, the workspace path), with the spec's env and secrets over it.
 */
import type { JobSpec } from './protocol/index.ts';

/** The parts of a job's ref that become variables (the queen's JobRef has these and more). */
export interface RefFacts {
  tag?: string;
  pullRequest?: { number: number; baseBranch: string; headBranch?: string };
}

/** HIVE_TAG, HIVE_PULL_REQUEST, HIVE_TARGET_BRANCH, HIVE_SOURCE_BRANCH for the builds they concern. */
export function refEnv(ref: RefFacts | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (ref?.tag) env.HIVE_TAG = ref.tag;
  const pr = ref?.pullRequest;
  if (pr) {
    env.HIVE_PULL_REQUEST = String(pr.number);
    env.HIVE_TARGET_BRANCH = pr.baseBranch;
    if (pr.headBranch) env.HIVE_SOURCE_BRANCH = pr.headBranch;
  }
  return env;
}

export interface RunFacts {
  /** The commit checked out (the spec's sha, fully resolved when the drone knows it). */
  commit: string;
  workspace: string;
}

type JobEnvSpec = Pick<JobSpec, 'jobId' | 'number' | 'projectName' | 'type' | 'env' | 'secrets'> & { checkout: { branch?: string } };

/** CI/HIVE markers and job facts, then the spec's env (which holds `refEnv`), then secrets over all. */
export function jobEnv(spec: JobEnvSpec, run: RunFacts): Record<string, string> {
  return {
    CI: 'true',
    HIVE: 'true',
    HIVE_JOB_ID: spec.jobId,
    HIVE_JOB_NUMBER: String(spec.number),
    HIVE_PROJECT: spec.projectName,
    HIVE_COMMIT: run.commit,
    ...(spec.checkout.branch && { HIVE_BRANCH: spec.checkout.branch }),
    HIVE_JOB_TYPE: spec.type,
    HIVE_WORKSPACE: run.workspace,
    ...spec.env,
    ...spec.secrets,
  };
}
