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

import { POSIX_SHELL } from '../posix-shell.ts';

/** The extra stdio fd on which the guard waits for the drone's end to close. */
export const GUARD_FD = 3;

const GUARD_SCRIPT = `(read -r _ <&${GUARD_FD}; kill -KILL 0) </dev/null >/dev/null 2>&1 & exec ${POSIX_SHELL} -c "$1" ${GUARD_FD}<&-`;

/** The argv of POSIX_SHELL that runs `command` under the guard; spawn it with `guardStdio`. */
export function guardedShellArgs(command: string): string[] {
  // "hive-guard" is the guard's $0: it names the watcher in `ps`.
  return ['-c', GUARD_SCRIPT, 'hive-guard', command];
}

/** stdin from /dev/null, stdout and stderr piped to the drone, and the guard's pipe. */
export const guardStdio = ['ignore', 'pipe', 'pipe', 'pipe'] as const;
