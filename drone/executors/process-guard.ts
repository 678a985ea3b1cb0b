/**
 * Build processes end when the drone dies, even by SIGKILL.
 *
 * Linux's PR_SET_PDEATHSIG is out of reach from Node, and it would only cover the direct
 * child anyway. So every command starts through a tiny shell guard, the leader of the
 * command's process group (and session: the spawn is `detached`):
 *
 *   - The drone hands it one more pipe, fd 3, whose other end only the drone holds (Node
 *     opens its fds close-on-exec, so no other child of the drone inherits that end).
 *   - The guard leaves a watcher in the group that blocks reading fd 3. Nothing is ever
 *     written there: the read returns only at end-of-file, which comes when the drone's
 *     end is closed — by the kernel, when the drone dies, however it dies. The watcher
 *     then kills its whole group (`kill -KILL 0`): the command and whatever it started in
 *     the background.
 *   - The guard then `exec`s the command as before (`sh -c <command>`, without fd 3): the
 *     process the drone spawned is still the command's shell, so its exit code, its
 *     killing signal, its output and the group the drone signals on cancel or timeout are
 *     exactly what they were without a guard.
 *
 * The watcher is a background subshell (one fork, no exec) that the command's shell
 * inherits as a child it never started: `wait` in a shell waits only for its own jobs, so
 * it does not wait for the watcher. (Double-forking it away cost the command a serial
 * fork and reap, ~3 ms on a loaded machine, for programs that reap every child until there
 * is none — not build commands.) It outlives its command on purpose — background processes
 * a command left stay guarded until the job ends — and is killed with the group by the
 * session's dispose() (the drone holds its end of fd 3 until then). Its stdio is /dev/null,
 * so it holds neither the command's output pipes nor anything in the workspace.
 *
 * What escapes the guard — a process that moved to a group of its own (setsid), or a
 * watcher killed together with the drone — is what the process-group record
 * (process-group-record.ts) lets the drone's next start end. Cost: one fork and one
 * exec of `sh` per command, ~1 ms (`sh -c 'echo hi'` 300 times: 2–2.7 ms each, guarded
 * 2.9–3.5 ms, on a loaded two-core machine).
 */

import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { POSIX_SHELL } from '../posix-shell.ts';

/** The extra stdio fd on which the guard waits for the drone's end to close. */
export const GUARD_FD = 3;

const WATCHER = `(read -r _ <&${GUARD_FD}; kill -KILL 0) </dev/null >/dev/null 2>&1 &`;

const GUARD_SCRIPT = `${WATCHER} exec ${POSIX_SHELL} -c "$1" ${GUARD_FD}<&-`;

/** The argv of POSIX_SHELL that runs `command` under the guard; spawn it with `guardStdio`. */
export function guardedShellArgs(command: string): string[] {
  // "hive-guard" is the guard's $0: it names the watcher in `ps`.
  return ['-c', GUARD_SCRIPT, 'hive-guard', command];
}

/** stdin from /dev/null, stdout and stderr piped to the drone, and the guard's pipe. */
export const guardStdio = ['ignore', 'pipe', 'pipe', 'pipe'] as const;

/**
 * A guard started before its command is known (parked-guards.ts): a shell that reads its
 * script from stdin (`sh -s`, which dash reads in blocks). The drone writes the watcher's
 * line at once (`PARKED_GUARD_PRELUDE`), so the watcher is in place from the start, and
 * when a command needs the guard, the rest (`parkedGuardInput`): the job's environment,
 * `cd` to the workspace, and the same `exec` of the command's shell as above; then it
 * closes stdin. (Node's stdio "pipes" are socket pairs, which `. /dev/stdin` cannot open.)
 * Started with an empty environment in `/`, it runs nothing else before its input; an
 * input that ends without an exec (the drone gave up on it) ends the shell.
 */
export const PARKED_GUARD_PRELUDE = `${WATCHER}\n`;

/**
 * The argv of POSIX_SHELL for a parked guard; spawn it with `parkedStdio`. "hive-guard" is
 * its one positional parameter, there only to name the guard and its watcher in `ps`. It
 * cannot be the guard's argv[0], as the direct guard's $0 is: where /bin/sh is busybox
 * (Alpine; the test engine's node image), busybox picks its applet by argv[0] and answers "hive-guard:
 * applet not found".
 */
export function parkedGuardArgs(): string[] {
  return ['-s', 'hive-guard'];
}

/** As `guardStdio`, with stdin piped: the parked guard's input comes there. */
export const parkedStdio = ['pipe', 'pipe', 'pipe', 'pipe'] as const;

/**
 * Past this, a command starts directly: an argument of over 128 KiB is refused by exec,
 * which a direct start reports as a start failure, and a parked guard could only report
 * as the shell's exit code.
 */
const MAX_PARKED_COMMAND_CHARS = 64 * 1024;

/**
 * What a parked guard reads to run `command` in `workspace` with exactly `env` — or
 * undefined when that cannot be said in `sh`: a variable name that is no shell name (a
 * direct start passes it on), or a command too long.
 *
 * `cd` sets OLDPWD, which a command started directly does not get: unset before the job's
 * own variables are exported (OLDPWD among them, if it has one).
 */
export function parkedGuardInput(env: Record<string, string>, workspace: string, command: string): string | undefined {
  if (command.length > MAX_PARKED_COMMAND_CHARS) return undefined;
  let exports = '';
  for (const [name, value] of Object.entries(env)) {
    if (!SHELL_NAME.test(name)) return undefined;
    exports += `export ${name}=${shellQuote(value)}\n`;
  }
  return `cd -- ${shellQuote(workspace)} || exit 126\nunset OLDPWD\n${exports}exec ${POSIX_SHELL} -c ${shellQuote(command)} ${GUARD_FD}<&- </dev/null\n`;
}

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
