/**
 * Runs one job from its JobSpec and reports everything it does as job events:
 *
 *   job:started → job:log (checkout, uploaded files) → per phase, per command: job:cmd:start,
 *   job:cmd:stdout/stderr…, job:cmd:done → job:phase:done … → job:done
 *
 * Phases run in order environment → prepare → test → deploy → cleanup; every phase gets a
 * `job:phase:done`, `skipped` when it does not run (not part of the job type, empty, or
 * after a failure). The first failing command fails its phase and the job skips straight
 * to `cleanup`, which always runs once the job's executor session is up — after a failure,
 * a cancel or a timeout too — with its own time limit; cleanup runs all its commands even when one
 * fails, since each usually tears down something different.
 *
 * `deploy` runs for TEST_AND_DEPLOY (after test passed) and DEPLOY (which has no test).
 *
 * The final status is decided by what happened first: a failing command (`failed`), a
 * system failure such as checkout or executor (`errored`), a stop request (`cancelled`, or
 * whatever the StopReason says), the whole-job timeout (`timed_out`). Without any of them
 * a failing or overrunning cleanup decides; otherwise the job `passed`.
 *
 * Every text users see — output, command text, errors — goes through the secret masker.
 */
import { DOCKER_LABEL } from '../common/drone-labels.ts';
import { PHASES } from '../common/protocol/index.ts';
import type { FinalJobStatus, JobSpec, PhaseName, PhaseStatus, SpecCommand } from '../common/protocol/index.ts';
import { MAX_OUTPUT_CHUNK_CHARS } from '../common/protocol/index.ts';
import type { CheckoutRequest, CheckoutResult } from './checkout.ts';
import type { JobEventBody } from './event-outbox.ts';
import { GIT_OBJECTS_DIR } from './docker/container-config.ts';
import type { CommandResult, ExecSession, Executor, ExecutorJob, ExecutorPreparation, OutputFlow } from './executors/executor.ts';
import { OutputCoalescer } from './output-coalescer.ts';
import { SecretMasker } from './secret-masker.ts';
import { formatDuration } from '../common/format-duration.ts';
import { jobEnv } from '../common/job-env.ts';

/** Why a job was stopped from outside; pass it as the reason of the job's AbortSignal. */
export interface StopReason {
  status: Extract<FinalJobStatus, 'cancelled' | 'errored' | 'timed_out'>;
  message: string;
}

export interface JobOutcome {
  status: FinalJobStatus;
  message?: string;
}

/** What the runner needs from the repository cache (see RepoCache). */
export interface Workspaces {
  checkout(request: CheckoutRequest): Promise<CheckoutResult>;
  removeWorkspace(jobId: string): Promise<void>;
  /**
   * Where the checkout will put the job's workspace, asked before it (lets the executor
   * prepare beside it); may reserve it, which removeWorkspace undoes.
   */
  plannedWorkspace?(request: Pick<CheckoutRequest, 'jobId' | 'workspace'>): string;
  /** The repository cache's objects directory, when it exists (a container mounts it read-only). */
  gitObjectsPath?(repoUrl: string): string | undefined;
}

export interface RunJobOptions {
  spec: JobSpec;
  /** Receives every event in order; the outbox numbers and stamps them. */
  emit: (event: JobEventBody) => void;
  /** Aborting stops the job; the reason (a StopReason) decides its final status. */
  signal: AbortSignal;
  executor: Executor;
  workspaces: Workspaces;
  keepWorkspaces: boolean;
  /** Time limit of the cleanup phase, which runs even after a timeout. */
  cleanupTimeoutMs?: number;
  now?: () => number;
  /**
   * Writes the spec's uploaded `files` into the workspace (drone/upload-files.ts), after the
   * checkout and before the executor starts; a failure ends the job errored.
   */
  placeFiles?: (workspace: string, signal: AbortSignal, log: (line: string) => void) => Promise<void>;
  /**
   * Takes the job's teardown — the executor session's disposal (for Docker: removing the
   * containers), then the workspace's removal — which then runs after `job:done` is
   * reported and after runJob resolves, off the job's critical path. The caller must let
   * it finish (the drone awaits them when it stops). Without it, runJob awaits the
   * teardown before it resolves.
   */
  deferTeardown?: (teardown: Promise<void>) => void;
  /** When the commands' output should wait (the drone's outbox is congested); see CommandIo.flow. */
  outputFlow?: OutputFlow;
  /**
   * The caller emitted `job:started` already, with its acceptance of the job and before
   * the runner's own set-up (drone.ts says why): the run begins with what follows it.
   */
  startedEmitted?: boolean;
}

