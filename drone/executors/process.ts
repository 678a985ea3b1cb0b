/**
 * Runs commands as plain child processes on the host: for machines without Docker and
 * for fast tests.
 *
 * Each command is `sh -c <command>` in its own process group (`detached`), so killing the
 * group on abort also kills everything the command started (`make` → `cc`, `sleep &`).
 * Commands see only the job's env plus a few whitelisted host variables (PATH, HOME, …):
 * never the drone's own environment, which holds its token.
 *
 * A command has ended when its shell has exited and its output pipes have closed. A
 * background process may keep the pipes open forever, so after the exit we wait for the
 * close only a bounded time. Such leftovers are killed by `dispose()` at the end of the job
 * (commands may rely on a service started in an earlier command).
 *
 * Every command runs under a guard (process-guard.ts) that kills its group when the drone
 * dies, and its group is written to the drone's process-group record
 * (process-group-record.ts), from which the drone's next start kills what a killed run
 * left.
 *
 * With a `cacheRoot`, commands get `HIVE_CACHE_DIR`: the project's cache directory on the
 * host, kept across jobs (see project-cache.ts).
 *
 * With `spares`, commands start in guards parked ahead of them (parked-guards.ts) rather
 * than by a start of their own, which holds the drone's thread ~10 ms.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { CommandIo, CommandResult, ExecSession, Executor, ExecutorJob } from './executor.ts';
import { ExecutorError } from './executor.ts';
import { projectCacheDir } from './project-cache.ts';
import type { ProcessGroupRecord } from './process-group-record.ts';
import { POSIX_SHELL } from '../posix-shell.ts';
import { guardedShellArgs, guardStdio, killGroup, parkedGuardInput, quietGuardPipe } from './process-guard.ts';
import { ParkedGuards } from './parked-guards.ts';
import type { ParkedGuard } from './parked-guards.ts';

export interface ProcessExecutorOptions {
  /** The whitelisted host variables (see `pickHostEnv` in config.ts). */
  hostEnv: Record<string, string>;
  /** Between SIGTERM and SIGKILL when killing a command's process group. */
  killGraceMs?: number;
  /** How long to wait for the output pipes to close once the shell has exited. */
  closeWaitMs?: number;
  /** Where per-project cache directories are made (`<dataDir>/cache`); none without it. */
  cacheRoot?: string;
  /** Where the commands' process groups are recorded for the drone's next start; none without it. */
  groupRecord?: ProcessGroupRecord;
  /**
   * How many guards to keep parked for the next commands (parked-guards.ts; the drone's
   * pool: `parkedPoolFor`). 0: every command starts its own process.
   */
  spares?: number;
  /** The pool is refilled once fewer than this are ready (parked-guards.ts); `spares` by default. */
  refillSparesBelow?: number;
  /**
   * The shell the guards run in (process-guard.ts): POSIX_SHELL. A test gives busybox's,
   * which picks what to run by its argv[0]: /bin/sh on Alpine.
   */
  guardShell?: string;
}

type SessionOptions = Required<Omit<ProcessExecutorOptions, 'cacheRoot' | 'groupRecord' | 'spares' | 'refillSparesBelow'>>
  & Pick<ProcessExecutorOptions, 'cacheRoot' | 'groupRecord'> & { spares: ParkedGuards | undefined };

export class ProcessExecutor implements Executor {
  readonly kind = 'process';
  readonly #options: SessionOptions;

  constructor(options: ProcessExecutorOptions) {
    const { spares = 0, refillSparesBelow, ...rest } = options;
    const guardShell = options.guardShell ?? POSIX_SHELL;
    const pool = spares > 0
      ? new ParkedGuards({ size: spares, refillBelow: refillSparesBelow, groupRecord: options.groupRecord, shell: guardShell })
      : undefined;
    this.#options = { killGraceMs: 3_000, closeWaitMs: 1_000, ...rest, guardShell, spares: pool };
    // Made as the drone starts: the first jobs' commands find their guards.
    pool?.fill();
  }

  /** Ends the parked guards (the drone stops); sessions still running are not touched. */
  close(): void {
    this.#options.spares?.close();
  }

