/**
 * What the engine is asked to create for a job: pure functions from the job to
 * dockerode's create options, so the rules are in one readable place.
 *
 * The job container keeps itself alive with a shell loop and does nothing else: every
 * command is a separate `docker exec`, which is how each gets its own output and exit
 * code. The image's own entrypoint is replaced (a `node` image's entrypoint would run
 * `node` on the loop), and only `sh` is required of the image.
 */
import type Docker from 'dockerode';
import type { ContainerOptions, ServiceSpec } from '../../common/protocol/index.ts';

/** Where the workspace and the project cache appear inside the job container. */
export const WORKSPACE_DIR = '/workspace';
export const CACHE_DIR = '/hive-cache';
/**
 * Where a job container sees the drone's repository cache's objects, read-only: the
 * workspace's `.git` reaches them through alternates (drone/checkout.ts says why not hardlinks).
 */
export const GIT_OBJECTS_DIR = '/hive-git-objects';

/** PID 1 of the job container: waits for nothing, exits on TERM (busybox sh and others). */
export const KEEPALIVE = 'trap "exit 0" TERM; while :; do sleep 3600 & wait; done';

const MIB = 1024 * 1024;

export interface JobContainerInput {
  name: string;
  image: string;
  /** Host paths bind-mounted at WORKSPACE_DIR and CACHE_DIR. */
  workspace: string;
  cacheDir: string;
  /** Host path of the repository cache's objects, bind-mounted read-only at GIT_OBJECTS_DIR. */
  gitObjects?: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** The job's network (it has services); without one, the engine's default bridge. */
  network?: string;
  options: ContainerOptions;
}

export function jobContainerConfig(input: JobContainerInput): Docker.ContainerCreateOptions {
  const { options } = input;
  const env = { ...input.env, HIVE_WORKSPACE: WORKSPACE_DIR, HIVE_CACHE_DIR: CACHE_DIR };
  return {
    name: input.name,
    Image: input.image,
    Entrypoint: ['sh', '-c', KEEPALIVE],
    Cmd: [],
    WorkingDir: WORKSPACE_DIR,
    Env: toEnvList(env),
    Labels: input.labels,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      Binds: [
        `${input.workspace}:${WORKSPACE_DIR}`,
        `${input.cacheDir}:${CACHE_DIR}`,
        ...(input.gitObjects ? [`${input.gitObjects}:${GIT_OBJECTS_DIR}:ro`] : []),
      ],
      ...(input.network !== undefined && { NetworkMode: input.network }),
      Privileged: options.privileged === true,
      ...limits(options),
    },
  };
}

export interface ServiceContainerInput {
  name: string;
  service: ServiceSpec;
  labels: Record<string, string>;
  network: string;
}

/** A service runs its image's own command (or `service.command`), reachable by its name. */
export function serviceContainerConfig(input: ServiceContainerInput): Docker.ContainerCreateOptions {
  const { service } = input;
  return {
    name: input.name,
    Image: service.image,
    ...(service.command?.length && { Cmd: service.command }),
    Env: toEnvList(service.env ?? {}),
    Labels: input.labels,
    HostConfig: { NetworkMode: input.network },
    NetworkingConfig: { EndpointsConfig: { [input.network]: { Aliases: [service.name] } } },
  };
}

/**
 * Memory: the same value for memory+swap, or the kernel lets the job swap past the limit
 * instead of killing it. CPUs: in billionths of a CPU, as the engine wants them.
 */
function limits(options: ContainerOptions): Docker.HostConfig {
  const host: Docker.HostConfig = {};
  if (options.memoryMb !== undefined) {
    host.Memory = Math.round(options.memoryMb * MIB);
    host.MemorySwap = host.Memory;
  }
  if (options.cpus !== undefined) host.NanoCpus = Math.round(options.cpus * 1e9);
  return host;
}

function toEnvList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

export function describeMemoryLimit(memoryMb: number | undefined): string {
  return memoryMb === undefined ? '' : ` (limit ${+memoryMb.toFixed(1)} MiB)`;
}

/** " (memory 64 MiB, 1.5 CPUs, privileged)" for the job log; "" without limits. */
export function describeLimits(options: ContainerOptions): string {
  const parts: string[] = [];
  if (options.memoryMb !== undefined) parts.push(`memory ${+options.memoryMb.toFixed(1)} MiB`);
  if (options.cpus !== undefined) parts.push(`${options.cpus} CPU${options.cpus === 1 ? '' : 's'}`);
  if (options.privileged) parts.push('privileged');
  return parts.length ? ` (${parts.join(', ')})` : '';
}
