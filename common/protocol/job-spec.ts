/**
 * The complete, resolved description of one job, compiled by the queen and executed by
 * a drone. Drones never resolve configuration themselves: everything they need is here.
 *
 * Secrets travel only inside `job:assign` (in `secrets`, `registryLogins`); the copy of the
 * spec the queen stores has `secrets` emptied and `checkout.credentials` and
 * `registryLogins` removed.
 *
 * The schema is the definition; the types are derived from it.
 */
import { z } from 'zod';
import { JOB_TYPES, PHASES, PULL_POLICIES, WORKSPACE_MODES, type PhaseName } from './constants.ts';
import { id, int, label, list, nonEmptyStr, num, str, stringMap } from './fields.ts';
import { MAX_UPLOAD_FILES, MAX_UPLOAD_NAME_BYTES } from '../upload-files.ts';
import { MAX_WORKSPACE_CACHE_CHARS, MAX_WORKSPACE_CACHES } from '../workspace-caches.ts';

export const specCommandSchema = z.object({
  /** The shell text run with `sh -c`. May reference secrets through env vars. */
  run: str(),
  /** What users see for this command; never contains a secret value. Defaults to `run`. */
  display: str().optional(),
});
export type SpecCommand = z.output<typeof specCommandSchema>;

export const checkoutSpecSchema = z.object({
  /** Clone URL without embedded credentials. */
  repoUrl: nonEmptyStr(),
  /** The exact commit to build. */
  sha: nonEmptyStr(200),
  /** Branch name when the job builds a branch (for `HIVE_BRANCH` and the cache fetch). */
  branch: str().optional(),
  /** Extra refspec to fetch, e.g. `+refs/pull/7/merge` (pull/merge requests). */
  refspec: str().optional(),
  /**
   * Clone credentials; present only in a `job:assign`, never stored. `knownHosts`: the only
   * host keys ssh may accept (known_hosts lines); without it the drone pins the first key seen.
   */
  credentials: z.object({ username: str().optional(), password: str().optional(), sshKey: str().optional(), knownHosts: str().optional() }).optional(),
});
export type CheckoutSpec = z.output<typeof checkoutSpecSchema>;

/** A side container (database, cache …) reachable from the job by `name`. */
export const serviceSpecSchema = z.object({
  name: nonEmptyStr(100),
  image: nonEmptyStr(500),
  env: stringMap().optional(),
  /** Overrides the image's command. */
  command: list(str()).optional(),
});
export type ServiceSpec = z.output<typeof serviceSpecSchema>;

/** How the job's container runs (Docker executor only). */
export const containerOptionsSchema = z.object({
  pull: z.enum(PULL_POLICIES),
  privileged: z.boolean(),
  /** Memory limit in MiB; exceeding it kills the command (reported as out of memory). */
  memoryMb: int(4).optional(),
  /** CPU limit, e.g. 1.5. */
  cpus: num(0.01).optional(),
});
export type ContainerOptions = z.output<typeof containerOptionsSchema>;

/** A project's login to a container registry (`ghcr.io`, `registry.example.com:5000`, `docker.io`). */
export const projectRegistryLoginSchema = z.object({
  registry: nonEmptyStr(255),
  username: nonEmptyStr(512),
  password: nonEmptyStr(8192),
});
export type ProjectRegistryLogin = z.output<typeof projectRegistryLoginSchema>;

const phaseCommands = list(specCommandSchema);

/**
 * How the drone prepares the build's directory (the project's settings). `fresh`: a new
 * clone for every build. `incremental`: a work tree the drone keeps per project and slot,
 * updated to the commit and cleaned of everything not in it except `caches` (gitignore
 * patterns, checked again by the drone: common/workspace-caches.ts). Absent: `fresh`, as
 * before the field existed — a drone that does not know it builds fresh, which is
 * correct, only slower (so no protocol version of its own).
 */
export const workspaceSpecSchema = z.object({
  mode: z.enum(WORKSPACE_MODES),
  caches: list(nonEmptyStr(MAX_WORKSPACE_CACHE_CHARS), MAX_WORKSPACE_CACHES),
});
export type WorkspaceSpec = z.output<typeof workspaceSpecSchema>;

export const jobSpecSchema = z.object({
  jobId: id,
  projectId: id,
  projectName: str(),
  number: int(0),
  type: z.enum(JOB_TYPES),
  checkout: checkoutSpecSchema,
  /** Container image; absent means the job runs as plain processes. */
  image: str().optional(),
  container: containerOptionsSchema.optional(),
  services: list(serviceSpecSchema, 20).optional(),
  env: stringMap(),
  /** Secret env vars; masked in every line of output. Empty in the stored spec. */
  secrets: stringMap(),
  /**
   * The project's registry logins, for pulling its images (Docker executor): only in the
   * assignment of a job that may have secrets (never a fork's), never stored; the
   * passwords are masked in output too.
   */
  registryLogins: list(projectRegistryLoginSchema, 20).optional(),
  /** Every phase, each with its commands (possibly none). */
  phases: z.object(Object.fromEntries(PHASES.map((phase) => [phase, phaseCommands])) as Record<PhaseName, typeof phaseCommands>),
  /** Whole-job timeout in milliseconds. */
  timeoutMs: int(1),
  /**
   * Env vars filled from project secrets at assignment: env name → secret name. Only
   * names are stored; the values join `secrets` in the assignment.
   */
  secretRefs: stringMap().optional(),
  /** What a drone must have to take this job. */
  requires: z.object({ labels: list(label), plugins: list(label) }),
  /**
   * Files sent with the trigger, which the drone writes into the workspace root before the
   * first phase. Only names and sizes travel here: the drone fetches each file's content
   * over HTTP from the queen (`GET /drone/jobs/:id/files/:name`, drone token and the job's
   * lease), so a large upload never has to fit a WebSocket frame.
   */
  files: list(z.object({ name: nonEmptyStr(MAX_UPLOAD_NAME_BYTES), size: int(0) }), MAX_UPLOAD_FILES).optional(),
  workspace: workspaceSpecSchema.optional(),
});
export type JobSpec = z.output<typeof jobSpecSchema>;