  async start(job: ExecutorJob): Promise<ExecSession> {
    const { cacheRoot } = this.#options;
    let cache: Record<string, string> = {};
    if (cacheRoot !== undefined) {
      try {
        cache = { HIVE_CACHE_DIR: await projectCacheDir(cacheRoot, job.spec.projectId) };
      } catch (err) {
        throw new ExecutorError(`could not create the project cache directory: ${(err as Error).message}`, { cause: err });
      }
    }
    return new ProcessSession(job, { ...this.#options.hostEnv, ...cache, ...job.env }, this.#options);
  }
}

class ProcessSession implements ExecSession {
  /** Process group ids of every command of this job, killed again on dispose. */
  readonly #groups = new Set<number>();
  /**
   * The drone's ends of the commands' guard pipes, held until dispose(): closing one
   * makes its guard kill the command's group (process-guard.ts).
   */
  readonly #guardPipes = new Set<Socket>();

  readonly #job: ExecutorJob;
  readonly #env: Record<string, string>;
  readonly #options: SessionOptions;
  #disposed = false;

  constructor(
    job: ExecutorJob,
    env: Record<string, string>,
    options: SessionOptions,) {
    this.#job = job;
    this.#env = env;
    this.#options = options;
    // No batch of parked guards is started while a job runs (parked-guards.ts).
    options.spares?.sessionStarted();
  }

  run(command: string, io: CommandIo): Promise<CommandResult> {
    if (io.signal.aborted) return Promise.resolve({ exitCode: null, error: 'not started: aborted' });
    return new Promise((resolve) => {
      let child: ChildProcess;
      const spare = this.#takeSpare(command);
      if (spare) {
        child = spare.child;
      } else {
        try {
          child = spawn(this.#options.guardShell, guardedShellArgs(command), {
            cwd: this.#job.workspace,
            env: this.#env,
            detached: true,
            stdio: [...guardStdio],
          });
        } catch (err) {
          resolve({ exitCode: null, error: `could not start: ${(err as Error).message}` });
          return;
        }
        const pid = child.pid;
        if (pid !== undefined) this.#options.groupRecord?.add(pid);
        this.#own(child, quietGuardPipe(child));
      }
      const pid = child.pid;
      // Streams stopped because the output's consumer is congested (CommandIo.flow).
      let waiting = 0;
      const read = (stream: Readable, deliver: (chunk: Buffer) => void) => stream.on('data', (chunk: Buffer) => {
        deliver(chunk);
        if (!io.flow?.congested() || settled) return;
        stream.pause();
        waiting++;
        io.flow.whenDrained(() => {
          waiting--;
          if (!settled) stream.resume();
        });
      });
      read(child.stdout!, (chunk) => io.onStdout(chunk));
      read(child.stderr!, (chunk) => io.onStderr(chunk));
      // Not the child's 'close': that waits for the guard pipe too, which stays open.
      const outputClosed = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((done) => s.once('close', done))));

      const onAbort = () => {
        if (pid === undefined) return;
        killGroup(pid, 'SIGTERM');
        // Whatever ignores SIGTERM dies after the grace period (the timer must not keep the drone alive).
        setTimeout(() => killGroup(pid, 'SIGKILL'), this.#options.killGraceMs).unref();
      };
      io.signal.addEventListener('abort', onAbort, { once: true });

      let settled = false;
      const finish = (result: CommandResult) => {
        if (settled) return;
        settled = true;
        io.signal.removeEventListener('abort', onAbort);
        // The pipes may still be held by a background process: stop reading them.
        child.stdout!.destroy();
        child.stderr!.destroy();
        resolve(result);
      };

      let exited = false;
      // `on`, not `once`: an 'error' without a listener would crash the drone.
      child.on('error', (err) => {
        // Spawn failures (e.g. a missing workspace) come here, without an 'exit'.
        if (!exited) finish({ exitCode: null, error: `could not start: ${err.message}` });
      });
      child.once('exit', (code, signal) => {
        exited = true;
        const result: CommandResult = signal
          ? { exitCode: null, signal, error: `killed by ${signal}` }
          : { exitCode: code };
        // The wait for the pipes to close counts only while they are read: output held
        // back by a congested consumer is still in the pipe, and must not be cut off.
        const waitForClose = (): NodeJS.Timeout => setTimeout(() => {
          if (waiting > 0) closeWait = waitForClose();
          else finish(result);
        }, this.#options.closeWaitMs);
        let closeWait = waitForClose();
        void outputClosed.then(() => {
          clearTimeout(closeWait);
          finish(result);
        });
      });
      // While this command runs (a start holds the drone's thread): a guard for the next.
      if (io.more) this.#options.spares?.refillOne();
    });
  }

  /**
   * A parked guard given this command, now this session's; undefined when none is ready or
   * the command cannot be given to one — a workspace that is not there is left to a direct
   * start, which reports it as a start failure.
   */
  #takeSpare(command: string): ParkedGuard | undefined {
    const pool = this.#options.spares;
    if (!pool) return undefined;
    const input = parkedGuardInput(this.#env, this.#job.workspace, command);
    if (input === undefined || !existsSync(this.#job.workspace)) return undefined;
    const spare = pool.take();
    if (!spare) return undefined;
    this.#own(spare.child, spare.guardPipe);
    spare.child.stdin!.end(input);
    return spare;
  }

  /** The command's group is killed by dispose(); its (quiet) guard pipe held until then. */
  #own(child: ChildProcess, guardPipe: Socket | undefined): void {
    if (child.pid !== undefined) this.#groups.add(child.pid);
    if (guardPipe) this.#guardPipes.add(guardPipe);
  }

  async dispose(): Promise<void> {
    // Kills what commands left running in the background. (A group id could in theory be
    // reused by an unrelated group after the pid space wraps within one job; accepted.)
    for (const pgid of this.#groups) killGroup(pgid, 'SIGKILL');
    for (const pipe of this.#guardPipes) pipe.destroy();
    this.#guardPipes.clear();
    this.#options.groupRecord?.remove(this.#groups);
    this.#groups.clear();
    // The job's result is out by now: the drone has a moment for the next jobs' guards.
    if (!this.#disposed) this.#options.spares?.sessionEnded();
    this.#disposed = true;
  }
}
