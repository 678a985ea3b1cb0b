/**
 * Runs a job in Docker (dockerode): one container per job from the job's image, with the
 * workspace bind-mounted at /workspace (the working directory) and the project's cache at
 * /hive-cache; every command a `docker exec` of `sh -c <command>` (see exec-command.ts).
 * Services run beside it on a network of the job's own, reachable by their names.
 *
 * `prepare()`, beside the checkout: pull what the pull policy asks for, create the
 * network and start the services (only for a job that has services: otherwise the
 * container is on the engine's default bridge), create the job container; its `start()`,
 * once the workspace is there, starts it (`start()` alone does both) — anything missing
 * is an `ExecutorError` with a message for users (the job ends `errored`), and what was
 * already created is removed.
 *
 * Stopping: aborting a command kills the whole job container — that is the only way to
 * be sure everything the command started is gone, as an exec has no process group we
 * could signal through the engine. A later command (the `cleanup` phase runs after a
 * cancel or a timeout) starts the container again: the filesystem is kept, the processes
 * are not. `stop()` kills the job container once the job is over (before its result is
 * reported: the workspace is then free), `dispose()` removes the containers and the
 * network (after the result).
 *
 * Out of memory: a command that exits non-zero while the kernel killed something in the
 * container for lack of memory gets an `error` saying so, beside its exit code (see
 * oom-counter.ts and container-events.ts for how that is known).
 *
 * Files: the bind mount is shared with the host, so files commands create as root are
 * root's on the host too. A drone not running as root hands the workspace and cache back
 * to its own user (`chown` in the container) before the container goes, so it can delete
 * them.
 *
 * The job's workspace must be on the engine's host: the engine mounts the drone's path.
 */
import { stat } from 'node:fs/promises';
import type Docker from 'dockerode';
import { DEFAULT_CONTAINER } from '../../common/container-defaults.ts';
import { ContainerEvents } from '../docker/container-events.ts';
import {
  CACHE_DIR, WORKSPACE_DIR, describeLimits, describeMemoryLimit, jobContainerConfig, serviceContainerConfig,
} from '../docker/container-config.ts';
import { engineMessage, engineStatus } from '../docker/engine-error.ts';
import { execCommand } from '../docker/exec-command.ts';
import { ensureImage } from '../docker/images.ts';
import { jobLogins, type RegistryLogins } from '../docker/registry-auth.ts';
import { JobResources } from '../docker/job-resources.ts';
import { readOomKills } from '../docker/oom-counter.ts';
import { resourceLabels, resourceName } from '../docker/labels.ts';
import type { Logger } from '../logger.ts';
import { ExecutorError } from './executor.ts';
import type { CommandIo, CommandResult, ExecSession, Executor, ExecutorJob, ExecutorPreparation } from './executor.ts';
import { projectCacheDir } from './project-cache.ts';

export interface DockerExecutorOptions {
  docker: Docker;
  /** Goes into every resource's `hive.drone` label (see removeStaleResources). */
  droneName: string;
  /** Where per-project caches live on the host (`<dataDir>/cache`). */
  cacheRoot: string;
  logger?: Logger;
  /** How long a command's output may still flow after its container was killed. */
  graceMs?: number;
  /**
   * Who gets the workspace back after the job. Default: the drone's own user when it is
   * not root (root can delete anything); null never changes owners.
   */
  workspaceOwner?: { uid: number; gid: number } | null;
  /** The drone host's registry logins, for images whose registry needs one (registry-auth.ts). */
  logins?: RegistryLogins;
}

export class DockerExecutor implements Executor {
  readonly kind = 'docker';
  readonly #owner: { uid: number; gid: number } | null;

  readonly #options: DockerExecutorOptions;

  constructor(options: DockerExecutorOptions) {
    this.#options = options;
    const uid = process.getuid?.() ?? 0;
    this.#owner = options.workspaceOwner !== undefined ? options.workspaceOwner : uid === 0 ? null : { uid, gid: process.getgid?.() ?? uid };
  }

