/**
 * Build processes end when the drone dies, even by SIGKILL.
 *
 * Linux's PR_SET_PDEATHSIG is out of reach from Node, and it would only cover the direct
 * child anyway. So every command runs in a tiny shell guard, the leader of the command's
 * process group (and session: the spawn is `detached`):
 *
 *   - The drone hands it one more pipe, fd 3, whose other end only the drone holds (Node
 *     opens its fds close-on-exec, so no other child of the drone inherits that end).
 *   - The guard leaves a watcher in the group that blocks reading fd 3. Nothing is ever
 *     written there: the read returns only at end-of-file, which comes when the drone's
 *     end is closed — by the kernel, when the drone dies, however it dies. The watcher
 *     then kills its whole group (`kill -KILL 0`): the command and whatever it started in
 *     the background.
 *   - The guard then closes fd 3 and runs the command itself (`eval`): the process the
 *     drone spawned is the command's shell, so its exit code, its output and the group
 *     the drone signals on cancel or timeout are the command's own.
 *
 * Running the command in the guard's shell, rather than `exec`ing `sh -c <command>` from
 * it, saves starting a second shell — execve, the dynamic loader, the shell's set-up —
 * which was the largest part of a trivial command's time (a parked guard given `true`:
 * 3.6 ms p50 with the exec, 1.4 ms with `eval`, on the 2-core VM; 20 builds at once
 * 33–36 → 38–41.5 builds/s). So that the command cannot tell, its watcher is not a job of
 * the shell: a subshell starts it and ends at once (`wait` in the command waits for the
 * command's own jobs only, `$!` is unset), and the positional parameters are the
 * command's (none; `$0` is the shell's path). What differs from `sh -c <command>`, and is
 * the same whichever way a command starts: an error the shell reports itself names
 * `eval` ("sh: 1: eval: make: not found"); the last program of a command is started as a
 * child (`sh -c` would have exec'd it in its place), so one killed by a signal ends the
 * command with 128 + the signal's number, as in a script; and in `ps` the command's shell
 * is the guard.
 *
 * The watcher outlives its command on purpose — background processes a command left
 * stay guarded until the job ends — and is killed with the group by the session's
 * dispose() (the drone holds its end of fd 3 until then). Its stdio is /dev/null, so it
 * holds neither the command's output pipes nor anything in the workspace.
 *
 * What escapes the guard — a process that moved to a group of its own (setsid), or a
 * watcher killed together with the drone — is what the process-group record
 * (process-group-record.ts) lets the drone's next start end.
 */

import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { POSIX_SHELL } from '../posix-shell.ts';

/** The extra stdio fd on which the guard waits for the drone's end to close. */
export const GUARD_FD = 3;

/** The watcher, started by a subshell that ends at once: no job of the guard's shell. */
const WATCHER = `( (read -r _ <&${GUARD_FD}; kill -KILL 0) </dev/null >/dev/null 2>&1 & )`;

/** `shift 2` runs inside the `eval`, so the command sees no positional parameters. */
const GUARD_SCRIPT = `${WATCHER}; exec ${GUARD_FD}<&-; eval "shift 2; $2"`;

/** The argv of POSIX_SHELL that runs `command` under the guard; spawn it with `guardStdio`. */
export function guardedShellArgs(command: string): string[] {
  // $0 is the shell's path, as the command's `$0` was under `sh -c`; "hive-guard" ($1)
  // names the guard and its watcher in `ps`.
  return ['-c', GUARD_SCRIPT, POSIX_SHELL, 'hive-guard', command];
}

/** stdin from /dev/null, stdout and stderr piped to the drone, and the guard's pipe. */
export const guardStdio = ['ignore', 'pipe', 'pipe', 'pipe'] as const;

/**
 * A guard started before its command is known (parked-guards.ts): a shell that reads its
 * script from stdin (`sh -s`, which dash reads in blocks). The drone writes the watcher's
 * line at once (`PARKED_GUARD_PRELUDE`), so the watcher is in place from the start, and
 * when a command needs the guard, the rest (`parkedGuardInput`): the job's environment,
 * `cd` to the workspace, and the command, run as the direct guard runs it; then it closes
 * stdin. (Node's stdio "pipes" are socket pairs, which `. /dev/stdin` cannot open.)
 * Started with an empty environment in `/`, it runs nothing else before its input; an
 * input that ends without the command (the drone gave up on it) ends the shell. One more
 * difference from `sh -c`, only here: `$-` holds `s`.
 */