const MAIN_PHASES = PHASES.filter((p) => p !== 'cleanup');
const MAX_ERROR_CHARS = 10_000;

/** The phases a job type runs at all; the others are always `skipped`. */
export function phasesOfType(type: JobSpec['type']): ReadonlySet<PhaseName> {
  if (type === 'TEST') return new Set(['environment', 'prepare', 'test', 'cleanup']);
  if (type === 'DEPLOY') return new Set(['environment', 'prepare', 'deploy', 'cleanup']);
  return new Set(PHASES);
}

export function runJob(options: RunJobOptions): Promise<JobOutcome> {
  return new JobRun(options).run();
}

type CommandOutcome = 'ok' | 'failed' | 'errored' | 'aborted';

class JobRun {
  readonly #spec: JobSpec;
  readonly #emit: RunJobOptions['emit'];
  readonly #now: () => number;
  readonly #masker: SecretMasker;
  /** Aborted on a stop request or the job timeout; the main phases run under it. */
  readonly #main = new AbortController();
  /** The first thing that decided the job's fate (see the file comment). */
  #verdict: JobOutcome | undefined;
  #session: ExecSession | undefined;
  /** The executor's set-up begun beside the checkout; consumed by #startExecutor, else discarded. */
  #preparation: ExecutorPreparation | undefined;
  /** The workspace was asked for before the checkout (and may be reserved until removeWorkspace). */
  #plannedWorkspace = false;
  #sha: string | undefined;
  #cmdIndex = 0;
  /** Commands of the phases this job type runs not yet started (the cleanup's included). */
  #commandsLeft = 0;
  /** What the last failing command did, for the job's final message. */
  #lastFailure = '';

  readonly #options: RunJobOptions;

  constructor(options: RunJobOptions) {
    this.#options = options;
    this.#spec = options.spec;
    this.#emit = options.emit;
    this.#now = options.now ?? Date.now;
    // Clone credentials never reach commands, but git messages must not show them either.
    const { password, sshKey } = options.spec.checkout.credentials ?? {};
    const registryPasswords = (options.spec.registryLogins ?? []).map((login) => login.password);
    this.#masker = new SecretMasker([...Object.values(options.spec.secrets), ...registryPasswords, ...[password, sshKey].filter((v) => v !== undefined)]);
  }