  start(job: ExecutorJob): Promise<ExecSession> {
    return this.prepare(job).start(job);
  }

  /**
   * Starts the set-up at once (the runner calls this beside the checkout): images, the
   * project cache, the network and services when the job has services, and the job
   * container, created but not started — starting it needs the checked-out workspace.
   */
  prepare(job: ExecutorJob): ExecutorPreparation {
    const setup = this.#setUp(job);
    setup.catch(() => {}); // the failure is the start's to report
    return {
      start: (actual) => this.#startPrepared(setup, actual),
      discard: async () => {
        const ready = await setup.catch(() => undefined);
        ready?.events?.close();
        await ready?.resources.removeAll();
      },
    };
  }

  async #setUp(job: ExecutorJob): Promise<PreparedContainer> {
    const { spec, signal } = job;
    const { docker } = this.#options;
    if (!spec.image) throw new ExecutorError('the job has no image, and this drone runs every job in Docker (--executor docker)');
    const container = spec.container ?? DEFAULT_CONTAINER;
    const services = spec.services ?? [];
    const log = this.#options.logger?.child({ jobId: spec.jobId });
    const prepared: PreparedContainer = { resources: new JobResources(log), log, main: undefined!, events: undefined, job };
    try {
      const step = setupStep(signal);
      const logins = jobLogins(spec.registryLogins, this.#options.logins);
      for (const image of new Set([spec.image, ...services.map((s) => s.image)])) {
        await step(`could not get image "${image}"`, () => ensureImage(docker, image, container.pull, { signal, log: job.log, logins }));
      }
      prepared.cacheDir = await step('could not create the project cache directory', () => projectCacheDir(this.#options.cacheRoot, spec.projectId));
      // Only services need a network of the job's own; without them the engine's default
      // bridge serves (creating and removing a network cost ~100 + ~170 ms, and starting a
      // container on one ~100 ms more, measured on this engine).
      if (services.length > 0) prepared.network = await this.#startServices(job, prepared.resources, step);
      await this.#createMain(prepared, job, step);
      await this.#startEarly(prepared, step);
      return prepared;
    } catch (err) {
      prepared.events?.close();
      await prepared.resources.removeAll();
      throw err;
    }
  }

  /** The job network and every service on it, started. */
  async #startServices(job: ExecutorJob, resources: JobResources, step: SetupStep): Promise<string> {
    const { spec } = job;
    const { docker, droneName } = this.#options;
    const networkName = resourceName(spec.jobId, 'net');
    const network = await step('could not create the job network', () => docker.createNetwork({
      Name: networkName,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: resourceLabels(spec.jobId, droneName, 'network'),
    }));
    resources.setNetwork(network);
    for (const service of spec.services ?? []) {
      const what = `could not start service "${service.name}" (${service.image})`;
      const created = await step(what, () => docker.createContainer(serviceContainerConfig({
        name: resourceName(spec.jobId, `svc-${service.name}`),
        service,
        labels: resourceLabels(spec.jobId, droneName, 'service'),
        network: networkName,
      })));
      resources.addContainer(created);
      await step(what, () => created.start());
      job.log?.(`Started service ${service.name} (${service.image})`);
    }
    return networkName;
  }

  /** Creates the job container for `job` (not started) and watches its events. */
  async #createMain(prepared: PreparedContainer, job: ExecutorJob, step: SetupStep): Promise<void> {
    const { spec } = job;
    const { docker, droneName } = this.#options;
    const main = await step(`could not create the job container from image "${spec.image}"`, () => docker.createContainer(jobContainerConfig({
      name: resourceName(spec.jobId, 'job'),
      image: spec.image!,
      workspace: job.workspace,
      cacheDir: prepared.cacheDir!,
      gitObjects: job.gitObjects,
      env: job.env,
      labels: resourceLabels(spec.jobId, droneName, 'job'),
      network: prepared.network,
      options: spec.container ?? DEFAULT_CONTAINER,
    })));
    prepared.resources.addContainer(main);
    prepared.main = main;
    prepared.job = job;
    // Before the start, so that no OOM kill goes unseen.
    prepared.events = await ContainerEvents.watch(docker, main.id).catch((err: unknown) => {
      prepared.log?.warn({ err: engineMessage(err) }, 'cannot watch container events; out-of-memory kills will not be reported as such');
      return undefined;
    });
  }

