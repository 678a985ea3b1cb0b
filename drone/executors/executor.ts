/**
 * Where a job's commands run. The runner does not know whether that is a Docker
 * container or plain processes on the host; it only knows this contract.
 *
 * Lifecycle: `start()` once per job, after checkout, with the job's workspace and env; it
 * prepares whatever the job runs in (for Docker: pull the image, create the container
 * with the workspace mounted) and fails with an `ExecutorError` when it cannot — the job
 * then ends `errored`. The session then runs the job's commands, and `dispose()` is called
 * exactly once at the end, whatever happened, even after a failed command or an abort.
 * `prepare()` (optional) lets the executor start that work beside the checkout.
 *
 * Concurrency: one executor serves many jobs at once (one session each). Within a session
 * the runner calls `run()` one command at a time and never concurrently.
 *
 * Errors: `run()` resolves for everything a command can do — exit with any code, be
 * killed, fail to start — and rejects only when the executor itself broke.
 */
import type { JobSpec } from '../../common/protocol/index.ts';

export interface ExecutorJob {
  spec: JobSpec;
  /** Host path of the checked-out workspace; commands start in it. */
  workspace: string;
  /** The complete environment of the job's commands (CI variables, job env, secrets). */
  env: Record<string, string>;
  /**
   * Host path of the drone's repository cache's objects, for an executor that isolates
   * the job (Docker: mounted read-only where the workspace's `.git` alternates point).
   * Absent while the cache does not exist yet.
   */
  gitObjects?: string;
  /** Aborted when the job is stopped; `start()` should then give up promptly (e.g. an image pull). */
  signal?: AbortSignal;
  /** A line for the job log about the preparation (an image pull, a service started). */
  log?: (line: string) => void;
}

export interface CommandIo {
  /** Raw output as it comes; chunks may split lines and UTF-8 characters. */
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /**
   * Aborting kills the command and everything it started. `run()` then resolves promptly
   * (after a short grace period at most), with `exitCode: null`.
   */
  signal: AbortSignal;
  /**
   * Another command of this session is expected after this one (the runner may still stop
   * early): the executor may get ready for it while this one runs.
   */
  more?: boolean;
  /**
   * Optional flow control: after handing over a chunk, an executor that can stop reading
   * its command's output asks `congested()`, and when so reads no more until the flow
   * calls back. Nothing is lost: the command waits on its full pipe meanwhile.
   */
  flow?: OutputFlow;
}

/** Whether output should wait (drone/event-outbox.ts implements it). */
export interface OutputFlow {
  congested(): boolean;
  /** Calls `resume` once output may flow again (at once when it may now). */
  whenDrained(resume: () => void): void;
}

export interface CommandResult {
  /** The exit code, or null when the command was killed or could not start. */
  exitCode: number | null;
  /** The signal that ended the command, when one did. */
  signal?: NodeJS.Signals;
  /**
   * Why there is no exit code: killed by a signal, or could not start (with the reason).
   * Beside an exit code: what explains it, e.g. "killed: out of memory (limit 64 MiB)".
   */
  error?: string;
}

export interface ExecSession {
  /** Runs one shell command (`sh -c`) in the workspace; see CommandIo and CommandResult. */
  run(command: string, io: CommandIo): Promise<CommandResult>;
  /**
   * Optional: ends every process the job left (background ones too), so that nothing
   * touches the workspace any more — before the job's result, which frees its workspace
   * for the next build — while what is slower to free (a container's removal) waits for
   * `dispose()`. Idempotent; never rejects.
   */
  stop?(): Promise<void>;
  /** Frees everything the session holds: leftover processes, the container. Never rejects. */
  dispose(): Promise<void>;
}

export interface Executor {
  readonly kind: 'process' | 'docker';
  start(job: ExecutorJob): Promise<ExecSession>;
  /**
   * Optional: begins, beside the checkout, whatever does not need its result (for Docker:
   * the image, the services, the job container), so that the job's first command waits
   * less. `job.workspace` is where the workspace is expected to be and `job.env` the
   * environment expected then; the preparation's `start` gets the real ones and redoes
   * what depended on a guess that turned out wrong.
   */
  prepare?(job: ExecutorJob): ExecutorPreparation;
}

/** What an executor began before the checkout ended (see `Executor.prepare`). */
export interface ExecutorPreparation {
  /** Completes the preparation for the job as the checkout left it; as `Executor.start`. */
  start(job: ExecutorJob): Promise<ExecSession>;
  /** The job will not run (the checkout failed, it was stopped): frees what was made. Never rejects. */
  discard(): Promise<void>;
}

/** The executor could not prepare or keep up a job's environment (a system failure). */
export class ExecutorError extends Error {
  override name = 'ExecutorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
