/**
 * Runs a git command that talks to a remote (fetch) with bounded time, for the queen's
 * mirrors and the drone's checkouts.
 *
 * Git fetches through helpers — `git-remote-http`, `ssh` — that are its children. Killing
 * just `git` (what simple-git's timeout does) leaves them running, orphaned, holding the
 * connection. So git starts in a process group of its own (`detached`) and every stop —
 * timeout, abort, or after git exited — kills the whole group.
 *
 * Limits (git-timeouts.ts): http low-speed settings and ssh connect/keepalive options on
 * the command, a connect probe for http(s) (connect-probe.ts), and a wall-clock total.
 * Running out of any of them rejects with a `GitTimeoutError` saying which; git's own
 * failures reject with a `GitCommandError` carrying git's stderr.
 */
import { spawn } from 'node:child_process';
import { probeConnect, probeTarget } from './connect-probe.ts';
import { lowSpeedConfig, sshCommandWithTimeouts, type GitTimeouts } from './git-timeouts.ts';

/** Which limit ran out: no connection, no data, or the whole fetch took too long. */
export type GitTimeoutKind = 'connect' | 'stalled' | 'total';

export class GitTimeoutError extends Error {
  override name = 'GitTimeoutError';
  constructor(readonly kind: GitTimeoutKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Git ran and failed; `message` is its stderr. */
export class GitCommandError extends Error {
  override name = 'GitCommandError';
  constructor(message: string, readonly exitCode: number | null, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface RemoteGitOptions {
  cwd: string;
  /** Git's whole environment (never the host's: see the callers). */
  env: Record<string, string>;
  timeouts: GitTimeouts;
  /** The remote's URL, for the connect probe. */
  url: string;
  /** Aborting kills the process group; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

const MAX_CAPTURE = 64 * 1024;
/** Process groups of git commands running now, so a process that ends can take them along. */
const running = new Set<number>();
let killedAtExit = false;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Kills every git process group this process started and that still runs (at exit). */
export function killAllRemoteGit(): void {
  for (const pid of running) killGroup(pid);
}

const secondsOf = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Git's own report of a limit it enforced (http low speed, ssh connect or keepalive). */
function timeoutInStderr(failure: GitCommandError, t: GitTimeouts): GitTimeoutError | undefined {
  if (/Operation too slow|server .* not responding/i.test(failure.message)) {
    return new GitTimeoutError('stalled', `less than ${t.lowSpeedLimit} bytes/s for ${secondsOf(t.lowSpeedMs)} s`, { cause: failure });
  }
  if (/timed out/i.test(failure.message)) {
    return new GitTimeoutError('connect', `no connection within ${secondsOf(t.connectMs)} s`, { cause: failure });
  }
  return undefined;
}

export function runRemoteGit(args: string[], options: RemoteGitOptions): Promise<{ stdout: string; stderr: string }> {
  const { timeouts: t, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const env = { ...options.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: sshCommandWithTimeouts(options.env.GIT_SSH_COMMAND, t) };
    // In a group of its own, git no longer dies with ours: whatever way this process
    // exits (a hard exit after SIGTERM included), its fetches go with it.
    if (!killedAtExit) {
      killedAtExit = true;
      process.once('exit', killAllRemoteGit);
    }
    const child = spawn('git', [...lowSpeedConfig(t), ...args], { cwd: options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += d.toString();
    });
    // The end of stderr holds git's verdict: keep the last part.
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-MAX_CAPTURE);
    });

    let stopped: unknown;
    const stop = (why: unknown) => {
      if (stopped !== undefined) return;
      stopped = why;
      killGroup(pid);
    };
    const total = setTimeout(() => stop(new GitTimeoutError('total', `not done after ${secondsOf(t.totalMs)} s`)), t.totalMs);
    const target = probeTarget(options.url, env);
    const cancelProbe = target
      ? probeConnect(target, t.connectMs, () => stop(new GitTimeoutError('connect', `no connection to ${target.host}:${target.port} within ${secondsOf(t.connectMs)} s`)))
      : () => {};
    const onAbort = () => stop(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanUp = () => {
      clearTimeout(total);
      cancelProbe();
      signal?.removeEventListener('abort', onAbort);
    };

    // Once git itself exited, whatever it left in its group goes too: that also closes
    // the pipes a helper might still hold, so 'close' comes.
    child.once('exit', () => {
      killGroup(pid);
      if (pid !== undefined) running.delete(pid);
    });
    child.once('error', (err) => {
      cleanUp();
      if (pid !== undefined) running.delete(pid);
      reject(new GitCommandError(`git could not start: ${err.message}`, null, { cause: err }));
    });
    child.once('close', (code) => {
      cleanUp();
      if (stopped !== undefined) return reject(stopped);
      if (code === 0) return resolve({ stdout, stderr });
      const failure = new GitCommandError(stderr.trim() || `git exited with code ${code}`, code);
      reject(timeoutInStderr(failure, t) ?? failure);
    });
  });
}
