/**
 * The git Hive needs, checked once when the queen or a drone starts: rather than every
 * fetch failing later with git's "unknown option", the process refuses to start with one
 * line saying what is installed and what is needed. 2.29 is the first with
 * `git fetch --no-auto-maintenance` (fetch-maintenance.ts).
 */
import { execFile } from 'node:child_process';
import { ConfigError } from '../config-error.ts';

export const MIN_GIT_VERSION = [2, 29] as const;

/** `git version 2.39.5` (or `… (Apple Git-…)`, `….windows.1`) → [2, 39]; undefined when it says no version. */
export function parseGitVersion(output: string): [number, number] | undefined {
  const match = /git version (\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function gitVersionProblem(version: [number, number] | undefined): string | undefined {
  if (!version) return 'git did not say its version';
  const [major, minor] = version;
  const [needMajor, needMinor] = MIN_GIT_VERSION;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `git ${major}.${minor} is installed; Hive needs git ${needMajor}.${needMinor} or later`;
}

/** Throws a ConfigError when git is missing from `env`'s PATH or older than MIN_GIT_VERSION. */
export async function checkGitVersion(env: Record<string, string | undefined>): Promise<void> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile('git', ['--version'], { env, timeout: 30_000 }, (err, stdout) => {
      if (err) reject(new ConfigError(`git could not be run (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : err.message}); Hive needs git ${MIN_GIT_VERSION.join('.')} or later`, { cause: err }));
      else resolve(stdout);
    });
  });
  const problem = gitVersionProblem(parseGitVersion(output));
  if (problem) throw new ConfigError(problem);
}