  /**
   * Starts the container before the checkout ends when the workspace directory is there
   * already (an incremental tree being updated in place): the engine binds the directory
   * itself, so the checkout's changes inside it show in the container, and the start
   * (~300 ms here, the largest step) overlaps the checkout. Should the checkout replace
   * the directory (a tree made anew), #startPrepared sees another directory and makes the
   * container again. A fresh workspace does not exist yet: its container starts after.
   */
  async #startEarly(prepared: PreparedContainer, step: SetupStep): Promise<void> {
    const dir = await directoryId(prepared.job.workspace);
    if (!dir) return;
    await step(`could not start the job container from image "${prepared.job.spec.image}"`, () => prepared.main.start());
    prepared.startedOn = dir;
  }

  /** Starts the prepared container, made again first when it was made for another workspace, objects or environment. */
  async #startPrepared(setup: Promise<PreparedContainer>, job: ExecutorJob): Promise<ExecSession> {
    const prepared = await setup;
    const { spec, signal } = job;
    const container = spec.container ?? DEFAULT_CONTAINER;
    try {
      const step = setupStep(signal);
      const sameDir = prepared.startedOn !== undefined && sameDirectory(prepared.startedOn, await directoryId(job.workspace));
      const changed = prepared.job.workspace !== job.workspace || prepared.job.gitObjects !== job.gitObjects || !sameEnv(prepared.job.env, job.env);
      if (changed || (prepared.startedOn && !sameDir)) {
        prepared.events?.close();
        await prepared.resources.removeContainer(prepared.main);
        prepared.startedOn = undefined;
        await this.#createMain(prepared, job, step);
      }
      if (!prepared.startedOn) await step(`could not start the job container from image "${spec.image}"`, () => prepared.main.start());
      job.log?.(`Running in a container of ${spec.image}${describeLimits(container)}`);
      return new DockerSession(prepared.main, prepared.resources, prepared.events, {
        memoryMb: container.memoryMb,
        graceMs: this.#options.graceMs ?? 5_000,
        owner: this.#owner,
        log: prepared.log,
      });
    } catch (err) {
      prepared.events?.close();
      await prepared.resources.removeAll();
      throw err;
    }
  }
}

/** A job's engine objects made before its checkout ended (DockerExecutor.prepare). */
interface PreparedContainer {
  resources: JobResources;
  log: Logger | undefined;
  cacheDir?: string;
  /** The job network's name, when the job has services. */
  network?: string;
  /** The job container, created for `job` (its workspace and env). */
  main: Docker.Container;
  /** Set when it was started before the checkout ended: the workspace directory it bound. */
  startedOn?: DirectoryId;
  job: ExecutorJob;
  events: ContainerEvents | undefined;
}

type SetupStep = <T>(what: string, action: () => Promise<T>) => Promise<T>;

/** One step of the setup: gives up on an abort, and says what failed. */
function setupStep(signal: AbortSignal | undefined): SetupStep {
  return async (what, action) => {
    if (signal?.aborted) throw new ExecutorError('stopped while preparing the container');
    try {
      return await action();
    } catch (err) {
      if (err instanceof ExecutorError) throw err;
      throw new ExecutorError(`${what}: ${engineMessage(err)}`, { cause: err });
    }
  };
}

interface DirectoryId { dev: number; ino: number }

/** The directory at `path` (undefined when there is none), to tell whether it was replaced. */
async function directoryId(path: string): Promise<DirectoryId | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() ? { dev: info.dev, ino: info.ino } : undefined;
}

const sameDirectory = (a: DirectoryId, b: DirectoryId | undefined) => b !== undefined && a.dev === b.dev && a.ino === b.ino;

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

interface SessionOptions {
  memoryMb: number | undefined;
  graceMs: number;
  owner: { uid: number; gid: number } | null;
  log: Logger | undefined;
}