export const PARKED_GUARD_PRELUDE = `${WATCHER}\n`;

/**
 * The argv of POSIX_SHELL for a parked guard; spawn it with `parkedStdio`. "hive-guard" is
 * its one positional parameter (cleared before the command), there only to name the guard
 * and its watcher in `ps`. It cannot be the guard's argv[0]: where /bin/sh is busybox
 * (Alpine; the test engine's node image), busybox picks its applet by argv[0] and answers
 * "hive-guard: applet not found".
 */
export function parkedGuardArgs(): string[] {
  return ['-s', 'hive-guard'];
}

/** As `guardStdio`, with stdin piped: the parked guard's input comes there. */
export const parkedStdio = ['pipe', 'pipe', 'pipe', 'pipe'] as const;

/**
 * Past this, a command starts directly: an argument of over 128 KiB is refused by exec,
 * which a direct start reports as a start failure. A parked guard, which needs no exec,
 * would run it: the limit keeps one answer for a command whichever way it starts.
 */
const MAX_PARKED_COMMAND_CHARS = 64 * 1024;

/**
 * What a parked guard reads to run `command` in `workspace` with exactly `env` — or
 * undefined when that cannot be said in `sh`: a variable name that is no shell name (a
 * direct start passes it on), one a shell sets as it starts, or a command too long.
 *
 * `cd` sets OLDPWD, which a command started directly does not get: unset before the job's
 * own variables are exported (OLDPWD among them, if it has one).
 */
export function parkedGuardInput(env: Record<string, string>, workspace: string, command: string): string | undefined {
  if (command.length > MAX_PARKED_COMMAND_CHARS) return undefined;
  let exports = '';
  for (const [name, value] of Object.entries(env)) {
    if (!SHELL_NAME.test(name) || SET_AT_SHELL_START.has(name)) return undefined;
    exports += `export ${name}=${shellQuote(value)}\n`;
  }
  // One line, read whole before any of it runs: once `exec` replaces stdin, the shell's
  // own input, nothing more is read from the drone; after the command the shell reads
  // /dev/null's end and exits with the command's status. A command that could make some
  // file its stdin for good (`exec <file`) is followed by an `exit`, or the shell would go
  // on to read that file as its script; only then, as under `set -x` the shell would
  // print the `exit` too.
  const exit = /\bexec\b/.test(command) ? '; exit' : '';
  return `cd -- ${shellQuote(workspace)} || exit 126\nunset OLDPWD\n${exports}exec ${GUARD_FD}<&- </dev/null; set --; eval ${shellQuote(command)}${exit}\n`;
}

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Variables a shell sets for itself as it starts, whatever its environment says (`IFS`,
 * `OPTIND`, `PPID`; `PWD` when it is not the directory): exported by a parked guard's
 * shell, which has started already, they would be the command's own. A job that sets one
 * starts its commands directly, in a shell that starts with them in its environment.
 */
const SET_AT_SHELL_START = new Set(['IFS', 'OPTIND', 'PPID', 'PWD']);

/** One word for `sh`, whatever it holds: single quotes, each `'` closed, escaped and reopened. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The drone's end of a started guard's pipe (GUARD_FD), made harmless: it is never read
 * from nor written to, so it must neither crash the drone (an error on it) nor keep the
 * drone's process alive. Closing it (`destroy()`) ends the guard's group.
 */
export function quietGuardPipe(child: ChildProcess): Socket | undefined {
  const pipe = (child.stdio[GUARD_FD] as Socket | null) ?? undefined;
  pipe?.on('error', () => {});
  pipe?.unref();
  return pipe;
}

/**
 * Signals a whole process group. A group that is already gone (ESRCH) is the usual case
 * after a clean exit; any other failure cannot be helped here and must not crash the drone.
 */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already, or not ours to signal
  }
}