  async run(): Promise<JobOutcome> {
    const { spec, signal } = this.#options;
    if (!this.#options.startedEmitted) this.#emit({ type: 'job:started' });
    const onStop = () => this.#stop(toStopReason(signal.reason));
    signal.addEventListener('abort', onStop, { once: true });
    if (signal.aborted) onStop();
    // setTimeout cannot wait longer than 2^31-1 ms (~24 days).
    const timeout = setTimeout(() => {
      this.#stop({ status: 'timed_out', message: `Job exceeded its timeout of ${formatDuration(spec.timeoutMs)}` });
    }, Math.min(spec.timeoutMs, 2 ** 31 - 1));

    for (const phase of PHASES) if (this.#willRun(phase)) this.#commandsLeft += this.#spec.phases[phase].length;
    let workspace: string | undefined;
    let cleanupOutcome: JobOutcome | undefined;
    try {
      this.#prepareExecutor();
      workspace = await this.#checkout();
      if (workspace && (await this.#placeFiles(workspace))) this.#session = await this.#startExecutor(workspace);
      for (const phase of MAIN_PHASES) {
        if (!this.#session || this.#verdict || !this.#willRun(phase)) this.#phaseDone(phase, 'skipped', 0);
        else await this.#runPhase(phase, this.#main.signal, false);
      }
      clearTimeout(timeout);
      cleanupOutcome = this.#session && this.#willRun('cleanup') ? await this.#runCleanup() : this.#skipCleanup();
    } catch (err) {
      // A bug: the result is the caller's to report, the teardown still ours.
      await this.#teardown(workspace);
      throw err;
    } finally {
      clearTimeout(timeout);
      signal.removeEventListener('abort', onStop);
    }
    const outcome = this.#verdict ?? cleanupOutcome ?? { status: 'passed' };
    const message = outcome.message === undefined ? undefined : this.#text(outcome.message, MAX_ERROR_CHARS);
    // Nothing of the job runs once its result is out, so its workspace is free for the next
    // build (an incremental tree is reused); the rest of the teardown can change nothing
    // (for a Docker job ~130 ms of container removal, plus a network's ~170 ms) and follows.
    await this.#session?.stop?.().catch(() => {});
    this.#emit({ type: 'job:done', status: outcome.status, ...(message !== undefined && { message }) });
    const teardown = this.#teardown(workspace);
    if (this.#options.deferTeardown) this.#options.deferTeardown(teardown);
    else await teardown;
    return { status: outcome.status, ...(message !== undefined && { message }) };
  }

  /**
   * Gives the workspace back (the session is stopped by now: nothing writes in it), then
   * frees the executor's session (or its unused preparation). Never rejects; once.
   */
  async #teardown(workspace: string | undefined): Promise<void> {
    const session = this.#session;
    const preparation = this.#preparation;
    this.#session = undefined;
    this.#preparation = undefined;
    await session?.stop?.().catch(() => {});
    const reserved = workspace !== undefined || this.#plannedWorkspace;
    // Called at once: an incremental tree is released before the first await. (It is kept
    // whatever keepWorkspaces says, and must be released for the project's next builds.)
    const keep = this.#options.keepWorkspaces && this.#spec.workspace?.mode !== 'incremental';
    const workspaceGone = reserved && !keep
      ? this.#options.workspaces.removeWorkspace(this.#spec.jobId).catch(() => {})
      : undefined;
    await session?.dispose().catch(() => {});
    await preparation?.discard().catch(() => {});
    await workspaceGone;
  }

  /**
   * Lets the executor begin beside the checkout (Executor.prepare), with the workspace
   * where the checkout will put it and the environment expected of it; start() later
   * corrects what a wrong guess made.
   */
  #prepareExecutor(): void {
    const { executor, workspaces } = this.#options;
    if (!executor.prepare || !workspaces.plannedWorkspace || this.#main.signal.aborted) return;
    const workspace = workspaces.plannedWorkspace({ jobId: this.#spec.jobId, ...this.#workspaceRequest() });
    this.#plannedWorkspace = true;
    this.#preparation = executor.prepare({
      spec: this.#spec,
      workspace,
      ...this.#gitObjects(),
      env: jobEnv(this.#spec, { commit: this.#spec.checkout.sha, workspace }),
      signal: this.#main.signal,
      log: (line) => this.#log(line),
    });
  }

  /**
   * A container job's workspace reaches the cache's objects through a read-only mount,
   * never through hardlinks that its root could write through (drone/checkout.ts).
   */
  #isolated(): boolean {
    return this.#options.executor.kind === 'docker';
  }

  /** The cache's objects for the executor to mount, for a container job. */
  #gitObjects(): Pick<ExecutorJob, 'gitObjects'> {
    const path = this.#isolated() ? this.#options.workspaces.gitObjectsPath?.(this.#spec.checkout.repoUrl) : undefined;
    return path ? { gitObjects: path } : {};
  }

  /** The checkout's `workspace` for the spec's workspace setting. */
  #workspaceRequest(): Pick<CheckoutRequest, 'workspace'> {
    return this.#spec.workspace ? { workspace: { ...this.#spec.workspace, projectId: this.#spec.projectId } } : {};
  }

  #stop(reason: StopReason): void {
    this.#verdict ??= { status: reason.status, message: reason.message };
    this.#main.abort(reason);
  }

  #willRun(phase: PhaseName): boolean {
    return phasesOfType(this.#spec.type).has(phase) && this.#spec.phases[phase].length > 0;
  }

  async #checkout(): Promise<string | undefined> {
    if (this.#main.signal.aborted) return undefined;
    try {
      const result = await this.#options.workspaces.checkout({
        jobId: this.#spec.jobId,
        checkout: this.#spec.checkout,
        signal: this.#main.signal,
        onProgress: (line) => this.#log(line),
        ...this.#workspaceRequest(),
        ...(this.#isolated() && { objectsAt: GIT_OBJECTS_DIR }),
        droneFiles: this.#spec.files?.map((f) => f.name) ?? [],
      });
      this.#sha = result.sha;
      return result.workspace;
    } catch (err) {
      if (!this.#verdict) {
        const message = `Checkout failed: ${(err as Error).message}`;
        this.#log(message);
        this.#verdict = { status: 'errored', message };
      }
      return undefined;
    }
  }

  /** The uploaded files into the workspace; false (the verdict set) when they could not be. */
  async #placeFiles(workspace: string): Promise<boolean> {
    if (!this.#spec.files?.length) return true;
    if (this.#main.signal.aborted) return false;
    try {
      if (!this.#options.placeFiles) throw new Error('this drone cannot fetch uploaded files');
      await this.#options.placeFiles(workspace, this.#main.signal, (line) => this.#log(line));
      return true;
    } catch (err) {
      if (!this.#verdict) {
        const message = `Could not get the uploaded files: ${(err as Error).message}`;
        this.#log(message);
        this.#verdict = { status: 'errored', message };
      }
      return false;
    }
  }

  async #startExecutor(workspace: string): Promise<ExecSession | undefined> {
    const { executor } = this.#options;
    if (this.#spec.image && executor.kind === 'process') {
      if (this.#spec.requires.labels.includes(DOCKER_LABEL)) {
        // It reached this drone through a hand-set `docker` label: never run it on the host.
        const message = `This job runs in image ${this.#spec.image}, but this drone has no Docker engine (its "docker" label was set by hand?)`;
        this.#log(message);
        this.#verdict ??= { status: 'errored', message };
        return undefined;
      }
      this.#log(`Image ${this.#spec.image} is not used: this drone runs jobs as plain processes (the project allows it)`);
    }
    const preparation = this.#preparation;
    this.#preparation = undefined; // its start() owns (or frees) what it made
    const job = {
      spec: this.#spec,
      workspace,
      ...this.#gitObjects(),
      env: jobEnv(this.#spec, { commit: this.#sha ?? this.#spec.checkout.sha, workspace }),
      signal: this.#main.signal,
      log: (line: string) => this.#log(line),
    };
    try {
      return await (preparation ? preparation.start(job) : executor.start(job));
    } catch (err) {
      const message = `Could not prepare the ${executor.kind} executor: ${(err as Error).message}`;
      this.#log(message);
      this.#verdict ??= { status: 'errored', message };
      return undefined;
    }
  }

  async #runCleanup(): Promise<JobOutcome | undefined> {
    const limit = this.#options.cleanupTimeoutMs ?? 60_000;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort({ status: 'timed_out', message: `Cleanup exceeded its limit of ${formatDuration(limit)}` } satisfies StopReason);
    }, limit);
    try {
      const status = await this.#runPhase('cleanup', controller.signal, true);
      if (status === 'timed_out') return { status: 'timed_out', message: `Cleanup exceeded its limit of ${formatDuration(limit)}` };
      if (status === 'failed') return { status: 'failed', message: this.#lastFailure };
      // ('errored' has already set the verdict, in runCommand.)
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #skipCleanup(): undefined {
    this.#phaseDone('cleanup', 'skipped', 0);
    return undefined;
  }

  /** Runs a phase's commands; in the main phases the first failure ends the phase. */
  async #runPhase(phase: PhaseName, signal: AbortSignal, keepGoing: boolean): Promise<PhaseStatus> {
    const started = this.#now();
    let status: PhaseStatus = 'passed';
    for (const command of this.#spec.phases[phase]) {
      const outcome = signal.aborted ? 'aborted' : await this.#runCommand(phase, command, signal);
      if (outcome === 'ok') continue;
      if (outcome === 'aborted') {
        status = toStopReason(signal.reason).status;
        break;
      }
      if (status === 'passed') status = outcome;
      if (!keepGoing || outcome === 'errored') break;
    }
    if (!keepGoing && status === 'failed') this.#verdict ??= { status: 'failed', message: this.#lastFailure };
    this.#phaseDone(phase, status, this.#now() - started);
    return status;
  }

  async #runCommand(phase: PhaseName, command: SpecCommand, signal: AbortSignal): Promise<CommandOutcome> {
    const cmd = this.#cmdIndex++;
    this.#commandsLeft--;
    const shown = this.#text(command.display ?? command.run, MAX_OUTPUT_CHUNK_CHARS);
    this.#emit({ type: 'job:cmd:start', cmd, phase, command: shown });
    const output = new OutputCoalescer({
      emit: (stream, data) => {
        const type = stream === 'stdout' ? 'job:cmd:stdout' : 'job:cmd:stderr';
        this.#emit(typeof data === 'string' ? { type, cmd, data } : { type, cmd, bytes: data });
      },
      // Output is masked as text; without secrets it goes as the bytes it is.
      ...(this.#masker.hasSecrets && { createFilter: () => this.#masker.stream() }),
    });
    const started = this.#now();
    let result: CommandResult;
    let broken = false;
    try {
      result = await this.#session!.run(command.run, {
        onStdout: (chunk) => output.write('stdout', chunk),
        onStderr: (chunk) => output.write('stderr', chunk),
        signal,
        more: this.#commandsLeft > 0,
        ...(this.#options.outputFlow && { flow: this.#options.outputFlow }),
      });
    } catch (err) {
      broken = true;
      result = { exitCode: null, error: `executor failed: ${(err as Error).message}` };
    }
    output.end();
    const aborted = result.exitCode !== 0 && signal.aborted && !broken;
    const error = aborted ? toStopReason(signal.reason).message : result.error;
    this.#emit({
      type: 'job:cmd:done',
      cmd,
      exitCode: result.exitCode,
      durationMs: this.#now() - started,
      ...(error !== undefined && { error: this.#text(error, MAX_ERROR_CHARS) }),
    });
    if (result.exitCode === 0) return 'ok';
    if (aborted) return 'aborted';
    // No exit code and no signal: the command never ran — a system failure, not the build's.
    if (broken || (result.exitCode === null && !result.signal)) {
      this.#verdict ??= { status: 'errored', message: `Command could not run: ${error ?? 'unknown error'}` };
      return 'errored';
    }
    // An error beside an exit code explains it (e.g. "killed: out of memory").
    const what = result.exitCode !== null ? `exited with code ${result.exitCode}${error ? ` (${error})` : ''}` : (error ?? 'failed');
    this.#lastFailure = `Command ${JSON.stringify(shown.length > 200 ? `${shown.slice(0, 199)}…` : shown)} (${phase}) ${what}`;
    return 'failed';
  }

  #phaseDone(phase: PhaseName, status: PhaseStatus, durationMs: number): void {
    this.#emit({ type: 'job:phase:done', phase, status, durationMs });
  }

  #log(line: string): void {
    this.#emit({ type: 'job:log', data: `${this.#text(line, MAX_OUTPUT_CHUNK_CHARS - 1)}\n` });
  }

  /** Secret-masked and cut to the protocol's limit. */
  #text(s: string, max: number): string {
    const masked = this.#masker.mask(s);
    return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
  }
}

function toStopReason(reason: unknown): StopReason {
  const r = reason as Partial<StopReason> | undefined;
  if (r && (r.status === 'cancelled' || r.status === 'errored' || r.status === 'timed_out') && typeof r.message === 'string') {
    return { status: r.status, message: r.message };
  }
  return { status: 'cancelled', message: 'Cancelled' };
}