/** How long to wait for the engine's word on how a failed command ended (fallback OOM check). */
const EXEC_END_WAIT_MS = 2_000;

/**
 * Run in the job container by `stop()`: `kill -9 -1` (every process but PID 1, the
 * keep-alive loop, and this shell), then a wait until the processes there were before the
 * kill are gone. A SIGKILL only marks a process, which dies when next scheduled: on a
 * loaded machine a killed `sleep` was still listed after `kill` returned, so stop() now
 * returns once they have died (zombies, left for PID 1 to reap, run nothing). The wait is
 * for those processes only: the keep-alive loop starts a new `sleep` as soon as its own
 * is killed. The first 50 rounds look again at once (a killed process nearly always dies
 * within them: a 10 ms pause there cost most stops 10 ms), then 300 more 10 ms apart; exit
 * 1 if some never go (a process stuck in the kernel), and the container is killed instead.
 * Builtins only, apart from `sleep`, whose process is this shell's child and never among
 * those waited for; any POSIX sh.
 */
const KILL_LEFT_PROCESSES = `pids=
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  if [ "\$p" != 1 ] && [ "\$p" != "\$\$" ]; then pids="\$pids \$p"; fi
done
kill -9 -1 2>/dev/null
n=0
while :; do
  left=0
  for p in \$pids; do
    read -r s 2>/dev/null < "/proc/\$p/stat" || continue
    case "\${s##*) }" in Z*|X*) ;; *) left=1 ;; esac
  done
  [ \$left = 0 ] && exit 0
  n=\$((n + 1))
  [ \$n -ge 350 ] && exit 1
  if [ \$n -gt 50 ]; then sleep 0.01 2>/dev/null || :; fi
done`;

class DockerSession implements ExecSession {
  /** Set by a kill; the next command starts the container again. */
  #stopped = false;
  /** The container's OOM-kill count when last read (a new container starts at 0). */
  #oomKills = 0;
  #killing: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #disposed = false;

  readonly #container: Docker.Container;
  readonly #resources: JobResources;
  readonly #events: ContainerEvents | undefined;
  readonly #options: SessionOptions;

  constructor(
    container: Docker.Container,
    resources: JobResources,
    events: ContainerEvents | undefined,
    options: SessionOptions,) {
    this.#container = container;
    this.#resources = resources;
    this.#events = events;
    this.#options = options;
  }

  async run(command: string, io: CommandIo): Promise<CommandResult> {
    if (io.signal.aborted) return { exitCode: null, error: 'not started: aborted' };
    await this.#ensureRunning();
    if (io.signal.aborted) return { exitCode: null, error: 'not started: aborted' };
    const oomEventsBefore = this.#events?.oomCount ?? 0;
    const onAbort = () => void this.#kill();
    io.signal.addEventListener('abort', onAbort, { once: true });
    const killed: CommandResult = { exitCode: null, signal: 'SIGKILL', error: 'killed: the job was stopped' };
    try {
      let end;
      try {
        end = await this.#exec(command, io);
      } catch (err) {
        // The kill may have beaten the exec to the container: that is a stop, not a breakage.
        if (io.signal.aborted) return killed;
        throw err;
      }
      if (io.signal.aborted) return killed;
      if (end.exitCode === 0) {
        this.#events?.forget(end.execId);
        return { exitCode: 0 };
      }
      const oom = await this.#outOfMemory(end.execId, oomEventsBefore);
      const error = oom ? `killed: out of memory${describeMemoryLimit(this.#options.memoryMb)}` : undefined;
      if (end.exitCode === null) return { exitCode: null, signal: 'SIGKILL', error: error ?? 'killed: the job container stopped' };
      return { exitCode: end.exitCode, ...(error !== undefined && { error }) };
    } finally {
      io.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Hands the files back, then ends every process the job left in the container
   * (background ones too): after this nothing writes in the workspace. From inside, with
   * one exec of `kill -9 -1` (all but PID 1, the keep-alive loop, which writes nothing)
   * that also waits for them to be gone (KILL_LEFT_PROCESSES):
   * the engine's own kill answers only after its clean-up of the stopped container
   * (measured 35 ms here, 300 ms on the loaded machine, before the result); the container
   * itself goes with dispose(), after the result. Should the exec fail, the container is
   * killed.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#killing;
      if (this.#options.owner) await this.#handBackFiles(this.#options.owner);
      if (this.#stopped) return; // killed already: nothing runs in it
      const ended = await execCommand(this.#container, ['sh', '-c', KILL_LEFT_PROCESSES], { onStdout() {}, onStderr() {} }, {
        workingDir: '/',
        user: '0',
        signal: AbortSignal.timeout(10_000),
        graceMs: 0,
      }).catch(() => undefined);
      if (ended?.exitCode !== 0) await this.#kill();
    })();
    return this.#stopping;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.stop();
    this.#events?.close();
    await this.#resources.removeAll();
  }

