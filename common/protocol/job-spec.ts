/**
 * The complete, resolved description of one job, compiled by the queen and executed by
 * a drone. Drones never resolve configuration themselves: everything they need is here.
 *
 * Secrets travel only inside `job:assign` (in `secrets`); the copy of the spec the queen
 * stores has `secrets` emptied and `checkout.credentials` removed.
 */

export const PHASES = ['environment', 'prepare', 'test', 'deploy', 'cleanup'] as const;
export type PhaseName = (typeof PHASES)[number];

export const JOB_TYPES = ['TEST', 'TEST_AND_DEPLOY', 'DEPLOY'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export interface SpecCommand {
  /** The shell text run with `sh -c`. May reference secrets through env vars. */
  run: string;
  /** What users see for this command; never contains a secret value. Defaults to `run`. */
  display?: string;
}

export interface CheckoutSpec {
  /** Clone URL without embedded credentials. */
  repoUrl: string;
  /** The exact commit to build. */
  sha: string;
  /** Branch name when the job builds a branch (for `HIVE_BRANCH` and the cache fetch). */
  branch?: string;
  /** Extra refspec to fetch, e.g. `+refs/pull/7/merge` (pull/merge requests). */
  refspec?: string;
  /** Clone credentials; present only in a `job:assign`, never stored. */
  credentials?: { username?: string; password?: string; sshKey?: string };
}

/** A side container (database, cache …) reachable from the job by `name`. */
export interface ServiceSpec {
  name: string;
  image: string;
  env?: Record<string, string>;
  /** Overrides the image's command. */
  command?: string[];
}

export type PullPolicy = 'always' | 'if-not-present' | 'never';

/** How the job's container runs (Docker executor only). */
export interface ContainerOptions {
  pull: PullPolicy;
  privileged: boolean;
  /** Memory limit in MiB; exceeding it kills the command (reported as out of memory). */
  memoryMb?: number;
  /** CPU limit, e.g. 1.5. */
  cpus?: number;
}

export interface JobSpec {
  jobId: string;
  projectId: string;
  projectName: string;
  number: number;
  type: JobType;
  checkout: CheckoutSpec;
  /** Container image; absent means the job runs as plain processes. */
  image?: string;
  container?: ContainerOptions;
  services?: ServiceSpec[];
  env: Record<string, string>;
  /** Secret env vars; masked in every line of output. Empty in the stored spec. */
  secrets: Record<string, string>;
  phases: Record<PhaseName, SpecCommand[]>;
  /** Whole-job timeout in milliseconds. */
  timeoutMs: number;
  /**
   * Env vars filled from project secrets at assignment: env name → secret name. Only
   * names are stored; the values join `secrets` in the assignment.
   */
  secretRefs?: Record<string, string>;
  /** What a drone must have to take this job. */
  requires: { labels: string[]; plugins: string[] };
}
