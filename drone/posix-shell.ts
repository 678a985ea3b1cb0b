/**
 * The shell the drone starts commands and scripts with, by its one path POSIX fixes
 * (Node's own `shell: true` uses it too). Spawned by name, `sh` was looked up along PATH
 * in the forked child — seven failed `execve`s on a usual PATH, each one more moment
 * that `spawn()` holds the drone's thread until the exec — and a job's PATH could take
 * the command's shell away.
 */
export const POSIX_SHELL = '/bin/sh';