  /**
   * Whether the OOM killer struck since the last failed command. The cgroup's counter is
   * exact; the engine's events are the fallback for containers that do not show it. (A
   * kill inside a command that still succeeded is counted against the next failing one.)
   */
  async #outOfMemory(execId: string, eventsBefore: number): Promise<boolean> {
    const kills = await readOomKills(this.#container);
    if (kills !== undefined) {
      this.#events?.forget(execId);
      const more = kills > this.#oomKills;
      this.#oomKills = kills;
      return more;
    }
    if (!this.#events) return false;
    await this.#events.waitForExecEnd(execId, EXEC_END_WAIT_MS);
    this.#events.forget(execId);
    return this.#events.oomCount > eventsBefore;
  }

  /** Runs the command; a container that died by itself (e.g. `kill 1`) is started again once. */
  async #exec(command: string, io: CommandIo) {
    const run = () => execCommand(this.#container, ['sh', '-c', command], io, {
      workingDir: WORKSPACE_DIR,
      signal: io.signal,
      graceMs: this.#options.graceMs,
    });
    try {
      return await run();
    } catch (err) {
      if (engineStatus(err) !== 409 || io.signal.aborted) throw new ExecutorError(`docker exec failed: ${engineMessage(err)}`, { cause: err });
      this.#options.log?.warn({ err: engineMessage(err) }, 'the job container was not running; starting it again');
      this.#stopped = true;
      await this.#ensureRunning();
      return run();
    }
  }

  /** Kills the job container (and so every process in it); idempotent while in progress. */
  #kill(): Promise<void> {
    this.#stopped = true;
    this.#killing ??= (async () => {
      try {
        // The engine answers a SIGKILL (kill's default) once the container has stopped.
        await this.#container.kill();
        return;
      } catch {
        // not running (409) or gone (404): either way nothing runs in it any more
      }
      await this.#container.wait({ condition: 'not-running' }).catch(() => {});
    })().finally(() => {
      this.#killing = undefined;
    });
    return this.#killing;
  }

  async #ensureRunning(): Promise<void> {
    await this.#killing;
    if (!this.#stopped) return;
    try {
      await this.#container.start();
    } catch (err) {
      // 304: it is running already.
      if (engineStatus(err) !== 304) throw new ExecutorError(`could not start the job container again: ${engineMessage(err)}`, { cause: err });
    }
    this.#stopped = false;
    this.#oomKills = (await readOomKills(this.#container)) ?? 0;
  }

  /** Best effort: a failure here only means the drone may be unable to delete some files. */
  async #handBackFiles(owner: { uid: number; gid: number }): Promise<void> {
    try {
      await this.#ensureRunning();
      await execCommand(this.#container, ['chown', '-R', `${owner.uid}:${owner.gid}`, WORKSPACE_DIR, CACHE_DIR], { onStdout() {}, onStderr() {} }, {
        workingDir: '/',
        user: '0',
        signal: AbortSignal.timeout(60_000),
        graceMs: 0,
      });
    } catch (err) {
      this.#options.log?.warn({ err: engineMessage(err) }, 'could not hand the workspace back to the drone user');
    }
  }
}
